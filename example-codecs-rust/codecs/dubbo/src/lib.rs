//! The Dubbo protocol (16-byte header, hessian2 or fastjson2 body) as a Protean Wasm codec: the same frames,
//! metadata, limits and replies as the proxy's native Java codec (proxy/.../codec/dubbo), so the
//! two can be compared on the same traffic.
//!
//! ```text
//! 0-1 magic 0xdabb   2 flags: 0x80 request, 0x40 two-way, 0x20 event, low 5 bits serialization
//! 3 status           4-11 request id          12-15 body length
//! request body: dubbo version, service path, version, method, parameter types, args, attachments
//! (fastjson2, id 23: each a 4-byte length and a JSONB document, jsonb.rs; another serialization
//! is framed but not read: the host answers it, the decode block's UNREADABLE flag)
//! OK response body: type (0 exception, 1 value, 2 null; +3 with attachments), value, attachments
//! ```
//!
//! Response metadata: the attachments of an OK `*_WITH_ATTACHMENTS` response (the value is
//! skipped, not built). `encode` re-encodes requests and OK responses (the module exports
//! `protean_codec_encodes_responses`); a response without attachments that gains one becomes its
//! `*_WITH_ATTACHMENTS` variant (unlike the native codec, this one cannot see the request's
//! protocol version and assumes a 2.0.2+ client, as every Dubbo since 2.7 is).

mod hessian2;
mod jsonb;

use hessian2::{write_string, Reader};
use std::borrow::Cow;
use protean_codec_sdk::{config_number, protean_codec, Codec, Decoded, ErrorType, FrameInfo, Metadata, MessageType, Mutation, Reply, ResponseClass};

const HEADER: usize = 16;
const FLAG_REQUEST: u8 = 0x80;
const FLAG_TWO_WAY: u8 = 0x40;
const FLAG_EVENT: u8 = 0x20;
const SERIALIZATION: u8 = 0x1f;
const HESSIAN2: u8 = 2;
const FASTJSON2: u8 = 23;
const OK: u8 = 20;
const MAX_VALUE_CHARS: usize = 65536;
const MAX_METADATA_KEYS: usize = 256;
/// Response types: a value, null and an exception, each also `WITH_ATTACHMENTS` (+3).
const RESPONSE_NULL_VALUE: i32 = 2;
const WITH_ATTACHMENTS: i32 = 3;
const RESPONSE_NULL_VALUE_WITH_ATTACHMENTS: i32 = 5;

pub struct Dubbo {
    max_body: usize,
}

/// Each attachment's byte span in the body and its key (None for a non-string key).
type Entries = Vec<(usize, usize, Option<String>)>;

/// Where the attachments are in a request body, for re-encoding. fastjson2: where the map's
/// bytes before its first entry end (`head_end`), and whether entries use symbols or references.
struct Attachments {
    start: usize,
    entries: Entries,
    head_end: Option<usize>,
    shared: bool,
}

/// Where the parts of an OK response body are, for re-encoding.
struct ResponseBody {
    kind: i32,
    value_start: usize,
    value_end: usize,
    entries: Entries,
    head_end: Option<usize>,
    shared: bool,
}

/// Dubbo's serialization ids by name, so an error says what a client used.
fn serialization_name(id: u8) -> Cow<'static, str> {
    match id {
        2 => "hessian2 (id 2)".into(),
        3 => "java (id 3)".into(),
        4 => "compactedjava (id 4)".into(),
        6 => "fastjson (id 6)".into(),
        7 => "nativejava (id 7)".into(),
        8 => "kryo (id 8)".into(),
        9 => "fst (id 9)".into(),
        10 => "native-hessian (id 10)".into(),
        11 => "avro (id 11)".into(),
        12 => "protostuff (id 12)".into(),
        16 => "gson (id 16)".into(),
        21 => "protobuf-json (id 21)".into(),
        22 => "protobuf (id 22)".into(),
        23 => "fastjson2 (id 23)".into(),
        25 => "kryo2 (id 25)".into(),
        31 => "msgpack (id 31)".into(),
        n => format!("id {n}").into(),
    }
}

fn unsupported(what: &str, id: u8) -> String {
    format!("{what} serialization {} is not supported; this codec reads hessian2 (id 2) and fastjson2 (id 23)", serialization_name(id))
}

/// Dubbo's generic invocation: GenericService.$invoke(String method, String[] types, Object[] args).
fn is_generic(method: &str, types: Option<&str>) -> bool {
    (method == "$invoke" || method == "$invokeAsync") && types == Some("Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;")
}

/// A generic call is routed as the call it stands for, as in the native codec: `method` the
/// real method, `parameter_types` its comma-separated Java type names, `generic: true`.
fn generic_call(metadata: &mut Metadata, method: Option<Cow<str>>, types: Option<Vec<String>>) {
    if let Some(m) = method {
        metadata.put("method", &m);
        metadata.put("generic", "true");
        if let Some(t) = types {
            metadata.put("parameter_types", &t.join(","));
        }
    }
}

