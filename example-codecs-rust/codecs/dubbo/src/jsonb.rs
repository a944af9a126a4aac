//! Just enough of a Dubbo fastjson2 body to route it, as the native codec's JsonbReader: Dubbo
//! writes each value as a 4-byte big-endian length and one self-contained fastjson2 JSONB
//! document, so arguments are skipped by their length; strings, scalars and the attachments map
//! are read as JSONB (fastjson2's docs/JSONB/jsonb_format_en.md). Every read is checked against
//! the current document; nesting and symbols are limited; errors name the offset.

use std::borrow::Cow;

use crate::hessian2::{MAX_CLASS_DEFS, MAX_DEPTH};

pub const OBJECT: u8 = 0xa6;
pub const OBJECT_END: u8 = 0xa5;
pub const NULL: u8 = 0xaf;
pub const INT8: u8 = 0xbd;
const TYPED_ANY: u8 = 0x92;
const REFERENCE: u8 = 0x93;
const SYMBOL: u8 = 0x7f;

pub type Result<T> = std::result::Result<T, String>;

pub struct Reader<'a> {
    buf: &'a [u8],
    pub pos: usize,
    /// The end of the current document (its length prefix says where).
    end: usize,
    /// Symbols of the current document: number, position after the string's tag, the tag.
    symbols: Vec<(i32, usize, u8)>,
    /// Whether a symbol or reference was met in the current document.
    pub shared: bool,
}

