//! TinyRPC, a small custom protocol in the spirit of Aeraki's awesomerpc (see ../../README.md):
//!
//! ```text
//! 0  2  magic "tr"        4  4  request id (u32)       12 2  header count H
//! 2  1  version 1         8  4  payload length N       then H × {u16 len, key, u16 len, value}
//! 3  1  flags: 0x01 response, 0x02 oneway, 0x04 heartbeat, 0x08 error   then the body
//! ```
//! All integers big-endian. Metadata = the headers, in order.

use protean_codec_sdk::{config_number, protean_codec, Codec, Decoded, ErrorType, FrameInfo, Metadata, MessageType, Mutation, Reply, ResponseClass};

const HEADER: usize = 12;
const RESPONSE: u8 = 0x01;
const ONEWAY: u8 = 0x02;
const HEARTBEAT: u8 = 0x04;
const ERROR: u8 = 0x08;

pub struct TinyRpc {
    max_payload: usize,
}

/// A frame's parts, as positions in its bytes.
struct Parsed<'a> {
    flags: u8,
    id: u32,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
}

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl TinyRpc {
    /// Checks the fixed header; returns the whole frame length once it is known.
    fn frame_len(&self, input: &[u8]) -> Result<Option<usize>, String> {
        if input.len() >= 2 && &input[..2] != b"tr" {
            return Err(format!("tinyrpc: expected magic \"tr\", found {:02x}{:02x}", input[0], input[1]));
        }
        if input.len() >= 3 && input[2] != 1 {
            return Err(format!("tinyrpc: unsupported version {}", input[2]));
        }
        let Some(n) = be32(input, 8) else { return Ok(None) };
        if n as usize > self.max_payload || n < 2 {
            return Err(format!("tinyrpc: payload length {n} outside 2..={}", self.max_payload));
        }
        Ok(Some(HEADER + n as usize))
    }

    fn parse<'a>(&self, frame: &'a [u8]) -> Result<Parsed<'a>, String> {
        let count = be16(frame, HEADER).ok_or("tinyrpc: missing header count")?;
        let mut at = HEADER + 2;
        let mut headers = Vec::with_capacity(count);
        for i in 0..count {
            let mut text = || -> Result<&'a str, String> {
                let len = be16(frame, at).ok_or(format!("tinyrpc: header {i} runs past the payload"))?;
                let bytes = frame.get(at + 2..at + 2 + len).ok_or(format!("tinyrpc: header {i} runs past the payload"))?;
                at += 2 + len;
                std::str::from_utf8(bytes).map_err(|_| format!("tinyrpc: header {i} is not UTF-8"))
            };
            let key = text()?;
            let value = text()?;
            headers.push((key, value));
        }
        Ok(Parsed { flags: frame[3], id: be32(frame, 4).unwrap_or(0), headers, body: &frame[at..] })
    }
}

/// Writes a frame with these flags, id, headers and body.
fn write_frame<'k>(flags: u8, id: u32, headers: impl IntoIterator<Item = (&'k str, &'k str)>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + 2 + body.len() + 64);
    out.extend_from_slice(b"tr");
    out.push(1);
    out.push(flags);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0; 4]); // payload length, patched below
    out.extend_from_slice(&[0; 2]); // header count, patched below
    let mut count: u16 = 0;
    for (k, v) in headers {
        out.extend_from_slice(&(k.len() as u16).to_be_bytes());
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(&(v.len() as u16).to_be_bytes());
        out.extend_from_slice(v.as_bytes());
        count += 1;
    }
    out.extend_from_slice(body);
    let payload = (out.len() - HEADER) as u32;
    out[8..12].copy_from_slice(&payload.to_be_bytes());
    out[12..14].copy_from_slice(&count.to_be_bytes());
    out
}

impl Codec for TinyRpc {
    type Connection = ();

    fn new(config: &[u8]) -> Result<Self, String> {
        Ok(TinyRpc { max_payload: config_number(config, "max_payload")?.unwrap_or(4 << 20) })
    }

    fn decode(&mut self, _: &mut (), input: &[u8], metadata: &mut Metadata) -> Decoded {
        let len = match self.frame_len(input) {
            Err(e) => return Decoded::Error(e),
            Ok(None) => return Decoded::NeedMore(0),
            Ok(Some(len)) if len > input.len() => return Decoded::NeedMore(len),
            Ok(Some(len)) => len,
        };
        let frame = &input[..len];
        let parsed = match self.parse(frame) {
            Ok(p) => p,
            Err(e) => return Decoded::Error(e),
        };
        for (k, v) in &parsed.headers {
            metadata.put(k, v);
        }
        let f = parsed.flags;
        let (message_type, status) = if f & RESPONSE != 0 {
            if f & ERROR != 0 { (MessageType::Error, Some("ERROR".into())) } else { (MessageType::Response, Some("OK".into())) }
        } else if f & HEARTBEAT != 0 {
            (MessageType::Heartbeat, None)
        } else if f & ONEWAY != 0 {
            (MessageType::Oneway, None)
        } else {
            (MessageType::Request, None)
        };
        // An ERROR response says nothing of why: of unknown class, never retried.
        let response_class = if message_type == MessageType::Response { ResponseClass::Success } else { ResponseClass::Unknown };
        Decoded::Frame(FrameInfo { consumed: len, message_type, request_id: parsed.id as u64, id_offset: 4, id_width: 4, status, response_class, unreadable: false })
    }