/// The metadata every request has, from the body's first strings.
fn call_metadata(metadata: &mut Metadata, dubbo_version: Option<Cow<str>>, service: &str, version: Option<Cow<str>>, method: &str) {
    metadata.put("interface", service);
    if !metadata.contains("method") {
        metadata.put("method", method);
    }
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        metadata.put("version", &v);
    }
    if let Some(d) = dubbo_version {
        metadata.put("dubbo", &d);
    }
}

/// Reads a length-prefixed JSONB attachments map into `metadata`; with `entries`, records each
/// entry. Returns where the map's head ends (None for a null map).
fn read_jsonb_attachments(r: &mut jsonb::Reader, metadata: &mut Metadata, mut entries: Option<&mut Entries>, what: &str) -> Result<Option<usize>, String> {
    r.begin_value(what)?;
    if !r.read_map_start(what)? {
        r.end_value(what)?;
        return Ok(None);
    }
    let head_end = r.pos;
    let mut taken = 0;
    while !r.at_object_end(what)? {
        let entry_start = r.pos;
        let key = r.read_name("an attachment key", MAX_VALUE_CHARS)?;
        let value = r.read_scalar_or_skip("an attachment value", MAX_VALUE_CHARS)?;
        if let (Some(k), Some(v)) = (&key, &value) {
            if taken < MAX_METADATA_KEYS && !metadata.contains(k) {
                metadata.put(k, v);
                taken += 1;
            }
        }
        if let Some(e) = entries.as_deref_mut() {
            e.push((entry_start, r.pos, key.map(Cow::into_owned)));
        }
    }
    r.end_value(what)?;
    Ok(Some(head_end))
}

/// Writes a fastjson2 attachments document: its length, the original head (a type name, when
/// the map had one), the unchanged entries byte for byte, the sets. Entries that use symbols or
/// references may depend on one another: none is dropped then.
fn write_jsonb_attachments(out: &mut Vec<u8>, body: &[u8], value_start: usize, head_end: Option<usize>, entries: &Entries, shared: bool, mutation: &Mutation) -> Result<(), String> {
    let length_at = out.len();
    out.extend_from_slice(&[0; 4]);
    match head_end {
        Some(h) => out.extend_from_slice(&body[value_start + 4..h]),
        None => out.push(jsonb::OBJECT),
    }
    for (start, end, key) in entries {
        if let Some(k) = key.as_deref().filter(|k| mutation.get(k).is_some()) {
            if shared {
                return Err(format!("dubbo: fastjson2: the attachments refer to one another (symbols or references): attachment '{k}' cannot be changed or removed"));
            }
            continue;
        }
        out.extend_from_slice(&body[*start..*end]);
    }
    for (k, v) in &mutation.entries {
        if let Some(v) = v {
            jsonb::write_string(out, k);
            jsonb::write_string(out, v);
        }
    }
    out.push(jsonb::OBJECT_END);
    let len = (out.len() - length_at - 4) as u32;
    out[length_at..length_at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

/// What reading a request's leading values needs from a serialization's reader.
trait RequestReader<'a> {
    fn error(&self, problem: &str) -> String;
    /// The next value, a string (or null), at most `max_chars` long.
    fn read_text(&mut self, what: &str, max_chars: usize) -> Result<Option<Cow<'a, str>>, String>;
    /// The next value, a String[]; None after skipping another value.
    fn read_text_list(&mut self, what: &str, max_chars: usize) -> Result<Option<Vec<String>>, String>;
    fn skip_argument(&mut self) -> Result<(), String>;
}

impl<'a> RequestReader<'a> for Reader<'a> {
    fn error(&self, problem: &str) -> String {
        Reader::error(self, problem)
    }
    fn read_text(&mut self, what: &str, max_chars: usize) -> Result<Option<Cow<'a, str>>, String> {
        self.read_string(what, max_chars)
    }
    fn read_text_list(&mut self, what: &str, max_chars: usize) -> Result<Option<Vec<String>>, String> {
        self.read_string_list(what, max_chars)
    }
    fn skip_argument(&mut self) -> Result<(), String> {
        self.skip(0)
    }
}

impl<'a> RequestReader<'a> for jsonb::Reader<'a> {
    fn error(&self, problem: &str) -> String {
        jsonb::Reader::error(self, problem)
    }
    fn read_text(&mut self, what: &str, max_chars: usize) -> Result<Option<Cow<'a, str>>, String> {
        self.read_string_value(what, max_chars)
    }
    fn read_text_list(&mut self, what: &str, max_chars: usize) -> Result<Option<Vec<String>>, String> {
        self.read_string_list_value(what, max_chars)
    }
    fn skip_argument(&mut self) -> Result<(), String> {
        self.skip_value("an argument")
    }
}

