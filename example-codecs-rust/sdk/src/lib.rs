//! Guest SDK for Protean's codec ABI v1 (`wasm-abi/ABI.md`).
//!
//! Layering, as in proxy-wasm-rust-sdk: raw imports ([`hostcalls`]) → a dispatcher (the ABI
//! exports, generated once by [`protean_codec!`], routing by connection id) → the [`Codec`] trait,
//! the only thing a codec author implements.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Connection ids are small distinct integers: the id is its own hash (no SipHash per frame).
#[doc(hidden)]
#[derive(Default)]
pub struct ConnectionIdHasher(u64);

impl Hasher for ConnectionIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0 << 8 | b as u64;
        }
    }

    fn write_i32(&mut self, n: i32) {
        self.0 = n as u32 as u64;
    }
}

pub mod hostcalls {
    //! Raw host imports.
    #[link(wasm_import_module = "env")]
    extern "C" {
        fn proxy_log(level: i32, ptr: *const u8, len: i32) -> i32;
    }

    /// Logs through the proxy (levels as proxy-wasm: 0 trace .. 5 critical).
    pub fn log(level: i32, message: &str) {
        // SAFETY: the pointer and length describe a live UTF-8 slice.
        unsafe {
            proxy_log(level, message.as_ptr(), message.len() as i32);
        }
    }
}

/// Reads a top-level number option from the codec's JSON config (`{"max_payload": 65536}`),
/// without a JSON library, to keep modules small. `Ok(None)` when the key is absent.
pub fn config_number(config: &[u8], key: &str) -> Result<Option<usize>, String> {
    let text = std::str::from_utf8(config).map_err(|_| "config is not UTF-8".to_string())?;
    let quoted = format!("\"{key}\"");
    let Some(at) = text.find(&quoted) else { return Ok(None) };
    text[at + quoted.len()..].trim_start_matches([':', ' ']).split(|c: char| !c.is_ascii_digit())
        .next().and_then(|n| n.parse().ok()).map(Some).ok_or(format!("{key}: expected a number"))
}

/// What a decoded frame is (ABI numbering).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MessageType {
    Request = 0,
    Response = 1,
    Oneway = 2,
    Heartbeat = 3,
    Error = 4,
    Event = 5,
}

/// What a response says about its call, for the proxy's retry policies (ABI numbering). A
/// business exception (the service ran the call) is never retried, nor is a refused request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum ResponseClass {
    /// Not said (requests, or a codec that does not classify): never retried.
    #[default]
    Unknown = 0,
    Success = 1,
    /// An exception the service declares or threw: an answer.
    ApplicationException = 2,
    /// The server refused the request itself (bad request, unknown method).
    RequestRejected = 3,
    ServerError = 4,
    ServerTimeout = 5,
    Overloaded = 6,
}

/// Why the proxy answers a request itself (ABI numbering).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    RouteNotFound,
    ClusterNotFound,
    NoHealthyUpstream,
    UpstreamConnectFailure,
    UpstreamReset,
    Timeout,
    Overloaded,
    RateLimited,
    CodecFailure,
    LocalReply,
    Internal,
}

impl ErrorType {
    pub fn from_abi(n: i32) -> ErrorType {
        use ErrorType::*;
        match n {
            0 => RouteNotFound,
            1 => ClusterNotFound,
            2 => NoHealthyUpstream,
            3 => UpstreamConnectFailure,
            4 => UpstreamReset,
            5 => Timeout,
            6 => Overloaded,
            7 => RateLimited,
            8 => CodecFailure,
            9 => LocalReply,
            _ => Internal,
        }
    }