fn is_string(tag: u8) -> bool {
    (0x49..=0x7e).contains(&tag)
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0, end: buf.len(), symbols: Vec::new(), shared: false }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    #[cold]
    pub fn error(&self, problem: &str) -> String {
        format!("dubbo: fastjson2: {problem} at body offset {}", self.pos)
    }

    #[cold]
    fn truncated(&self, n: usize, what: &str) -> String {
        self.error(&format!("truncated value: {n} more byte(s) needed for {what}"))
    }

    #[cold]
    fn unexpected(&mut self, tag: u8, what: &str) -> String {
        self.pos -= 1;
        self.error(&format!("unexpected type 0x{tag:02x} while reading {what}"))
    }

    /// Reads the next value's length prefix and makes it the current document; returns its end.
    pub fn begin_value(&mut self, what: &str) -> Result<usize> {
        let b = self.buf.get(self.pos..self.pos + 4).ok_or_else(|| self.error(&format!("truncated body: a 4-byte length needed for {what}")))?;
        let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
        self.pos += 4;
        if len > self.buf.len() - self.pos {
            return Err(self.error(&format!("{what} of {len} bytes exceeds the body")));
        }
        self.end = self.pos + len;
        self.symbols.clear();
        self.shared = false;
        Ok(self.end)
    }

    pub fn skip_value(&mut self, what: &str) -> Result<()> {
        self.pos = self.begin_value(what)?;
        Ok(())
    }

    pub fn end_value(&mut self, what: &str) -> Result<()> {
        if self.pos != self.end {
            return Err(self.error(&format!("{what} has {} byte(s) after its value", self.end - self.pos)));
        }
        self.end = self.buf.len();
        Ok(())
    }

    pub fn peek(&self, what: &str) -> Result<u8> {
        if self.pos < self.end { Ok(self.buf[self.pos]) } else { Err(self.truncated(1, what)) }
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        let b = self.peek(what)?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.end - self.pos {
            return Err(self.truncated(n, what));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A length-prefixed string (or null), at most `max_chars` long.
    pub fn read_string_value(&mut self, what: &str, max_chars: usize) -> Result<Option<Cow<'a, str>>> {
        self.begin_value(what)?;
        let s = if self.peek(what)? == NULL {
            self.pos += 1;
            None
        } else {
            let tag = self.u8(what)?;
            match self.read_string(tag, what, max_chars)? {
                Some(s) => Some(s),
                None => return Err(self.error(&format!("{what} is longer than {max_chars} characters or not readable"))),
            }
        };
        self.end_value(what)?;
        Ok(s)
    }

    /// A length-prefixed integer of any JSONB int or long encoding.
    pub fn read_integer_value(&mut self, what: &str) -> Result<i64> {
        self.begin_value(what)?;
        let tag = self.u8(what)?;
        let v = match self.integer(tag, what)? {
            Some(v) => v,
            None => return Err(self.unexpected(tag, what)),
        };
        self.end_value(what)?;
        Ok(v)
    }

    /// A length-prefixed String[] (perhaps behind its type name); None after skipping another value.
    pub fn read_string_list_value(&mut self, what: &str, max_chars: usize) -> Result<Option<Vec<String>>> {
        self.begin_value(what)?;
        let mut tag = self.u8(what)?;
        if tag == TYPED_ANY {
            self.skip_type_name()?;
            tag = self.u8(what)?;
        }
        let list = if (0x94..=0xa4).contains(&tag) {
            let n = if tag == 0xa4 { self.length(what)? } else { (tag - 0x94) as usize };
            let mut list = Vec::with_capacity(n.min(16));
            for _ in 0..n {
                list.push(self.read_scalar_or_skip(what, max_chars)?.map_or_else(|| "?".to_string(), Cow::into_owned));
            }
            Some(list)
        } else {
            self.pos -= 1;
            self.skip(0)?;
            None
        };
        self.end_value(what)?;
        Ok(list)
    }

    /// Starts a map (perhaps behind its type name); false for null.
    pub fn read_map_start(&mut self, what: &str) -> Result<bool> {
        let mut tag = self.u8(what)?;
        if tag == TYPED_ANY {
            self.skip_type_name()?;
            tag = self.u8(what)?;
        }
        match tag {
            NULL => Ok(false),
            OBJECT => Ok(true),
            _ => Err(self.unexpected(tag, what)),
        }
    }

    /// True (and consumed) at the end of the object being read.
    pub fn at_object_end(&mut self, what: &str) -> Result<bool> {
        if self.peek(what)? == OBJECT_END {
            self.pos += 1;
            return Ok(true);
        }
        Ok(false)
    }

    /// A map key: a string or a symbol; another key is skipped and gives None.
    pub fn read_name(&mut self, what: &str, max_chars: usize) -> Result<Option<Cow<'a, str>>> {
        let tag = self.peek(what)?;
        if tag == SYMBOL {
            self.pos += 1;
            return self.symbol(what, max_chars);
        }
        if is_string(tag) {
            self.pos += 1;
            return self.read_string(tag, what, max_chars);
        }
        self.skip(0)?;
        Ok(None)
    }

    /// A scalar as text (string, integer, boolean), or None after skipping another value.
    pub fn read_scalar_or_skip(&mut self, what: &str, max_chars: usize) -> Result<Option<Cow<'a, str>>> {
        let tag = self.u8(what)?;
        if is_string(tag) {
            return self.read_string(tag, what, max_chars);
        }
        if tag == 0xb0 || tag == 0xb1 {
            return Ok(Some(Cow::Borrowed(if tag == 0xb1 { "true" } else { "false" })));
        }
        if let Some(v) = self.integer(tag, what)? {
            return Ok(Some(Cow::Owned(v.to_string())));
        }
        self.pos -= 1;
        self.skip(0)?;
        Ok(None)
    }

    /// A string after its tag; None (skipped) when longer than `max_chars` or in GB18030.
    fn read_string(&mut self, tag: u8, what: &str, max_chars: usize) -> Result<Option<Cow<'a, str>>> {
        let len = match tag {
            0x49..=0x78 => (tag - 0x49) as usize,
            0x79..=0x7e => self.length(what)?,
            _ => return Err(self.unexpected(tag, what)),
        };
        let bytes = self.take(len, what)?;
        if max_chars == 0 {
            return Ok(None);
        }
        let s: Cow<'a, str> = match tag {
            0x49..=0x79 if bytes.is_ascii() => Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or_default()),
            0x49..=0x79 => Cow::Owned(bytes.iter().map(|&b| b as char).collect()),
            0x7a => String::from_utf8_lossy(bytes),
            0x7b | 0x7d => Cow::Owned(String::from_utf16_lossy(&bytes.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect::<Vec<_>>())),
            0x7c => Cow::Owned(String::from_utf16_lossy(&bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect::<Vec<_>>())),
            _ => return Ok(None), // GB18030: not decoded here, so not routable
        };
        Ok(if s.chars().count() > max_chars { None } else { Some(s) })
    }

    /// After 0x7f: a symbol's definition (string, number) or a reference to one (number).
    fn symbol(&mut self, what: &str, max_chars: usize) -> Result<Option<Cow<'a, str>>> {
        self.shared = true;
        let tag = self.peek(what)?;
        if is_string(tag) {
            self.pos += 1;
            let at = self.pos;
            let s = self.read_string(tag, what, max_chars)?;
            let n = self.read_int(what)?;
            if self.symbols.len() >= MAX_CLASS_DEFS {
                return Err(self.error(&format!("more than {MAX_CLASS_DEFS} symbols in one value")));
            }
            self.symbols.push((n, at, tag));
            return Ok(s);
        }
        let n = self.read_int(what)?;
        if n < 0 {
            return Err(self.error(&format!("symbol {n} refers to an external symbol table")));
        }
        let Some(&(_, at, tag)) = self.symbols.iter().find(|s| s.0 == n) else {
            return Err(self.error(&format!("symbol {n} is not defined")));
        };
        let save = self.pos;
        self.pos = at;
        let s = self.read_string(tag, what, max_chars);
        self.pos = save;
        s
    }

    /// A JSONB int32 (also every length).
    fn read_int(&mut self, what: &str) -> Result<i32> {
        let tag = self.u8(what)?;
        Ok(match tag {
            0xf0..=0xff | 0x00..=0x2f => tag as i8 as i32,
            0x30..=0x3f => ((tag as i32 - 0x38) << 8) | self.u8(what)? as i32,
            0x40..=0x47 => {
                let b = self.take(2, what)?;
                ((tag as i32 - 0x44) << 16) | (b[0] as i32) << 8 | b[1] as i32
            }
            0x48 => {
                let b = self.take(4, what)?;
                i32::from_be_bytes([b[0], b[1], b[2], b[3]])
            }
            _ => return Err(self.unexpected(tag, what)),
        })
    }

    fn length(&mut self, what: &str) -> Result<usize> {
        let n = self.read_int(what)?;
        if n < 0 || n as usize > self.end - self.pos {
            return Err(self.error(&format!("length {n} of {what} exceeds the value")));
        }
        Ok(n as usize)
    }

    /// An integer of any JSONB int or long encoding after its tag, or None for another type.
    fn integer(&mut self, tag: u8, what: &str) -> Result<Option<i64>> {
        Ok(Some(match tag {
            0xf0..=0xff | 0x00..=0x48 => {
                self.pos -= 1;
                self.read_int(what)? as i64
            }
            0xd8..=0xef => tag as i64 - 0xe0,
            0xc8..=0xd7 => ((tag as i64 - 0xd0) << 8) | self.u8(what)? as i64,
            0xc0..=0xc7 => {
                let b = self.take(2, what)?;
                ((tag as i64 - 0xc4) << 16) | (b[0] as i64) << 8 | b[1] as i64
            }
            INT8 => self.u8(what)? as i8 as i64,
            0xbc => {
                let b = self.take(2, what)?;
                i16::from_be_bytes([b[0], b[1]]) as i64
            }
            0xbf => {
                let b = self.take(4, what)?;
                i32::from_be_bytes([b[0], b[1], b[2], b[3]]) as i64
            }
            0xbe => {
                let b = self.take(8, what)?;
                i64::from_be_bytes(b.try_into().unwrap_or([0; 8]))
            }
            _ => return Ok(None),
        }))
    }

    /// A type name after 0x92: a string and its symbol number, a symbol, or a reference number.
    fn skip_type_name(&mut self) -> Result<()> {
        self.shared = true;
        let tag = self.peek("a type name")?;
        if tag == SYMBOL {
            self.pos += 1;
            self.symbol("a type name", 0)?;
        } else if is_string(tag) {
            self.pos += 1;
            self.read_string(tag, "a type name", 0)?;
            self.read_int("a type name's symbol")?;
        } else {
            self.read_int("a type name reference")?;
        }
        Ok(())
    }

    fn skip_long(&mut self) -> Result<()> {
        let tag = self.u8("a long")?;
        match self.integer(tag, "a long")? {
            Some(_) => Ok(()),
            None => Err(self.unexpected(tag, "a long")),
        }
    }

    /// Skips one JSONB value of any type.
    pub fn skip(&mut self, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(self.error(&format!("values nested deeper than {MAX_DEPTH}")));
        }
        let tag = self.u8("a value")?;
        if is_string(tag) {
            self.read_string(tag, "a string", 0)?;
            return Ok(());
        }
        if (0x94..=0xa4).contains(&tag) {
            let n = if tag == 0xa4 { self.length("an array")? } else { (tag - 0x94) as usize };
            for _ in 0..n {
                self.skip(depth + 1)?;
            }
            return Ok(());
        }
        if self.integer(tag, "an integer")?.is_some() {
            return Ok(());
        }
        match tag {
            NULL | 0xb0..=0xb3 => {}
            0x90 | 0xb6 => {
                self.read_int("a char or float")?;
            }
            0xb7 | 0xac | 0xad | 0xa9 => {
                self.take(4, "a 32-bit value")?;
            }
            0xb5 | 0xab => {
                self.take(8, "a 64-bit value")?;
            }
            0xb4 | 0xb8 | 0xba => self.skip_long()?,
            0xbb | 0x91 => {
                let n = self.length("binary or a big integer")?;
                self.take(n, "binary data")?;
            }
            0xb9 => {
                self.read_int("a decimal's scale")?;
                if self.peek("a decimal")? == 0xbb {
                    self.pos += 1;
                    let n = self.length("a decimal")?;
                    self.take(n, "a decimal")?;
                } else {
                    self.skip_long()?;
                }
            }
            0xa7 => {
                self.take(3, "a local time")?;
                self.read_int("a local time")?;
            }
            0xa8 => {
                self.take(7, "a local date-time")?;
                self.read_int("a local date-time")?;
            }
            0xaa => {
                self.take(7, "a zoned date-time")?;
                self.read_int("a zoned date-time")?;
                let t = self.u8("a zone")?;
                self.read_string(t, "a zone", 0)?;
            }
            0xae => {
                self.skip_long()?;
                self.read_int("a timestamp")?;
            }
            TYPED_ANY => {
                self.skip_type_name()?;
                self.skip(depth + 1)?; // a deeper level: a chain of type names must not recurse unbounded
            }
            REFERENCE => {
                self.shared = true;
                let t = self.u8("a reference")?;
                self.read_string(t, "a reference", 0)?;
            }
            SYMBOL => {
                self.symbol("a symbol", 0)?;
            }
            OBJECT => {
                while !self.at_object_end("an object")? {
                    self.read_name("a field name", 0)?;
                    self.skip(depth + 1)?;
                }
            }
            _ => return Err(self.unexpected(tag, "a value")),
        }
        Ok(())
    }
}

/// Writes a JSONB string as fastjson2 does: latin-1 (0x49 + length up to 47, else 0x79 length),
/// anything else as UTF-8 (0x7a).
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    if s.chars().all(|c| (c as u32) < 0x100) {
        let n = s.chars().count();
        if n <= 47 {
            out.push(0x49 + n as u8);
        } else {
            out.push(0x79);
            write_int(out, n as i32);
        }
        out.extend(s.chars().map(|c| c as u8));
    } else {
        out.push(0x7a);
        write_int(out, s.len() as i32);
        out.extend_from_slice(s.as_bytes());
    }
}

/// A JSONB int32: one byte for -16..47, two for -2048..2047, three for -262144..262143, else five.
pub fn write_int(out: &mut Vec<u8>, v: i32) {
    match v {
        -16..=47 => out.push(v as u8),
        -2048..=2047 => out.extend_from_slice(&[(0x38 + (v >> 8)) as u8, v as u8]),
        -262144..=262143 => out.extend_from_slice(&[(0x44 + (v >> 16)) as u8, (v >> 8) as u8, v as u8]),
        _ => {
            out.push(0x48);
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}