/// The values before the attachments, the same in every serialization: dubbo version, service
/// path, version, method, parameter types (the generic call's real method and types), arguments.
fn read_call<'a, R: RequestReader<'a>>(r: &mut R, metadata: &mut Metadata) -> Result<(), String> {
    let dubbo_version = r.read_text("the dubbo version", MAX_VALUE_CHARS)?;
    let service = r.read_text("the service path", MAX_VALUE_CHARS)?;
    let version = r.read_text("the service version", MAX_VALUE_CHARS)?;
    let method = r.read_text("the method name", MAX_VALUE_CHARS)?;
    let types = r.read_text("the parameter types", usize::MAX)?;
    let (Some(service), Some(method)) = (service, method) else {
        return Err(r.error("request without service path or method name"));
    };
    let mut params = parameter_count(types.as_deref().unwrap_or(""))?;
    if params >= 2 && is_generic(&method, types.as_deref()) {
        let real = r.read_text("the generic call's method name", MAX_VALUE_CHARS)?;
        let real_types = r.read_text_list("the generic call's parameter types", MAX_VALUE_CHARS)?;
        generic_call(metadata, real, real_types);
        params -= 2;
    }
    call_metadata(metadata, dubbo_version, &service, version, &method);
    for _ in 0..params {
        r.skip_argument()?;
    }
    Ok(())
}

/// Reads an attachments map (or null) at `r` into `metadata`; with `entries`, records each entry.
fn read_attachments(r: &mut Reader, metadata: &mut Metadata, mut entries: Option<&mut Entries>) -> Result<(), String> {
    let tag = r.peek()?;
    if tag == b'N' {
        return Ok(());
    }
    if tag != b'H' && tag != b'M' {
        return Err(r.error(&format!("expected the attachments map, found tag 0x{tag:02x}")));
    }
    r.read_map_start(tag)?;
    let mut taken = 0;
    while r.peek()? != b'Z' {
        let entry_start = r.pos;
        let key = r.read_scalar_or_skip("an attachment key", MAX_VALUE_CHARS)?;
        let value = r.read_scalar_or_skip("an attachment value", MAX_VALUE_CHARS)?;
        if let (Some(k), Some(v)) = (&key, &value) {
            // Body fields win over attachments of the same name, the first attachment over later ones.
            if taken < MAX_METADATA_KEYS && !metadata.contains(k) {
                metadata.put(k, v);
                taken += 1;
            }
        }
        if let Some(e) = entries.as_deref_mut() {
            e.push((entry_start, r.pos, key.map(Cow::into_owned)));
        }
    }
    Ok(())
}

/// Writes an attachments map: the unchanged entries of `body` byte for byte, then the sets.
fn write_attachments(out: &mut Vec<u8>, body: &[u8], entries: &Entries, mutation: &Mutation) {
    out.push(b'H');
    for (start, end, key) in entries {
        if key.as_deref().is_some_and(|k| mutation.get(k).is_some()) {
            continue;
        }
        out.extend_from_slice(&body[*start..*end]);
    }
    // The host sends each key once (removals, then sets).
    for (k, v) in &mutation.entries {
        if let Some(v) = v {
            write_string(out, k);
            write_string(out, v);
        }
    }
    out.push(b'Z');
}

fn status_name(status: u8) -> std::borrow::Cow<'static, str> {
    match status {
        20 => "OK".into(),
        30 => "CLIENT_TIMEOUT".into(),
        31 => "SERVER_TIMEOUT".into(),
        35 => "CHANNEL_INACTIVE".into(),
        40 => "BAD_REQUEST".into(),
        50 => "BAD_RESPONSE".into(),
        60 => "SERVICE_NOT_FOUND".into(),
        70 => "SERVICE_ERROR".into(),
        80 => "SERVER_ERROR".into(),
        90 => "CLIENT_ERROR".into(),
        100 => "SERVER_THREADPOOL_EXHAUSTED_ERROR".into(),
        n => format!("STATUS_{n}").into(),
    }
}

/// What a response says for retries, as the native codec classifies it: an OK status whose body
/// starts with RESPONSE_WITH_EXCEPTION(_WITH_ATTACHMENTS) (hessian2 ints 0x90, 0x93) carries a
/// business exception.
fn class_of(status: u8, flags: u8, body: &[u8]) -> ResponseClass {
    match status {
        OK if flags & FLAG_EVENT == 0 && flags & SERIALIZATION == HESSIAN2 && matches!(body.first(), Some(0x90 | 0x93)) => ResponseClass::ApplicationException,
        OK if flags & FLAG_EVENT == 0 && flags & SERIALIZATION == FASTJSON2 && matches!(jsonb::Reader::new(body).read_integer_value("the response type"), Ok(0 | 3)) => ResponseClass::ApplicationException,
        OK => ResponseClass::Success,
        30 | 31 => ResponseClass::ServerTimeout,
        35 | 50 | 60 | 70 | 80 => ResponseClass::ServerError,
        40 | 90 => ResponseClass::RequestRejected,
        100 => ResponseClass::Overloaded,
        _ => ResponseClass::Unknown,
    }
}