    /// The name the proxy uses (`ROUTE_NOT_FOUND`...).
    pub fn name(self) -> &'static str {
        use ErrorType::*;
        match self {
            RouteNotFound => "ROUTE_NOT_FOUND",
            ClusterNotFound => "CLUSTER_NOT_FOUND",
            NoHealthyUpstream => "NO_HEALTHY_UPSTREAM",
            UpstreamConnectFailure => "UPSTREAM_CONNECT_FAILURE",
            UpstreamReset => "UPSTREAM_RESET",
            Timeout => "TIMEOUT",
            Overloaded => "OVERLOADED",
            RateLimited => "RATE_LIMITED",
            CodecFailure => "CODEC_FAILURE",
            LocalReply => "LOCAL_REPLY",
            Internal => "INTERNAL",
        }
    }
}

/// A decoded frame's header facts.
pub struct FrameInfo {
    /// Bytes the frame occupies.
    pub consumed: usize,
    pub message_type: MessageType,
    pub request_id: u64,
    /// Where the request id sits in the frame (big-endian), and its width: 4, 8, or 0 (none).
    pub id_offset: u32,
    pub id_width: u8,
    /// The response status name, for responses.
    pub status: Option<Cow<'static, str>>,
    /// For responses, what they say about the call (retry policies); `Unknown` for requests.
    pub response_class: ResponseClass,
    /// A request whose framing is sound but whose body this codec cannot read (a serialization
    /// it does not know): the host answers it with the CODEC_FAILURE error reply, `status`
    /// saying why, and keeps the connection.
    pub unreadable: bool,
}

/// The result of [`Codec::decode`].
pub enum Decoded {
    Frame(FrameInfo),
    /// More bytes are needed; the total the frame needs if known, else 0.
    NeedMore(usize),
    /// The bytes are not this protocol; the proxy closes the connection with this message.
    Error(String),
}

/// The result of encode / error reply / heartbeat reply.
pub enum Reply {
    Data(Vec<u8>),
    NoReply,
    Error(String),
}

/// Collects metadata pairs straight into the result block's buffer (no per-key allocation).
pub struct Metadata<'a> {
    pairs: &'a mut Vec<u8>,
    count: u32,
}