    fn encode(&mut self, _: &mut (), frame: &[u8], mutation: &Mutation) -> Reply {
        let parsed = match self.parse(frame) {
            Ok(p) => p,
            Err(e) => return Reply::Error(e),
        };
        let kept = parsed.headers.iter().filter_map(|&(k, v)| match mutation.get(k) {
            Some(Some(new)) => Some((k, new)),
            Some(None) => None,
            None => Some((k, v)),
        });
        let added = mutation.entries.iter().filter(|(k, v)| v.is_some() && !parsed.headers.iter().any(|(h, _)| h == k))
            .map(|&(k, v)| (k, v.unwrap_or("")));
        Reply::Data(write_frame(parsed.flags, parsed.id, kept.chain(added), parsed.body))
    }

    fn error_reply(&mut self, _: &mut (), frame: &[u8], error: ErrorType, message: &str) -> Reply {
        match frame.get(3) {
            Some(f) if f & ONEWAY != 0 => Reply::NoReply,
            Some(_) => Reply::Data(write_frame(RESPONSE | ERROR, be32(frame, 4).unwrap_or(0),
                [("status", error.name()), ("message", message)], &[])),
            None => Reply::Error("tinyrpc: no request to answer".into()),
        }
    }

    fn heartbeat_reply(&mut self, _: &mut (), frame: &[u8]) -> Reply {
        Reply::Data(write_frame(RESPONSE | HEARTBEAT, be32(frame, 4).unwrap_or(0), [], &[]))
    }
}

protean_codec!(TinyRpc);

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> TinyRpc {
        TinyRpc::new(b"{}").unwrap()
    }

    fn decode(input: &[u8]) -> (Decoded, Vec<u8>) {
        let mut pairs = Vec::new();
        let d = codec().decode(&mut (), input, &mut Metadata::for_tests(&mut pairs));
        (d, pairs)
    }

    fn request() -> Vec<u8> {
        write_frame(0, 7, [("method", "getUser"), ("user", "42")], b"hello")
    }

    #[test]
    fn every_split_point_needs_more_then_decodes() {
        let frame = request();
        for cut in 0..frame.len() {
            assert!(matches!(decode(&frame[..cut]).0, Decoded::NeedMore(_)), "cut {cut}");
        }
        match decode(&frame).0 {
            Decoded::Frame(f) => {
                assert_eq!(f.consumed, frame.len());
                assert_eq!(f.request_id, 7);
                assert_eq!(f.message_type, MessageType::Request);
            }
            _ => panic!("no frame"),
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
            let mut t = frame[..i.max(12)].to_vec();
            if t.len() >= 12 {
                let n = (t.len() - 12) as u32;
                t[8..12].copy_from_slice(&n.to_be_bytes());
            }
            let _ = decode(&t);
        }
    }

    #[test]
    fn mutation_keeps_order_replaces_removes_and_appends() {
        let frame = request();
        let block = {
            let mut b = Vec::new();
            b.extend_from_slice(&3u32.to_le_bytes());
            for (k, v) in [("user", Some("43")), ("method", None), ("x-new", Some("v"))] {
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
        };
        let m = Mutation::parse(&block).unwrap();
        let Reply::Data(out) = codec().encode(&mut (), &frame, &m) else { panic!("no data") };
        let p = codec().parse(&out).unwrap();
        assert_eq!(p.headers, vec![("user", "43"), ("x-new", "v")]);
        assert_eq!(p.body, b"hello");
    }

    #[test]
    fn error_reply_names_the_error_and_oneway_gets_none() {
        let Reply::Data(out) = codec().error_reply(&mut (), &request(), ErrorType::Timeout, "late") else { panic!() };
        let p = codec().parse(&out).unwrap();
        assert_eq!(p.flags, RESPONSE | ERROR);
        assert_eq!(p.id, 7);
        assert_eq!(p.headers, vec![("status", "TIMEOUT"), ("message", "late")]);
        let oneway = write_frame(ONEWAY, 1, [], b"");
        assert!(matches!(codec().error_reply(&mut (), &oneway, ErrorType::Timeout, "x"), Reply::NoReply));
    }
}