fn status_of(error: ErrorType) -> u8 {
    use ErrorType::*;
    match error {
        RouteNotFound | ClusterNotFound => 60,
        NoHealthyUpstream | UpstreamConnectFailure | UpstreamReset => 70,
        Timeout => 31,
        Overloaded | RateLimited => 100,
        CodecFailure => 40,
        LocalReply | Internal => 80,
    }
}

/// Counts the parameters in a JVM descriptor such as `Ljava/lang/String;[I[[Lx/Y;J`.
fn parameter_count(desc: &str) -> Result<usize, String> {
    let bytes = desc.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'[' => {
                i += 1;
                continue;
            }
            b'L' => {
                i += bytes[i..].iter().position(|&b| b == b';')
                    .ok_or_else(|| format!("dubbo: unterminated class name in parameter types '{desc}'"))?;
            }
            b'Z' | b'B' | b'C' | b'D' | b'F' | b'I' | b'J' | b'S' | b'V' => {}
            _ => return Err(format!("dubbo: invalid parameter types '{desc}'")),
        }
        n += 1;
        i += 1;
    }
    Ok(n)
}

impl Dubbo {
    /// Parses a request body into metadata; with `spans`, also where each attachment is.
    fn parse_request(&self, flags: u8, body: &[u8], metadata: &mut Metadata, spans: bool) -> Result<Option<Attachments>, String> {
        let serialization = flags & SERIALIZATION;
        if serialization == FASTJSON2 {
            let mut r = jsonb::Reader::new(body);
            read_call(&mut r, metadata)?;
            let mut attachments = Attachments { start: r.pos, entries: Vec::new(), head_end: None, shared: false };
            if !r.at_end() {
                attachments.head_end = read_jsonb_attachments(&mut r, metadata, spans.then_some(&mut attachments.entries), "the attachments")?;
                attachments.shared = r.shared;
            }
            return Ok(spans.then_some(attachments));
        }
        if serialization != HESSIAN2 {
            return Err(format!("dubbo: {}", unsupported("request", serialization)));
        }
        let mut r = Reader::new(body);
        read_call(&mut r, metadata)?;
        let mut attachments = Attachments { start: r.pos, entries: Vec::new(), head_end: None, shared: false };
        if !r.at_end() {
            read_attachments(&mut r, metadata, spans.then_some(&mut attachments.entries))?;
        }
        Ok(spans.then_some(attachments))
    }

    /// Parses an OK hessian2 response body: its type, the value or exception (skipped), the
    /// attachments of a `*_WITH_ATTACHMENTS` type into `metadata` (with `spans`, where each is).
    fn parse_response(&self, flags: u8, body: &[u8], metadata: &mut Metadata, spans: bool) -> Result<ResponseBody, String> {
        if flags & SERIALIZATION == FASTJSON2 {
            return self.parse_fastjson2_response(body, metadata, spans);
        }
        let mut r = Reader::new(body);
        let kind = r.read_int("the response type")?;
        if !(0..=RESPONSE_NULL_VALUE_WITH_ATTACHMENTS).contains(&kind) {
            return Err(r.error(&format!("unknown response type {kind}")));
        }
        let value_start = r.pos;
        if kind != RESPONSE_NULL_VALUE && kind != RESPONSE_NULL_VALUE_WITH_ATTACHMENTS {
            r.skip(0)?;
        }
        let value_end = r.pos;
        let mut entries = Vec::new();
        if kind >= WITH_ATTACHMENTS {
            read_attachments(&mut r, metadata, spans.then_some(&mut entries))?;
        }
        Ok(ResponseBody { kind, value_start, value_end, entries, head_end: None, shared: false })
    }

    /// As `parse_response`, for a fastjson2 body: each part a length-prefixed JSONB document.
    fn parse_fastjson2_response(&self, body: &[u8], metadata: &mut Metadata, spans: bool) -> Result<ResponseBody, String> {
        let mut r = jsonb::Reader::new(body);
        let kind = r.read_integer_value("the response type")?;
        if !(0..=RESPONSE_NULL_VALUE_WITH_ATTACHMENTS as i64).contains(&kind) {
            return Err(r.error(&format!("unknown response type {kind}")));
        }
        let kind = kind as i32;
        let value_start = r.pos;
        if kind != RESPONSE_NULL_VALUE && kind != RESPONSE_NULL_VALUE_WITH_ATTACHMENTS {
            r.skip_value("the response value")?;
        }
        let value_end = r.pos;
        let mut entries = Vec::new();
        let mut head_end = None;
        if kind >= WITH_ATTACHMENTS {
            head_end = read_jsonb_attachments(&mut r, metadata, spans.then_some(&mut entries), "the response attachments")?;
        }
        Ok(ResponseBody { kind, value_start, value_end, entries, head_end, shared: r.shared })
    }

