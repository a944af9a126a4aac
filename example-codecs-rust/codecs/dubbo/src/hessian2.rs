//! Just enough hessian2 to route a Dubbo request: strings, scalars, and a skip over any value.
//! Every read is checked against the body; nesting is depth-limited; errors name tag and offset.

use std::borrow::Cow;

pub const MAX_DEPTH: usize = 64;
pub const MAX_CLASS_DEFS: usize = 1024;

pub struct Reader<'a> {
    buf: &'a [u8],
    pub pos: usize,
    class_fields: Vec<usize>,
}

pub type Result<T> = std::result::Result<T, String>;

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0, class_fields: Vec::new() }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    #[cold]
    pub fn error(&self, problem: &str) -> String {
        format!("dubbo: hessian2: {problem} at body offset {}", self.pos)
    }

    // The per-byte reads keep their error text in a separate cold function: a function that may
    // format allocates a Wasm shadow-stack frame on every call (a global read and write, which
    // the host runtime makes slow), even when it returns the byte.

    pub fn peek(&self) -> Result<u8> {
        match self.buf.get(self.pos) {
            Some(&b) => Ok(b),
            None => Err(self.truncated(1, "a value")),
        }
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.truncated(1, what)),
        }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        match self.pos.checked_add(n).filter(|&e| e <= self.buf.len()) {
            Some(end) => {
                let s = &self.buf[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(self.truncated(n, what)),
        }
    }

    #[cold]
    #[inline(never)]
    fn truncated(&self, n: usize, what: &str) -> String {
        self.error(&format!("truncated body: {n} more byte(s) needed for {what}"))
    }

    fn be(&mut self, n: usize, what: &str) -> Result<u64> {
        Ok(self.take(n, what)?.iter().fold(0u64, |acc, &b| acc << 8 | b as u64))
    }

    #[cold]
    #[inline(never)]
    fn unexpected(&mut self, tag: u8, what: &str) -> String {
        self.pos -= 1;
        self.error(&format!("unexpected tag 0x{tag:02x} while reading {what}"))
    }

    /// Reads a string or null; longer than `max_chars` is an error. A one-chunk ASCII string
    /// (nearly every metadata string) is borrowed from the body, not copied.
    pub fn read_string(&mut self, what: &str, max_chars: usize) -> Result<Option<Cow<'a, str>>> {
        let tag = self.u8(what)?;
        if tag == b'N' {
            return Ok(None);
        }
        if let Some(s) = self.ascii_chunk(tag, max_chars) {
            return Ok(Some(Cow::Borrowed(s)));
        }
        let mut out = String::new();
        self.string_chunks(tag, what, Some(&mut out), max_chars)?;
        Ok(Some(Cow::Owned(out)))
    }

    /// The string after `tag` if it is one ASCII chunk of at most `max_chars`; else None with the
    /// position unchanged.
    fn ascii_chunk(&mut self, tag: u8, max_chars: usize) -> Option<&'a str> {
        let (len, at) = match tag {
            0x00..=0x1f => (tag as usize, self.pos),
            0x30..=0x33 => ((((tag - 0x30) as usize) << 8) | *self.buf.get(self.pos)? as usize, self.pos + 1),
            b'S' => (u16::from_be_bytes(self.buf.get(self.pos..self.pos + 2)?.try_into().ok()?) as usize, self.pos + 2),
            _ => return None,
        };
        let s = self.buf.get(at..at + len).filter(|s| len <= max_chars && s.is_ascii())?;
        self.pos = at + len;
        Some(ascii_str(s))
    }

    fn string_chunks(&mut self, mut tag: u8, what: &str, mut out: Option<&mut String>, max_chars: usize) -> Result<()> {
        let mut total = 0usize;
        loop {
            let (len, last) = match tag {
                0x00..=0x1f => (tag as usize, true),
                0x30..=0x33 => ((((tag - 0x30) as usize) << 8) | self.u8(what)? as usize, true),
                b'S' | b'R' => (self.be(2, what)? as usize, tag == b'S'),
                _ => return Err(self.unexpected(tag, what)),
            };
            total += len;
            if out.is_some() && total > max_chars {
                return Err(self.error(&format!("{what} is longer than {max_chars} characters")));
            }
            self.chars(len, what, out.as_deref_mut())?;
            if last {
                return Ok(());
            }
            tag = self.u8(what)?;
        }
    }

    /// `len` UTF-16 units of hessian's UTF-8 (a 4-byte sequence counts as two).
    ///
    /// Works on a local index, not through `u8()`: a per-byte call returning a `Result<_, String>`
    /// goes through the Wasm shadow stack, which the host runtime makes slow.
    fn chars(&mut self, len: usize, what: &str, mut out: Option<&mut String>) -> Result<()> {
        let buf = self.buf;
        // Fast path: metadata is nearly always ASCII, where a char is a byte.
        if let Some(ascii) = buf.get(self.pos..self.pos.saturating_add(len)).filter(|s| s.is_ascii()) {
            if let Some(o) = out {
                o.push_str(ascii_str(ascii));
            }
            self.pos += len;
            return Ok(());
        }
        let mut p = self.pos;
        let mut units = 0;
        let mut high: Option<u32> = None; // Java writes a supplementary char as two 3-byte surrogates
        while units < len {
            let Some(&b) = buf.get(p) else {
                self.pos = p;
                return Err(self.error(&format!("truncated body: 1 more byte(s) needed for {what}")));
            };
            let (extra, init) = match b {
                0x00..=0x7f => (0, b as u32),
                0xc0..=0xdf => (1, (b & 0x1f) as u32),
                0xe0..=0xef => (2, (b & 0x0f) as u32),
                0xf0..=0xf7 => (3, (b & 0x07) as u32),
                _ => {
                    self.pos = p;
                    return Err(self.error(&format!("invalid UTF-8 byte 0x{b:02x} in {what}")));
                }
            };
            p += 1;
            let mut cp = init;
            for _ in 0..extra {
                match buf.get(p) {
                    Some(&c) if c & 0xc0 == 0x80 => cp = cp << 6 | (c & 0x3f) as u32,
                    Some(&c) => {
                        self.pos = p;
                        return Err(self.error(&format!("invalid UTF-8 continuation byte 0x{c:02x} in {what}")));
                    }
                    None => {
                        self.pos = p;
                        return Err(self.error(&format!("truncated body: 1 more byte(s) needed for {what}")));
                    }
                }
                p += 1;
            }
            if let Some(o) = out.as_deref_mut() {
                match (high.take(), cp) {
                    (None, 0xd800..=0xdbff) => high = Some(cp),
                    (Some(h), 0xdc00..=0xdfff) => o.push(char::from_u32(0x10000 + ((h - 0xd800) << 10) + (cp - 0xdc00)).unwrap_or('\u{fffd}')),
                    (Some(_), _) => {
                        o.push('\u{fffd}');
                        o.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                    }
                    (None, _) => o.push(char::from_u32(cp).unwrap_or('\u{fffd}')),
                }
            }
            units += if cp >= 0x10000 { 2 } else { 1 };
        }
        self.pos = p;
        if let (Some(o), Some(_)) = (out, high) {
            o.push('\u{fffd}');
        }
        Ok(())
    }

    pub fn read_int(&mut self, what: &str) -> Result<i32> {
        let tag = self.u8(what)?;
        Ok(match tag {
            0x80..=0xbf => tag as i32 - 0x90,
            0xc0..=0xcf => ((tag as i32 - 0xc8) << 8) | self.u8(what)? as i32,
            0xd0..=0xd7 => ((tag as i32 - 0xd4) << 16) | self.be(2, what)? as i32,
            b'I' => self.be(4, what)? as u32 as i32,
            _ => return Err(self.unexpected(tag, what)),
        })
    }

    fn read_long(&mut self, what: &str) -> Result<i64> {
        let tag = self.u8(what)?;
        Ok(match tag {
            0xd8..=0xef => tag as i64 - 0xe0,
            0xf0..=0xff => ((tag as i64 - 0xf8) << 8) | self.u8(what)? as i64,
            0x38..=0x3f => ((tag as i64 - 0x3c) << 16) | self.be(2, what)? as i64,
            0x59 => self.be(4, what)? as u32 as i32 as i64,
            _ => self.be(8, what)? as i64, // 'L'
        })
    }

    /// A string or scalar as text; any other value is skipped (None). Over-long strings are skipped.
    pub fn read_scalar_or_skip(&mut self, what: &str, max_chars: usize) -> Result<Option<Cow<'a, str>>> {
        let tag = self.peek()?;
        match tag {
            0x00..=0x1f | 0x30..=0x33 | b'S' | b'R' => {
                let mark = self.pos;
                match self.read_string(what, max_chars) {
                    Ok(s) => Ok(s),
                    Err(_) => {
                        self.pos = mark;
                        self.skip(0)?;
                        Ok(None)
                    }
                }
            }
            b'T' | b'F' => {
                self.pos += 1;
                Ok(Some(Cow::Borrowed(if tag == b'T' { "true" } else { "false" })))
            }
            0x80..=0xd7 | b'I' => Ok(Some(Cow::Owned(self.read_int(what)?.to_string()))),
            0xd8..=0xff | 0x38..=0x3f | 0x59 | b'L' => Ok(Some(Cow::Owned(self.read_long(what)?.to_string()))),
            _ => {
                self.skip(0)?;
                Ok(None)
            }
        }
    }

    /// A list of strings (a String[]: a typed or untyped fixed-length list); None after
    /// skipping any other value. An element that is no short scalar reads as "?".
    pub fn read_string_list(&mut self, what: &str, max_chars: usize) -> Result<Option<Vec<String>>> {
        let tag = self.peek()?;
        let n = match tag {
            0x70..=0x77 => {
                self.pos += 1;
                self.skip_type()?;
                (tag - 0x70) as usize
            }
            0x78..=0x7f => {
                self.pos += 1;
                (tag - 0x78) as usize
            }
            b'V' | b'X' => {
                self.pos += 1;
                if tag == b'V' {
                    self.skip_type()?;
                }
                let n = self.read_int(what)?;
                self.count(n)?
            }
            _ => {
                self.skip(0)?;
                return Ok(None);
            }
        };
        let mut list = Vec::with_capacity(n.min(16));
        for _ in 0..n {
            list.push(self.read_scalar_or_skip(what, max_chars)?.map_or_else(|| "?".to_string(), Cow::into_owned));
        }
        Ok(Some(list))
    }

    /// Consumes a map start: 'H', or 'M' and its type.
    pub fn read_map_start(&mut self, tag: u8) -> Result<()> {
        self.pos += 1;
        if tag == b'M' {
            self.skip_type()?;
        }
        Ok(())
    }

    /// Skips one value of any type.
    pub fn skip(&mut self, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(self.error(&format!("values nested deeper than {MAX_DEPTH}")));
        }
        let tag = self.u8("a value")?;
        match tag {
            b'N' | b'T' | b'F' | 0x5b | 0x5c | 0x80..=0xbf | 0xd8..=0xef => Ok(()),
            b'I' | 0x59 | 0x5f | 0x4b => self.take(4, "a 32-bit value").map(drop),
            b'L' | b'D' | 0x4a => self.take(8, "a 64-bit value").map(drop),
            0x5d | 0xc0..=0xcf | 0xf0..=0xff => self.take(1, "a short value").map(drop),
            0x5e | 0xd0..=0xd7 | 0x38..=0x3f => self.take(2, "a short value").map(drop),
            0x00..=0x1f | 0x30..=0x33 | b'S' | b'R' => self.string_chunks(tag, "a string", None, usize::MAX),
            0x20..=0x2f | 0x34..=0x37 | b'B' | b'A' => self.skip_binary(tag),
            b'Q' => self.read_int("a reference").map(drop),
            b'H' => self.skip_pairs_until_z(depth),
            b'M' => {
                self.skip_type()?;
                self.skip_pairs_until_z(depth)
            }
            b'U' => {
                self.skip_type()?;
                self.skip_until_z(depth)
            }
            b'W' => self.skip_until_z(depth),
            b'V' => {
                self.skip_type()?;
                let n = self.read_int("a list length")?;
                let n = self.count(n)?;
                self.skip_n(n, depth)
            }
            b'X' => {
                let n = self.read_int("a list length")?;
                let n = self.count(n)?;
                self.skip_n(n, depth)
            }
            b'C' => {
                self.read_class_def()?;
                self.skip(depth) // a definition is followed by the object that uses it
            }
            b'O' => {
                let def = self.read_int("an object definition index")?;
                self.skip_object(def, depth)
            }
            0x60..=0x6f => self.skip_object((tag - 0x60) as i32, depth),
            0x70..=0x77 => {
                self.skip_type()?;
                self.skip_n((tag - 0x70) as usize, depth)
            }
            0x78..=0x7f => self.skip_n((tag - 0x78) as usize, depth),
            _ => Err(self.unexpected(tag, "a value")),
        }
    }

    fn skip_binary(&mut self, mut tag: u8) -> Result<()> {
        loop {
            let (len, last) = match tag {
                0x20..=0x2f => ((tag - 0x20) as usize, true),
                0x34..=0x37 => ((((tag - 0x34) as usize) << 8) | self.u8("binary")? as usize, true),
                b'B' | b'A' => (self.be(2, "binary")? as usize, tag == b'B'),
                _ => return Err(self.unexpected(tag, "a binary chunk")),
            };
            self.take(len, "binary data")?;
            if last {
                return Ok(());
            }
            tag = self.u8("binary")?;
        }
    }

    fn skip_type(&mut self) -> Result<()> {
        let tag = self.peek()?;
        if matches!(tag, 0x00..=0x1f | 0x30..=0x33 | b'S' | b'R') {
            self.pos += 1;
            self.string_chunks(tag, "a type name", None, usize::MAX)
        } else {
            self.read_int("a type reference").map(drop)
        }
    }

    /// Every element takes at least one byte: a larger count cannot be honest.
    fn count(&self, n: i32) -> Result<usize> {
        if n < 0 || n as usize > self.buf.len() - self.pos {
            return Err(self.error(&format!("list length {n} exceeds the remaining body")));
        }
        Ok(n as usize)
    }

    fn skip_n(&mut self, n: usize, depth: usize) -> Result<()> {
        for _ in 0..n {
            self.skip(depth + 1)?;
        }
        Ok(())
    }

    fn skip_until_z(&mut self, depth: usize) -> Result<()> {
        while self.peek()? != b'Z' {
            self.skip(depth + 1)?;
        }
        self.pos += 1;
        Ok(())
    }

    fn skip_pairs_until_z(&mut self, depth: usize) -> Result<()> {
        while self.peek()? != b'Z' {
            self.skip(depth + 1)?;
            self.skip(depth + 1)?;
        }
        self.pos += 1;
        Ok(())
    }

    fn read_class_def(&mut self) -> Result<()> {
        if self.class_fields.len() >= MAX_CLASS_DEFS {
            return Err(self.error(&format!("more than {MAX_CLASS_DEFS} class definitions")));
        }
        let tag = self.u8("a class name")?;
        self.string_chunks(tag, "a class name", None, usize::MAX)?;
        let n = self.read_int("a field count")?;
        let fields = self.count(n)?;
        for _ in 0..fields {
            let tag = self.u8("a field name")?;
            self.string_chunks(tag, "a field name", None, usize::MAX)?;
        }
        self.class_fields.push(fields);
        Ok(())
    }

    fn skip_object(&mut self, def: i32, depth: usize) -> Result<()> {
        let fields = usize::try_from(def).ok().and_then(|d| self.class_fields.get(d).copied())
            .ok_or_else(|| self.error(&format!("object refers to class definition {def} of {}", self.class_fields.len())))?;
        self.skip_n(fields, depth)
    }
}