impl<'a> Metadata<'a> {
    /// A writer over `pairs`, for codec unit tests run outside the dispatcher.
    pub fn for_tests(pairs: &'a mut Vec<u8>) -> Metadata<'a> {
        Metadata { pairs, count: 0 }
    }

    pub fn put(&mut self, key: &str, value: &str) {
        self.put_bytes(key.as_bytes(), value.as_bytes());
    }

    /// Adds a pair whose bytes are already UTF-8.
    pub fn put_bytes(&mut self, key: &[u8], value: &[u8]) {
        self.pairs.reserve(8 + key.len() + value.len());
        self.pairs.extend_from_slice(&(key.len() as u32).to_le_bytes());
        self.pairs.extend_from_slice(key);
        self.pairs.extend_from_slice(&(value.len() as u32).to_le_bytes());
        self.pairs.extend_from_slice(value);
        self.count += 1;
    }

    /// Whether a pair with this key was put (a scan: metadata is a handful of pairs).
    pub fn contains(&self, key: &str) -> bool {
        let mut r = Reader { buf: &self.pairs[..], pos: 0 };
        while let Some(k) = r.field() {
            if k == key.as_bytes() {
                return true;
            }
            if r.field().is_none() {
                break;
            }
        }
        false
    }

    pub fn len(&self) -> u32 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// A metadata change requested by the proxy's filters: `None` removes the key.
pub struct Mutation<'a> {
    pub entries: Vec<(&'a str, Option<&'a str>)>,
}

impl<'a> Mutation<'a> {
    /// Parses the ABI mutation block; None if it is malformed.
    pub fn parse(block: &'a [u8]) -> Option<Mutation<'a>> {
        let mut r = Reader { buf: block, pos: 0 };
        let count = r.u32()?;
        let mut entries = Vec::with_capacity(count.min(1024) as usize);
        for _ in 0..count {
            let kl = r.u32()? as usize;
            let key = std::str::from_utf8(r.take(kl)?).ok()?;
            let vl = r.u32()? as i32;
            let value = if vl < 0 { None } else { Some(std::str::from_utf8(r.take(vl as usize)?).ok()?) };
            entries.push((key, value));
        }
        Some(Mutation { entries })
    }

    /// The new value for `key`: Some(Some(v)) set, Some(None) removed, None untouched.
    pub fn get(&self, key: &str) -> Option<Option<&'a str>> {
        self.entries.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    /// A field with a 4-byte length prefix, as in the metadata pairs.
    fn field(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}

/// What a codec author implements. One value per module instance (per proxy event loop);
/// `Connection` is per proxied connection.
pub trait Codec: Sized {
    type Connection: Default;

    /// Builds the codec from its YAML config, given as JSON.
    fn new(config: &[u8]) -> Result<Self, String>;

    /// Decodes at most one frame from the start of `input`, writing its metadata into `metadata`.
    fn decode(&mut self, conn: &mut Self::Connection, input: &[u8], metadata: &mut Metadata) -> Decoded;

    /// Re-encodes `frame` with `mutation` applied.
    fn encode(&mut self, conn: &mut Self::Connection, frame: &[u8], mutation: &Mutation) -> Reply;

    /// The protocol's error reply to the request `frame`.
    fn error_reply(&mut self, conn: &mut Self::Connection, frame: &[u8], error: ErrorType, message: &str) -> Reply;

    /// The reply to the heartbeat `frame`.
    fn heartbeat_reply(&mut self, conn: &mut Self::Connection, frame: &[u8]) -> Reply;

    /// The protocol's health-check request (a heartbeat) with request id `request_id`, built from
    /// the JSON `options` of the cluster's `protocol_health_check`; the proxy sends it to check
    /// an endpoint and keep idle connections, and an answer passes when [`Codec::decode`] makes
    /// it a `Response` of class `Success`. Exported only by modules that declare it:
    /// `protean_codec!(MyCodec, health_check)`.
    fn health_check_request(&mut self, _request_id: u64, _options: &[u8]) -> Reply {
        Reply::Error("this codec builds no health-check request".into())
    }
}

/// The dispatcher's state: one per instance.
#[doc(hidden)]
pub struct Dispatcher<C: Codec> {
    codec: Option<C>,
    connections: HashMap<i32, C::Connection, BuildHasherDefault<ConnectionIdHasher>>,
    input: Vec<u8>,
    pairs: Vec<u8>,
    block: Vec<u8>,
}

impl<C: Codec> Default for Dispatcher<C> {
    fn default() -> Self {
        Dispatcher { codec: None, connections: HashMap::default(), input: Vec::new(), pairs: Vec::new(), block: Vec::new() }
    }
}

const FRAME: u32 = 0;
const NEED_MORE: u32 = 1;
const ERROR: u32 = 2;
const OUT_OK: u32 = 0;
const OUT_NO_REPLY: u32 = 1;

#[doc(hidden)]
impl<C: Codec> Dispatcher<C> {
    pub fn input(&mut self, size: i32) -> *mut u8 {
        let size = size.max(0) as usize;
        if self.input.len() < size {
            self.input.resize(size, 0);
        }
        self.input.as_mut_ptr()
    }

    pub fn init(&mut self, config_len: i32) -> i32 {
        let config = self.slice(0, config_len);
        match C::new(config) {
            Ok(codec) => {
                self.codec = Some(codec);
                0
            }
            Err(message) => {
                hostcalls::log(4, &message);
                1
            }
        }
    }

    fn slice(&self, offset: i32, len: i32) -> &[u8] {
        let start = offset.max(0) as usize;
        let end = start.saturating_add(len.max(0) as usize).min(self.input.len());
        &self.input[start.min(end)..end]
    }

    pub fn decode(&mut self, conn: i32, offset: i32, len: i32) -> *const u8 {
        let start = offset.max(0) as usize;
        let end = start.saturating_add(len.max(0) as usize).min(self.input.len());
        let input = &self.input[start.min(end)..end];
        let codec = self.codec.as_mut().expect("protean_codec_init must run first");
        let state = self.connections.entry(conn).or_default();
        self.pairs.clear();
        let mut metadata = Metadata { pairs: &mut self.pairs, count: 0 };
        let result = codec.decode(state, input, &mut metadata);
        let count = metadata.count;
        let b = &mut self.block;
        b.clear();
        b.extend_from_slice(&[0; 12]);
        let (status, n) = match result {
            Decoded::NeedMore(total) => (NEED_MORE, total as u32),
            Decoded::Error(message) => {
                b.extend_from_slice(message.as_bytes());
                (ERROR, message.len() as u32)
            }
            Decoded::Frame(f) => {
                b.push(f.message_type as u8);
                b.push(f.id_width);
                b.extend_from_slice(&[f.response_class as u8, f.unreadable as u8]);
                b.extend_from_slice(&f.id_offset.to_le_bytes());
                b.extend_from_slice(&f.request_id.to_le_bytes());
                let status = f.status.as_deref().unwrap_or("");
                b.extend_from_slice(&(status.len() as u32).to_le_bytes());
                b.extend_from_slice(status.as_bytes());
                b.extend_from_slice(&count.to_le_bytes());
                b.extend_from_slice(&self.pairs);
                (FRAME, f.consumed as u32)
            }
        };
        finish(b, status, n)
    }

    /// Runs an output-producing call on the frame at the start of the input buffer.
    pub fn output(&mut self, conn: i32, frame_len: i32, extra_len: i32, call: impl FnOnce(&mut C, &mut C::Connection, &[u8], &[u8]) -> Reply) -> *const u8 {
        let frame_len = frame_len.max(0) as usize;
        let frame_end = frame_len.min(self.input.len());
        let extra_end = frame_end.saturating_add(extra_len.max(0) as usize).min(self.input.len());
        let (frame, extra) = (&self.input[..frame_end], &self.input[frame_end..extra_end]);
        let codec = self.codec.as_mut().expect("protean_codec_init must run first");
        let state = self.connections.entry(conn).or_default();
        let reply = call(codec, state, frame, extra);
        output_block(&mut self.block, &reply)
    }

    /// Builds the health-check request from the options at the start of the input buffer (no
    /// connection: the request belongs to none).
    pub fn health_check_request(&mut self, request_id: i64, options_len: i32) -> *const u8 {
        let options_end = (options_len.max(0) as usize).min(self.input.len());
        let codec = self.codec.as_mut().expect("protean_codec_init must run first");
        let reply = codec.health_check_request(request_id as u64, &self.input[..options_end]);
        output_block(&mut self.block, &reply)
    }

    pub fn connection_closed(&mut self, conn: i32) {
        self.connections.remove(&conn);
    }
}

fn output_block(b: &mut Vec<u8>, reply: &Reply) -> *const u8 {
    b.clear();
    b.extend_from_slice(&[0; 12]);
    let (status, data): (u32, &[u8]) = match reply {
        Reply::Data(d) => (OUT_OK, d),
        Reply::NoReply => (OUT_NO_REPLY, &[]),
        Reply::Error(m) => (ERROR, m.as_bytes()),
    };
    b.extend_from_slice(data);
    finish(b, status, data.len() as u32)
}

fn finish(b: &mut Vec<u8>, status: u32, n: u32) -> *const u8 {
    let len = b.len() as u32;
    b[0..4].copy_from_slice(&len.to_le_bytes());
    b[4..8].copy_from_slice(&status.to_le_bytes());
    b[8..12].copy_from_slice(&n.to_le_bytes());
    b.as_ptr()
}

/// Generates the ABI exports for a [`Codec`] type. Use once per module:
/// `protean_codec_sdk::protean_codec!(MyCodec);`, followed by the optional capabilities the codec
/// has: `encodes_responses` when [`Codec::encode`] also re-encodes responses with a mutation (the
/// module then exports the marker `protean_codec_encodes_responses`, and the proxy lets filters
/// change response metadata), `health_check` when it implements
/// [`Codec::health_check_request`] (the module exports `protean_codec_health_check_request`,
/// and the proxy offers `protocol_health_check` and `upstream_keepalive` on it), e.g.
/// `protean_codec!(MyCodec, encodes_responses, health_check)`.
#[macro_export]
macro_rules! protean_codec {
    ($codec:ty, $($capability:ident),+) => {
        $crate::protean_codec!($codec);
        $( $crate::protean_codec_capability!($codec, $capability); )+
    };
    ($codec:ty) => {
        mod __protean_codec_exports {
            use super::*;
            use $crate::{Dispatcher, ErrorType, Mutation, Reply};

            // Wasm instances are single-threaded: one dispatcher per instance.
            static mut DISPATCHER: Option<Dispatcher<$codec>> = None;

            #[allow(static_mut_refs)]
            fn d() -> &'static mut Dispatcher<$codec> {
                // SAFETY: a Wasm instance runs one call at a time, on one thread.
                unsafe { DISPATCHER.get_or_insert_with(Dispatcher::default) }
            }

            #[no_mangle]
            pub extern "C" fn protean_codec_abi_v1() {}

            #[no_mangle]
            pub extern "C" fn protean_codec_input(size: i32) -> *mut u8 {
                d().input(size)
            }

            #[no_mangle]
            pub extern "C" fn protean_codec_init(config_len: i32) -> i32 {
                d().init(config_len)
            }

            #[no_mangle]
            pub extern "C" fn protean_codec_decode(conn: i32, offset: i32, len: i32) -> *const u8 {
                d().decode(conn, offset, len)
            }

            #[no_mangle]
            pub extern "C" fn protean_codec_encode(conn: i32, frame_len: i32, mutation_len: i32) -> *const u8 {
                d().output(conn, frame_len, mutation_len, |codec, state, frame, block| {
                    match Mutation::parse(block) {
                        Some(m) => <$codec as $crate::Codec>::encode(codec, state, frame, &m),
                        None => Reply::Error("malformed mutation block".into()),
                    }
                })
            }

            #[no_mangle]
            pub extern "C" fn protean_codec_error_reply(conn: i32, frame_len: i32, error: i32, message_len: i32) -> *const u8 {
                d().output(conn, frame_len, message_len, |codec, state, frame, message| {
                    let message = String::from_utf8_lossy(message);
                    <$codec as $crate::Codec>::error_reply(codec, state, frame, ErrorType::from_abi(error), &message)
                })
            }

            #[no_mangle]
            pub extern "C" fn protean_codec_heartbeat_reply(conn: i32, frame_len: i32) -> *const u8 {
                d().output(conn, frame_len, 0, |codec, state, frame, _| {
                    <$codec as $crate::Codec>::heartbeat_reply(codec, state, frame)
                })
            }

            #[no_mangle]
            pub extern "C" fn protean_codec_connection_closed(conn: i32) {
                d().connection_closed(conn)
            }

            /// For the `health_check` capability's export (not exported itself).
            #[allow(dead_code)]
            pub fn health_check_request(request_id: i64, options_len: i32) -> *const u8 {
                d().health_check_request(request_id, options_len)
            }
        }
    };
}

/// One optional capability of [`protean_codec!`] (its exports).
#[doc(hidden)]
#[macro_export]
macro_rules! protean_codec_capability {
    ($codec:ty, encodes_responses) => {
        #[no_mangle]
        pub extern "C" fn protean_codec_encodes_responses() {}
    };
    ($codec:ty, health_check) => {
        #[no_mangle]
        pub extern "C" fn protean_codec_health_check_request(request_id: i64, options_len: i32) -> *const u8 {
            __protean_codec_exports::health_check_request(request_id, options_len)
        }
    };
}