    /// Rewrites an OK response's attachments; one without gains them as its `*_WITH_ATTACHMENTS`
    /// variant. An error status carries only its message.
    fn encode_response(&self, frame: &[u8], mutation: &Mutation) -> Reply {
        let (flags, status) = (frame[2], frame[3]);
        if flags & FLAG_EVENT != 0 {
            return Reply::Error("dubbo: an event response carries no attachments".into());
        }
        if status != OK {
            return Reply::Error(format!("dubbo: a response with status {} carries only an error message, no attachments", status_name(status)));
        }
        let serialization = flags & SERIALIZATION;
        if serialization != HESSIAN2 && serialization != FASTJSON2 {
            return Reply::Error(format!("dubbo: {}", unsupported("response", serialization)));
        }
        let body = &frame[HEADER..];
        let mut scratch = Vec::new();
        let mut ignored = Metadata::for_tests(&mut scratch);
        let parsed = match self.parse_response(flags, body, &mut ignored, true) {
            Ok(p) => p,
            Err(e) => return Reply::Error(e),
        };
        let had = parsed.kind >= WITH_ATTACHMENTS;
        if !had && mutation.entries.iter().all(|(_, v)| v.is_none()) {
            return Reply::Data(frame.to_vec()); // nothing to remove from a response without attachments
        }
        let mut out = Vec::with_capacity(frame.len() + 64);
        out.extend_from_slice(&frame[..HEADER]);
        let kind = if had { parsed.kind } else { parsed.kind + WITH_ATTACHMENTS };
        if serialization == FASTJSON2 {
            // fastjson2 writes the type byte as a JSONB int8 document.
            out.extend_from_slice(&[0, 0, 0, 2, jsonb::INT8, kind as u8]);
            out.extend_from_slice(&body[parsed.value_start..parsed.value_end]);
            if let Err(e) = write_jsonb_attachments(&mut out, body, parsed.value_end, parsed.head_end, &parsed.entries, parsed.shared, mutation) {
                return Reply::Error(e);
            }
        } else {
            out.push((0x90 + kind) as u8);
            out.extend_from_slice(&body[parsed.value_start..parsed.value_end]);
            write_attachments(&mut out, body, &parsed.entries, mutation);
        }
        let body_len = (out.len() - HEADER) as u32;
        out[12..16].copy_from_slice(&body_len.to_be_bytes());
        Reply::Data(out)
    }

    fn decode_frame(&self, input: &[u8], metadata: &mut Metadata) -> Result<Decoded, String> {
        if input.first().is_some_and(|&b| b != 0xda) || input.get(1).is_some_and(|&b| b != 0xbb) {
            let shown: String = input.iter().take(2).map(|b| format!("{b:02x}")).collect();
            return Err(format!("dubbo: expected magic 0xdabb, found 0x{shown}"));
        }
        if input.len() < HEADER {
            return Ok(Decoded::NeedMore(0));
        }
        let body_len = u32::from_be_bytes([input[12], input[13], input[14], input[15]]);
        if body_len as usize > self.max_body {
            return Err(format!("dubbo: body length {body_len} exceeds the limit of {} bytes", self.max_body));
        }
        let total = HEADER + body_len as usize;
        if input.len() < total {
            return Ok(Decoded::NeedMore(total));
        }
        let flags = input[2];
        let id = u64::from_be_bytes(input[4..12].try_into().unwrap_or([0; 8]));
        let body = &input[HEADER..total];
        let frame = |message_type, status| Decoded::Frame(FrameInfo { consumed: total, message_type, request_id: id, id_offset: 4, id_width: 8, status, response_class: ResponseClass::Unknown, unreadable: false });
        if flags & FLAG_REQUEST == 0 {
            let status = input[3];
            if flags & FLAG_EVENT != 0 {
                metadata.put("event", "true");
            } else if status == OK && matches!(flags & SERIALIZATION, HESSIAN2 | FASTJSON2) && !body.is_empty() {
                // The client, not the proxy, judges a response: one that does not parse is
                // forwarded with the attachments read so far (a re-encode of it fails).
                let _ = self.parse_response(flags, body, metadata, false);
            }
            let kind = if status == OK { MessageType::Response } else { MessageType::Error };
            let response_class = class_of(status, flags, body);
            return Ok(Decoded::Frame(FrameInfo { consumed: total, message_type: kind, request_id: id, id_offset: 4, id_width: 8, status: Some(status_name(status)), response_class, unreadable: false }));
        }
        if flags & FLAG_EVENT != 0 {
            if flags & FLAG_TWO_WAY != 0 {
                return Ok(frame(MessageType::Heartbeat, None));
            }
            let mut data = None;
            if flags & SERIALIZATION == HESSIAN2 && !body.is_empty() {
                data = Reader::new(body).read_scalar_or_skip("event data", MAX_VALUE_CHARS)?;
            } else if flags & SERIALIZATION == FASTJSON2 && !body.is_empty() {
                let mut r = jsonb::Reader::new(body);
                r.begin_value("event data")?;
                data = r.read_scalar_or_skip("event data", MAX_VALUE_CHARS)?;
            }
            metadata.put("event", data.as_deref().unwrap_or("unknown"));
            return Ok(frame(MessageType::Event, None));
        }
        let message_type = if flags & FLAG_TWO_WAY != 0 { MessageType::Request } else { MessageType::Oneway };
        let serialization = flags & SERIALIZATION;
        if serialization != HESSIAN2 && serialization != FASTJSON2 {
            // The framing is Dubbo's whatever the body: the host answers the call, keeps the connection.
            return Ok(Decoded::Frame(FrameInfo { consumed: total, message_type, request_id: id, id_offset: 4, id_width: 8, status: Some(unsupported("request", serialization).into()), response_class: ResponseClass::Unknown, unreadable: true }));
        }
        self.parse_request(flags, body, metadata, false)?;
        Ok(frame(message_type, None))
    }
}