/// Bytes already checked to be ASCII as a str, without validating them a second time (on the
/// host runtime every byte read is a bounds-checked call: UTF-8 validation was a tenth of a decode).
fn ascii_str(ascii: &[u8]) -> &str {
    debug_assert!(ascii.is_ascii());
    // SAFETY: callers pass only bytes for which `is_ascii()` held, and ASCII is valid UTF-8.
    unsafe { std::str::from_utf8_unchecked(ascii) }
}

/// Appends a hessian2 string the way Hessian's Java writer does.
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut offset = 0;
    while units.len() - offset > 0x8000 {
        let mut n = 0x8000;
        if (0xd800..0xdc00).contains(&units[offset + n - 1]) {
            n -= 1; // never split a surrogate pair
        }
        out.push(b'R');
        out.extend_from_slice(&(n as u16).to_be_bytes());
        write_units(out, &units[offset..offset + n]);
        offset += n;
    }
    let n = units.len() - offset;
    if n <= 0x1f {
        out.push(n as u8);
    } else if n <= 0x3ff {
        out.push(0x30 + (n >> 8) as u8);
        out.push(n as u8);
    } else {
        out.push(b'S');
        out.extend_from_slice(&(n as u16).to_be_bytes());
    }
    write_units(out, &units[offset..]);
}

/// Each UTF-16 unit as 1 to 3 bytes (surrogates one by one, as Hessian does).
fn write_units(out: &mut Vec<u8>, units: &[u16]) {
    for &c in units {
        let c = c as u32;
        if c < 0x80 {
            out.push(c as u8);
        } else if c < 0x800 {
            out.extend_from_slice(&[0xc0 | (c >> 6) as u8, 0x80 | (c & 0x3f) as u8]);
        } else {
            out.extend_from_slice(&[0xe0 | (c >> 12) as u8, 0x80 | ((c >> 6) & 0x3f) as u8, 0x80 | (c & 0x3f) as u8]);
        }
    }
}