fn response(id: &[u8], flags: u8, status: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(&[0xda, 0xbb, flags, status]);
    out.extend_from_slice(id);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

impl Codec for Dubbo {
    type Connection = ();

    fn new(config: &[u8]) -> Result<Self, String> {
        Ok(Dubbo { max_body: config_number(config, "max_body_size")?.unwrap_or(8 << 20) })
    }

    fn decode(&mut self, _: &mut (), input: &[u8], metadata: &mut Metadata) -> Decoded {
        self.decode_frame(input, metadata).unwrap_or_else(Decoded::Error)
    }

    /// Rewrites the attachments map: unchanged entries copied byte for byte, mutated keys get
    /// string values, removed keys are dropped, new keys appended; the body fields are not touched.
    fn encode(&mut self, _: &mut (), frame: &[u8], mutation: &Mutation) -> Reply {
        if frame.len() < HEADER {
            return Reply::Error("dubbo: no frame to re-encode".into());
        }
        if frame[2] & FLAG_REQUEST == 0 {
            return self.encode_response(frame, mutation);
        }
        if frame[2] & FLAG_EVENT != 0 {
            return Reply::Error("dubbo: only requests and responses can be re-encoded".into());
        }
        let body = &frame[HEADER..];
        let mut scratch = Vec::new();
        let mut ignored = Metadata::for_tests(&mut scratch);
        let attachments = match self.parse_request(frame[2], body, &mut ignored, true) {
            Ok(Some(a)) => a,
            Ok(None) => return Reply::Error("dubbo: no attachments found".into()),
            Err(e) => return Reply::Error(e),
        };
        let mut out = Vec::with_capacity(frame.len() + 64);
        out.extend_from_slice(&frame[..HEADER + attachments.start]);
        if frame[2] & SERIALIZATION == FASTJSON2 {
            if let Err(e) = write_jsonb_attachments(&mut out, body, attachments.start, attachments.head_end, &attachments.entries, attachments.shared, mutation) {
                return Reply::Error(e);
            }
        } else {
            write_attachments(&mut out, body, &attachments.entries, mutation);
        }
        let body_len = (out.len() - HEADER) as u32;
        out[12..16].copy_from_slice(&body_len.to_be_bytes());
        Reply::Data(out)
    }

    fn error_reply(&mut self, _: &mut (), frame: &[u8], error: ErrorType, message: &str) -> Reply {
        if frame.len() < HEADER {
            return Reply::Error("dubbo: no request to answer".into());
        }
        let flags = frame[2];
        if flags & FLAG_TWO_WAY == 0 || flags & FLAG_EVENT != 0 {
            return Reply::NoReply;
        }
        let mut body = Vec::with_capacity(message.len() + 4);
        write_string(&mut body, message);
        Reply::Data(response(&frame[4..12], HESSIAN2, status_of(error), &body))
    }

    fn heartbeat_reply(&mut self, _: &mut (), frame: &[u8]) -> Reply {
        if frame.len() < HEADER {
            return Reply::Error("dubbo: no heartbeat to answer".into());
        }
        // The reply carries the heartbeat's own body, the sender's serialized null (what Dubbo's
        // CodecSupport.isHeartBeat compares with): hessian2 N, fastjson2 a length and 0xaf.
        let body = &frame[HEADER..];
        let null: &[u8] = if !body.is_empty() && body.len() <= 8 { body } else { b"N" };
        Reply::Data(response(&frame[4..12], FLAG_EVENT | (frame[2] & SERIALIZATION), OK, null))
    }

    /// Dubbo's heartbeat: a two-way event request, hessian2, body null (`N`), as Dubbo's own
    /// HeartbeatHandler sends it; a provider answers with an event response, status OK. No
    /// options.
    fn health_check_request(&mut self, request_id: u64, options: &[u8]) -> Reply {
        if !options.iter().all(|b| b" {}\n\t\r".contains(b)) {
            return Reply::Error("dubbo: the health check takes no options".into());
        }
        let mut out = Vec::with_capacity(HEADER + 1);
        out.extend_from_slice(&[0xda, 0xbb, FLAG_REQUEST | FLAG_TWO_WAY | FLAG_EVENT | HESSIAN2, 0]);
        out.extend_from_slice(&request_id.to_be_bytes());
        out.extend_from_slice(&1u32.to_be_bytes());
        out.push(b'N');
        Reply::Data(out)
    }
}

protean_codec!(Dubbo, encodes_responses, health_check);

#[cfg(test)]
mod tests {
    use super::*;

    /// A request as Dubbo's hessian2 writer lays it out, with a map argument to skip.
    fn request() -> Vec<u8> {
        let mut body = Vec::new();
        for s in ["2.0.2", "a.b.Service", "1.0.0", "greet", "Ljava/lang/String;Ljava/util/Map;"] {
            write_string(&mut body, s);
        }
        write_string(&mut body, "ann");
        body.extend_from_slice(b"H");
        write_string(&mut body, "k");
        body.extend_from_slice(&[0x91, b'Z']); // {"k": 1}
        body.push(b'H');
        for (k, v) in [("group", "g1"), ("x-user", "alice\u{1F600}")] {
            write_string(&mut body, k);
            write_string(&mut body, v);
        }
        write_string(&mut body, "x-num");
        body.push(0xd4); // a three-byte int: 0xd4 0x00 0x2a is 42
        body.extend_from_slice(&[0x00, 0x2a]);
        body.push(b'Z');
        response(&7u64.to_be_bytes(), FLAG_REQUEST | FLAG_TWO_WAY | HESSIAN2, 0, &body)
    }

    fn decode(input: &[u8]) -> (Decoded, Vec<(String, String)>) {
        let mut pairs = Vec::new();
        let mut m = Metadata::for_tests(&mut pairs);
        let d = Dubbo::new(b"{}").unwrap().decode(&mut (), input, &mut m);
        let mut out = Vec::new();
        let mut i = 0;
        let n = |b: &[u8], i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap()) as usize;
        while i < pairs.len() {
            let kl = n(&pairs, i);
            let k = String::from_utf8(pairs[i + 4..i + 4 + kl].to_vec()).unwrap();
            i += 4 + kl;
            let vl = n(&pairs, i);
            let v = String::from_utf8(pairs[i + 4..i + 4 + vl].to_vec()).unwrap();
            i += 4 + vl;
            out.push((k, v));
        }
        (d, out)
    }

    #[test]
    fn decodes_metadata_like_the_java_codec() {
        let frame = request();
        let (d, meta) = decode(&frame);
        assert!(matches!(d, Decoded::Frame(ref f) if f.consumed == frame.len() && f.request_id == 7));
        let get = |k: &str| meta.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("interface"), Some("a.b.Service"));
        assert_eq!(get("method"), Some("greet"));
        assert_eq!(get("version"), Some("1.0.0"));
        assert_eq!(get("group"), Some("g1"));
        assert_eq!(get("x-user"), Some("alice\u{1F600}"));
        assert_eq!(get("x-num"), Some("42"));
    }

    #[test]
    fn classifies_responses_for_retries() {
        let class = |status: u8, body: &[u8]| match decode(&response(&7u64.to_be_bytes(), HESSIAN2, status, body)).0 {
            Decoded::Frame(f) => f.response_class,
            _ => panic!("no frame"),
        };
        assert_eq!(class(OK, &[0x91, b'N']), ResponseClass::Success);
        assert_eq!(class(OK, &[0x90, b'N']), ResponseClass::ApplicationException);
        assert_eq!(class(OK, &[0x93, b'N']), ResponseClass::ApplicationException);
        assert_eq!(class(31, b""), ResponseClass::ServerTimeout);
        assert_eq!(class(70, b""), ResponseClass::ServerError);
        assert_eq!(class(40, b""), ResponseClass::RequestRejected);
        assert_eq!(class(100, b""), ResponseClass::Overloaded);
        assert!(matches!(decode(&request()).0, Decoded::Frame(f) if f.response_class == ResponseClass::Unknown));
    }

    #[test]
    fn every_split_point_needs_more() {
        let frame = request();
        for cut in 0..frame.len() {
            assert!(matches!(decode(&frame[..cut]).0, Decoded::NeedMore(_)), "cut {cut}");
        }
    }

    #[test]
    fn bit_flips_and_truncations_never_panic() {
        let frame = request();
        for i in 0..frame.len() {
            for bit in 0..8 {
                let mut f = frame.clone();
                f[i] ^= 1 << bit;
                let _ = decode(&f);
            }
            if i >= HEADER {
                let mut t = frame[..i].to_vec();
                let n = (i - HEADER) as u32;
                t[12..16].copy_from_slice(&n.to_be_bytes());
                let _ = decode(&t);
            }
        }
    }

    /// An OK response of `kind` (0 exception, 1 value, 2 null, +3 with attachments) as Dubbo writes it.
    fn ok_response(kind: u8, attachments: &[(&str, &str)]) -> Vec<u8> {
        let mut body = vec![0x90 + kind];
        match kind % 3 {
            0 => body.extend_from_slice(b"C\x04Boom\x91\x07message`\x04boom"), // class def + object
            1 => write_string(&mut body, "hello"),
            _ => {}
        }
        if kind >= 3 {
            body.push(b'H');
            for (k, v) in attachments {
                write_string(&mut body, k);
                write_string(&mut body, v);
            }
            body.push(b'Z');
        }
        response(&9u64.to_be_bytes(), HESSIAN2, OK, &body)
    }

    fn mutation_block(entries: &[(&str, Option<&str>)]) -> Vec<u8> {
        let mut b = (entries.len() as u32).to_le_bytes().to_vec();
        for (k, v) in entries {
            b.extend_from_slice(&(k.len() as u32).to_le_bytes());
            b.extend_from_slice(k.as_bytes());
            match v {
                Some(v) => {
                    b.extend_from_slice(&(v.len() as i32).to_le_bytes());
                    b.extend_from_slice(v.as_bytes());
                }
                None => b.extend_from_slice(&(-1i32).to_le_bytes()),
            }
        }
        b
    }

    #[test]
    fn response_attachments_are_metadata() {
        for kind in 0..6u8 {
            let frame = ok_response(kind, &[("dubbo", "2.0.2"), ("x-served", "p1")]);
            let (d, meta) = decode(&frame);
            assert!(matches!(d, Decoded::Frame(ref f) if f.consumed == frame.len()), "kind {kind}");
            let expected: Vec<(String, String)> = if kind >= 3 {
                vec![("dubbo".into(), "2.0.2".into()), ("x-served".into(), "p1".into())]
            } else {
                vec![]
            };
            assert_eq!(meta, expected, "kind {kind}");
        }
    }

    #[test]
    fn responses_are_reencoded_with_a_mutation() {
        for kind in 0..6u8 {
            let frame = ok_response(kind, &[("x-gone", "a"), ("x-kept", "k")]);
            let block = mutation_block(&[("x-gone", None), ("x-added", Some("yes"))]);
            let m = Mutation::parse(&block).unwrap();
            let Reply::Data(out) = Dubbo::new(b"{}").unwrap().encode(&mut (), &frame, &m) else { panic!("kind {kind}") };
            assert_eq!(out[HEADER], 0x90 + if kind >= 3 { kind } else { kind + 3 }, "kind {kind}");
            let (_, meta) = decode(&out);
            let mut expected = vec![("x-added".to_string(), "yes".to_string())];
            if kind >= 3 {
                expected.insert(0, ("x-kept".into(), "k".into()));
            }
            assert_eq!(meta, expected, "kind {kind}");
            // The value or exception is carried byte for byte.
            let value_len = frame.len() - HEADER - 1 - if kind >= 3 { attachments_len(&frame) } else { 0 };
            assert_eq!(&out[HEADER + 1..HEADER + 1 + value_len], &frame[HEADER + 1..HEADER + 1 + value_len]);
        }
    }

    fn attachments_len(frame: &[u8]) -> usize {
        frame.len() - frame.iter().rposition(|&b| b == b'H').unwrap()
    }

    #[test]
    fn an_error_status_cannot_carry_attachments() {
        let mut body = Vec::new();
        write_string(&mut body, "it broke");
        let frame = response(&9u64.to_be_bytes(), HESSIAN2, 70, &body);
        let block = mutation_block(&[("x", Some("y"))]);
        let m = Mutation::parse(&block).unwrap();
        assert!(matches!(Dubbo::new(b"{}").unwrap().encode(&mut (), &frame, &m), Reply::Error(ref e) if e.contains("SERVICE_ERROR")));
        assert!(decode(&frame).1.is_empty());
    }

    #[test]
    fn error_reply_is_a_response_with_the_status_and_message() {
        let Reply::Data(out) = Dubbo::new(b"{}").unwrap().error_reply(&mut (), &request(), ErrorType::RouteNotFound, "no route") else { panic!() };
        assert_eq!(out[3], 60);
        assert_eq!(&out[4..12], &7u64.to_be_bytes());
        let mut r = Reader::new(&out[HEADER..]);
        assert_eq!(r.read_string("m", 100).unwrap().as_deref(), Some("no route"));
    }

    #[test]
    fn the_health_check_is_dubbos_heartbeat_and_its_answer_a_success() {
        let mut d = Dubbo::new(b"{}").unwrap();
        let Reply::Data(out) = d.health_check_request(0x0102, b"{}") else { panic!() };
        // The bytes the Java codec's DubboHeartbeatCheck sends (and Dubbo's HeartbeatHandler).
        assert_eq!(out, [0xda, 0xbb, 0xe2, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1, b'N']);
        assert!(matches!(decode(&out).0, Decoded::Frame(f) if f.message_type == MessageType::Heartbeat));
        // What a Dubbo 3.3 provider answers: an event response, status OK, body null.
        let answer = [0xda, 0xbb, 0x22, 20, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1, b'N'];
        assert!(matches!(decode(&answer).0, Decoded::Frame(f) if f.message_type == MessageType::Response
            && f.response_class == ResponseClass::Success && f.request_id == 0x0102));
        assert!(matches!(d.health_check_request(1, b"{\"x\": 1}"), Reply::Error(ref e) if e.contains("no options")));
    }
}
