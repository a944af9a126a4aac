package main

// Just enough hessian2 to route a Dubbo request: strings, scalars, and a skip over any value, as
// example-codecs-rust/codecs/dubbo/src/hessian2.rs (same checks, limits and error text). Every
// read is checked against the body; nesting is depth-limited; errors name the tag and offset.
//
// Written for Go's Wasm port, where every call passes its arguments and results through the Go
// stack in linear memory: the loops work on local copies of the position, what is being read is
// a byte (an index into whats) rather than a string, and error text is built only in functions
// of their own (//go:noinline), so that the functions on the decode path stay small.

import (
	"encoding/binary"
	"strconv"
	"unicode/utf8"
)

const (
	maxDepth     = 64
	maxClassDefs = 1024
	noLimit      = int(^uint(0) >> 1)
)

// what names what is being read, for error messages.
type what uint8

const (
	wValue what = iota
	wShort
	w32
	w64
	wString
	wBinary
	wBinaryData
	wBinaryChunk
	wReference
	wListLength
	wObjectDef
	wTypeName
	wTypeRef
	wClassName
	wFieldCount
	wFieldName
	wDubboVersion
	wService
	wVersion
	wMethod
	wTypes
	wKey
	wAttachmentValue
	wEventData
	wResponseType
)

var whats = [...]string{
	wValue:           "a value",
	wShort:           "a short value",
	w32:              "a 32-bit value",
	w64:              "a 64-bit value",
	wString:          "a string",
	wBinary:          "binary",
	wBinaryData:      "binary data",
	wBinaryChunk:     "a binary chunk",
	wReference:       "a reference",
	wListLength:      "a list length",
	wObjectDef:       "an object definition index",
	wTypeName:        "a type name",
	wTypeRef:         "a type reference",
	wClassName:       "a class name",
	wFieldCount:      "a field count",
	wFieldName:       "a field name",
	wDubboVersion:    "the dubbo version",
	wService:         "the service path",
	wVersion:         "the service version",
	wMethod:          "the method name",
	wTypes:           "the parameter types",
	wKey:             "an attachment key",
	wAttachmentValue: "an attachment value",
	wEventData:       "event data",
	wResponseType:    "the response type",
}

// The kinds of value a tag starts, for skip: one table load instead of a chain of range tests.
const (
	kBad = iota
	kScalar
	kFixed1
	kFixed2
	kFixed4
	kFixed8
	kString
	kBinary
	kRef
	kMap
	kTypedMap
	kList
	kTypedList
	kFixedList
	kTypedFixedList
	kClassDef
	kObject
	kShortObject
	kShortList
	kTypedShortList
)

var kinds [256]uint8

func init() {
	set := func(kind uint8, from, to byte) {
		for t := int(from); t <= int(to); t++ {
			kinds[t] = kind
		}
	}
	for _, t := range []byte{'N', 'T', 'F', 0x5b, 0x5c} {
		kinds[t] = kScalar
	}
	set(kScalar, 0x80, 0xbf)
	set(kScalar, 0xd8, 0xef)
	for _, t := range []byte{'I', 0x59, 0x5f, 0x4b} {
		kinds[t] = kFixed4
	}
	for _, t := range []byte{'L', 'D', 0x4a} {
		kinds[t] = kFixed8
	}
	kinds[0x5d] = kFixed1
	set(kFixed1, 0xc0, 0xcf)
	set(kFixed1, 0xf0, 0xff)
	kinds[0x5e] = kFixed2
	set(kFixed2, 0xd0, 0xd7)
	set(kFixed2, 0x38, 0x3f)
	set(kString, 0x00, 0x1f)
	set(kString, 0x30, 0x33)
	kinds['S'], kinds['R'] = kString, kString
	set(kBinary, 0x20, 0x2f)
	set(kBinary, 0x34, 0x37)
	kinds['B'], kinds['A'] = kBinary, kBinary
	kinds['Q'] = kRef
	kinds['H'] = kMap
	kinds['M'] = kTypedMap
	kinds['W'] = kList
	kinds['U'] = kTypedList
	kinds['X'] = kFixedList
	kinds['V'] = kTypedFixedList
	kinds['C'] = kClassDef
	kinds['O'] = kObject
	set(kShortObject, 0x60, 0x6f)
	set(kShortList, 0x78, 0x7f)
	set(kTypedShortList, 0x70, 0x77)
}

// reader reads one hessian2 body. It is reused from frame to frame (reset), so its buffers are
// allocated once per instance.
type reader struct {
	buf     []byte
	pos     int
	classes []int  // the field count of each class definition read
	text    []byte // strings that could not be borrowed from buf and numbers as text, this body's
	err     string // why the last read failed, or
	// a truncation: needN more bytes needed for needWhat at pos. The per-value reads (u8, peek...)
	// only record it, which keeps them small enough to inline; message() makes the text.
	needN    int
	needWhat what
}

func (r *reader) reset(buf []byte) {
	r.buf, r.pos, r.classes, r.text = buf, 0, r.classes[:0], r.text[:0]
	r.clearError()
}

func (r *reader) clearError() { r.err, r.needN = "", 0 }

// message is why the last read failed.
//
//go:noinline
func (r *reader) message() string {
	if r.err == "" && r.needN > 0 {
		r.truncated(r.needN, r.needWhat)
	}
	return r.err
}

// fail records "dubbo: hessian2: <problem> at body offset <pos>" and returns false.
//
//go:noinline
func (r *reader) fail(problem string) bool {
	r.err = "dubbo: hessian2: " + problem + " at body offset " + strconv.Itoa(r.pos)
	return false
}

//go:noinline
func (r *reader) truncated(n int, w what) bool {
	return r.fail("truncated body: " + strconv.Itoa(n) + " more byte(s) needed for " + whats[w])
}

// truncatedAt fails at p, where a UTF-8 sequence runs past the body.
//
//go:noinline
func (r *reader) truncatedAt(p int, w what) bool {
	r.pos = p
	return r.truncated(1, w)
}

//go:noinline
func (r *reader) unexpected(tag byte, w what) bool {
	r.pos--
	return r.fail("unexpected tag 0x" + hex(tag) + " while reading " + whats[w])
}

// invalidUTF8 fails at p, where kind ("byte", "continuation byte") b is.
//
//go:noinline
func (r *reader) invalidUTF8(p int, kind string, b byte, w what) bool {
	r.pos = p
	return r.fail("invalid UTF-8 " + kind + " 0x" + hex(b) + " in " + whats[w])
}

//go:noinline
func (r *reader) tooLong(w what, max int) bool {
	return r.fail(whats[w] + " is longer than " + strconv.Itoa(max) + " characters")
}

func hex(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

func (r *reader) peek() (byte, bool) {
	if p := r.pos; p < len(r.buf) {
		return r.buf[p], true
	}
	r.needN, r.needWhat = 1, wValue
	return 0, false
}

func (r *reader) u8(w what) (byte, bool) {
	if p := r.pos; p < len(r.buf) {
		r.pos = p + 1
		return r.buf[p], true
	}
	r.needN, r.needWhat = 1, w
	return 0, false
}

// take skips n bytes.
func (r *reader) take(n int, w what) bool {
	if n <= len(r.buf)-r.pos {
		r.pos += n
		return true
	}
	r.needN, r.needWhat = n, w
	return false
}

// be16, be32 and be64 read big-endian numbers.
func (r *reader) be16(w what) (int, bool) {
	p := r.pos
	if len(r.buf)-p < 2 {
		r.needN, r.needWhat = 2, w
		return 0, false
	}
	r.pos = p + 2
	return int(binary.BigEndian.Uint16(r.buf[p:])), true
}

func (r *reader) be32(w what) (uint32, bool) {
	p := r.pos
	if len(r.buf)-p < 4 {
		r.needN, r.needWhat = 4, w
		return 0, false
	}
	r.pos = p + 4
	return binary.BigEndian.Uint32(r.buf[p:]), true
}

func (r *reader) be64(w what) (uint64, bool) {
	p := r.pos
	if len(r.buf)-p < 8 {
		r.needN, r.needWhat = 8, w
		return 0, false
	}
	r.pos = p + 8
	return binary.BigEndian.Uint64(r.buf[p:]), true
}

// readString reads a string or null (null set); longer than max chars is an error. A one-chunk
// ASCII string (nearly every metadata string) is borrowed from the body, not copied; any other
// is decoded into r.text. The result is valid until the next reset.
func (r *reader) readString(w what, max int) (s []byte, null, ok bool) {
	tag, ok := r.u8(w)
	if !ok {
		return nil, false, false
	}
	if tag == 'N' {
		return nil, true, true
	}
	if s, ok := r.shortASCII(tag, r.pos); ok {
		return s, false, true
	}
	if s, ok := r.asciiChunk(tag, max); ok {
		return s, false, true
	}
	start := len(r.text)
	if !r.stringChunks(tag, w, true, max) {
		return nil, false, false
	}
	return r.text[start:], false, true
}

// shortASCII is the common case, a string of fewer than 32 ASCII characters (every attachment key,
// nearly every metadata value) whose bytes start at at: small enough for Go to inline, so it saves
// readString's and asciiChunk's calls, each of which passes its arguments through linear memory.
func (r *reader) shortASCII(tag byte, at int) ([]byte, bool) {
	end := at + int(tag)
	if tag >= 0x20 || end > len(r.buf) || !isASCII(r.buf[at:end]) {
		return nil, false
	}
	r.pos = end
	return r.buf[at:end], true
}

// asciiChunk returns the string after tag if it is one medium or long ASCII chunk of at most max
// chars (shortASCII takes the short ones); else false with the position unchanged.
func (r *reader) asciiChunk(tag byte, max int) ([]byte, bool) {
	buf, at := r.buf, r.pos
	var n int
	switch {
	case tag >= 0x30 && tag <= 0x33:
		if at >= len(buf) {
			return nil, false
		}
		n = int(tag-0x30)<<8 | int(buf[at])
		at++
	case tag == 'S':
		if len(buf)-at < 2 {
			return nil, false
		}
		n = int(buf[at])<<8 | int(buf[at+1])
		at += 2
	default:
		return nil, false
	}
	if n > max || n > len(buf)-at || !isASCII(buf[at:at+n]) {
		return nil, false
	}
	r.pos = at + n
	return buf[at : at+n], true
}

// isASCII tests eight bytes at a time (one 64-bit load).
func isASCII(b []byte) bool {
	i := 0
	for ; len(b)-i >= 8; i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(b); i++ {
		if b[i] >= 0x80 {
			return false
		}
	}
	return true
}

// chunkTags are the tags that start a string or binary chunk: short (length in the tag), medium
// (length in the tag's low 2 bits and one more byte), or long (two length bytes), final or not.
type chunkTags struct{ short, shortEnd, medium, final, more byte }

var (
	stringChunk = chunkTags{0x00, 0x1f, 0x30, 'S', 'R'}
	binaryChunk = chunkTags{0x20, 0x2f, 0x34, 'B', 'A'}
)

// chunkLength reads the length of the chunk whose tag has been read; last is false when more
// chunks follow. Another tag is an error naming wTag.
func (r *reader) chunkLength(tag byte, t chunkTags, w, wTag what) (n int, last, ok bool) {
	switch {
	case tag >= t.short && tag <= t.shortEnd:
		return int(tag - t.short), true, true
	case tag >= t.medium && tag <= t.medium+3:
		b, ok := r.u8(w)
		return int(tag-t.medium)<<8 | int(b), true, ok
	case tag == t.final || tag == t.more:
		v, ok := r.be16(w)
		return v, tag == t.final, ok
	}
	return 0, false, r.unexpected(tag, wTag)
}

// stringChunks reads the chunks of a string whose first tag has been read; with keep, the
// decoded text is appended to r.text, and more than max chars in all is an error.
func (r *reader) stringChunks(tag byte, w what, keep bool, max int) bool {
	total := 0
	for {
		n, last, ok := r.chunkLength(tag, stringChunk, w, w)
		if !ok {
			return false
		}
		total += n
		if keep && total > max {
			return r.tooLong(w, max)
		}
		if !r.chars(n, w, keep) {
			return false
		}
		if last {
			return true
		}
		next, ok := r.u8(w)
		if !ok {
			return false
		}
		tag = next
	}
}

// chars reads n UTF-16 units of hessian's UTF-8 (a 4-byte sequence counts as two).
func (r *reader) chars(n int, w what, keep bool) bool {
	buf, p := r.buf, r.pos
	// Fast path: metadata is nearly always ASCII, where a char is a byte.
	if n <= len(buf)-p && isASCII(buf[p:p+n]) {
		if keep {
			r.text = append(r.text, buf[p:p+n]...)
		}
		r.pos = p + n
		return true
	}
	if keep {
		return r.decodeChars(n, w)
	}
	return r.skipChars(n, w)
}

// skipChars checks n UTF-16 units of UTF-8 and steps over them.
func (r *reader) skipChars(n int, w what) bool {
	buf, p := r.buf, r.pos
	for units := 0; units < n; units++ {
		if p < len(buf) && buf[p] < 0x80 {
			p++
			continue
		}
		if p+1 < len(buf) && buf[p] >= 0xc0 && buf[p] < 0xe0 && buf[p+1]&0xc0 == 0x80 {
			p += 2 // the common two-byte sequence (Latin, Greek, Cyrillic...)
			continue
		}
		cp, next, ok := r.sequence(p, w)
		if !ok {
			return false
		}
		p = next
		if cp >= 0x10000 {
			units++
		}
	}
	r.pos = p
	return true
}

// sequence reads the UTF-8 sequence at p (up to 4 bytes; Java's surrogates come as two 3-byte
// sequences): its code point and where the next sequence starts.
func (r *reader) sequence(p int, w what) (cp rune, next int, ok bool) {
	buf := r.buf
	if p >= len(buf) {
		return 0, 0, r.truncatedAt(p, w)
	}
	b := buf[p]
	var extra int
	switch {
	case b < 0x80:
		return rune(b), p + 1, true
	case b < 0xc0:
		return 0, 0, r.invalidUTF8(p, "byte", b, w)
	case b < 0xe0:
		extra = 1
	case b < 0xf0:
		extra = 2
	case b < 0xf8:
		extra = 3
	default:
		return 0, 0, r.invalidUTF8(p, "byte", b, w)
	}
	cp = rune(b) & (0x7f >> (extra + 1))
	p++
	for ; extra > 0; extra-- {
		if p >= len(buf) {
			return 0, 0, r.truncatedAt(p, w)
		}
		c := buf[p]
		if c&0xc0 != 0x80 {
			return 0, 0, r.invalidUTF8(p, "continuation byte", c, w)
		}
		cp = cp<<6 | rune(c&0x3f)
		p++
	}
	return cp, p, true
}

// decodeChars decodes n UTF-16 units of UTF-8 into r.text. Java writes a supplementary char as
// two 3-byte surrogates: a pair becomes one char, a lone surrogate U+FFFD.
func (r *reader) decodeChars(n int, w what) bool {
	p, out := r.pos, r.text
	high := rune(-1)
	for units := 0; units < n; units++ {
		cp, next, ok := r.sequence(p, w)
		if !ok {
			return false
		}
		p = next
		switch {
		case high < 0 && cp >= 0xd800 && cp <= 0xdbff:
			high = cp
		case high >= 0 && cp >= 0xdc00 && cp <= 0xdfff:
			out = utf8.AppendRune(out, 0x10000+(high-0xd800)<<10+(cp-0xdc00))
			high = -1
		case high >= 0:
			out = utf8.AppendRune(out, utf8.RuneError)
			out = utf8.AppendRune(out, cp) // a surrogate or beyond U+10FFFF is U+FFFD
			high = -1
		default:
			out = utf8.AppendRune(out, cp)
		}
		if cp >= 0x10000 {
			units++
		}
	}
	if high >= 0 {
		out = utf8.AppendRune(out, utf8.RuneError)
	}
	r.pos, r.text = p, out
	return true
}

func (r *reader) readInt(w what) (int32, bool) {
	tag, ok := r.u8(w)
	if !ok {
		return 0, false
	}
	switch {
	case tag >= 0x80 && tag <= 0xbf:
		return int32(tag) - 0x90, true
	case tag >= 0xc0 && tag <= 0xcf:
		b, ok := r.u8(w)
		return (int32(tag)-0xc8)<<8 | int32(b), ok
	case tag >= 0xd0 && tag <= 0xd7:
		v, ok := r.be16(w)
		return (int32(tag)-0xd4)<<16 | int32(v), ok
	case tag == 'I':
		v, ok := r.be32(w)
		return int32(v), ok
	}
	return 0, r.unexpected(tag, w)
}

// readLong reads a long whose tag scalar has checked.
func (r *reader) readLong(w what) (int64, bool) {
	tag, ok := r.u8(w)
	if !ok {
		return 0, false
	}
	switch {
	case tag >= 0xd8 && tag <= 0xef:
		return int64(tag) - 0xe0, true
	case tag >= 0xf0:
		b, ok := r.u8(w)
		return (int64(tag)-0xf8)<<8 | int64(b), ok
	case tag >= 0x38 && tag <= 0x3f:
		v, ok := r.be16(w)
		return (int64(tag)-0x3c)<<16 | int64(v), ok
	case tag == 0x59:
		v, ok := r.be32(w)
		return int64(int32(v)), ok
	}
	v, ok := r.be64(w) // 'L'
	return int64(v), ok
}

var trueText, falseText = []byte("true"), []byte("false")

// scalar reads a string or scalar as text (has set); any other value is skipped (has false), and
// so is a string longer than maxValueChars.
func (r *reader) scalar(w what) (v []byte, has, ok bool) {
	tag, ok := r.peek()
	if !ok {
		return nil, false, false
	}
	if s, ok := r.shortASCII(tag, r.pos+1); ok {
		return s, true, true
	}
	switch {
	case kinds[tag] == kString:
		mark := r.pos
		if s, null, ok := r.readString(w, maxValueChars); ok {
			return s, !null, true
		}
		r.pos = mark
		r.clearError()
	case tag == 'T':
		r.pos++
		return trueText, true, true
	case tag == 'F':
		r.pos++
		return falseText, true, true
	case tag >= 0x80 && tag <= 0xd7 || tag == 'I':
		n, ok := r.readInt(w)
		if !ok {
			return nil, false, false
		}
		return r.number(int64(n)), true, true
	case tag >= 0xd8 || tag >= 0x38 && tag <= 0x3f || tag == 0x59 || tag == 'L':
		n, ok := r.readLong(w)
		if !ok {
			return nil, false, false
		}
		return r.number(n), true, true
	}
	return nil, false, r.skip(0)
}

// number appends n in decimal to r.text and returns it.
func (r *reader) number(n int64) []byte {
	start := len(r.text)
	r.text = strconv.AppendInt(r.text, n, 10)
	return r.text[start:]
}

// skipType skips a map's or list's type: a string, or an int referring to an earlier one.
func (r *reader) skipType() bool {
	tag, ok := r.peek()
	if !ok {
		return false
	}
	if kinds[tag] == kString {
		r.pos++
		return r.stringChunks(tag, wTypeName, false, noLimit)
	}
	_, ok = r.readInt(wTypeRef)
	return ok
}

// skip skips one value of any type.
func (r *reader) skip(depth int) bool {
	if depth > maxDepth {
		return r.fail("values nested deeper than 64")
	}
	tag, ok := r.u8(wValue)
	if !ok {
		return false
	}
	switch kinds[tag] {
	case kScalar:
		return true
	case kFixed1:
		return r.take(1, wShort)
	case kFixed2:
		return r.take(2, wShort)
	case kFixed4:
		return r.take(4, w32)
	case kFixed8:
		return r.take(8, w64)
	case kString:
		return r.stringChunks(tag, wString, false, noLimit)
	case kBinary:
		return r.skipBinary(tag)
	case kRef:
		_, ok := r.readInt(wReference)
		return ok
	case kMap:
		return r.skipUntilZ(depth, 2)
	case kTypedMap:
		return r.skipType() && r.skipUntilZ(depth, 2)
	case kList:
		return r.skipUntilZ(depth, 1)
	case kTypedList:
		return r.skipType() && r.skipUntilZ(depth, 1)
	case kFixedList, kTypedFixedList:
		return r.skipFixedList(tag, depth)
	case kClassDef:
		// A definition is followed by the object that uses it.
		return r.readClassDef() && r.skip(depth)
	case kObject:
		def, ok := r.readInt(wObjectDef)
		return ok && r.skipObject(def, depth)
	case kShortObject:
		return r.skipObject(int32(tag-0x60), depth)
	case kShortList:
		return r.skipN(int(tag-0x78), depth)
	case kTypedShortList:
		return r.skipType() && r.skipN(int(tag-0x70), depth)
	}
	return r.unexpected(tag, wValue)
}

func (r *reader) skipFixedList(tag byte, depth int) bool {
	if tag == 'V' && !r.skipType() {
		return false
	}
	n, ok := r.readInt(wListLength)
	return ok && r.count(n) && r.skipN(int(n), depth)
}

func (r *reader) skipBinary(tag byte) bool {
	for {
		n, last, ok := r.chunkLength(tag, binaryChunk, wBinary, wBinaryChunk)
		if !ok {
			return false
		}
		if !r.take(n, wBinaryData) {
			return false
		}
		if last {
			return true
		}
		next, ok := r.u8(wBinary)
		if !ok {
			return false
		}
		tag = next
	}
}

// count checks a list or field count: every element takes at least one byte, so a count larger
// than the rest of the body cannot be honest.
func (r *reader) count(n int32) bool {
	if n < 0 || int(n) > len(r.buf)-r.pos {
		return r.badCount(n)
	}
	return true
}

//go:noinline
func (r *reader) badCount(n int32) bool {
	return r.fail("list length " + strconv.Itoa(int(n)) + " exceeds the remaining body")
}

func (r *reader) skipN(n int, depth int) bool {
	for ; n > 0; n-- {
		if !r.skip(depth + 1) {
			return false
		}
	}
	return true
}

// skipUntilZ skips values, per at a time (2 for a map's entries), until the closing 'Z'.
func (r *reader) skipUntilZ(depth, per int) bool {
	for {
		tag, ok := r.peek()
		if !ok {
			return false
		}
		if tag == 'Z' {
			r.pos++
			return true
		}
		if !r.skip(depth+1) || per == 2 && !r.skip(depth+1) {
			return false
		}
	}
}

func (r *reader) readClassDef() bool {
	if len(r.classes) >= maxClassDefs {
		return r.fail("more than 1024 class definitions")
	}
	tag, ok := r.u8(wClassName)
	if !ok || !r.stringChunks(tag, wClassName, false, noLimit) {
		return false
	}
	n, ok := r.readInt(wFieldCount)
	if !ok || !r.count(n) {
		return false
	}
	for i := int32(0); i < n; i++ {
		tag, ok := r.u8(wFieldName)
		if !ok || !r.stringChunks(tag, wFieldName, false, noLimit) {
			return false
		}
	}
	r.classes = append(r.classes, int(n))
	return true
}

func (r *reader) skipObject(def int32, depth int) bool {
	if def < 0 || int(def) >= len(r.classes) {
		return r.badObject(def)
	}
	return r.skipN(r.classes[def], depth)
}

//go:noinline
func (r *reader) badObject(def int32) bool {
	return r.fail("object refers to class definition " + strconv.Itoa(int(def)) + " of " +
		strconv.Itoa(len(r.classes)))
}

// appendString appends a hessian2 string the way Hessian's Java writer does: UTF-16 units, in
// chunks of at most 0x8000 (never splitting a surrogate pair), each unit as 1 to 3 bytes.
func appendString(out []byte, s string) []byte {
	if len(s) <= 0x8000 && isASCII(stringBytes(s)) {
		return append(appendLength(out, len(s)), s...)
	}
	return appendUnits(out, utf16Units(s))
}

// appendLength appends the header of a final chunk of n units.
func appendLength(out []byte, n int) []byte {
	switch {
	case n <= 0x1f:
		return append(out, byte(n))
	case n <= 0x3ff:
		return append(out, 0x30+byte(n>>8), byte(n))
	}
	return append(out, 'S', byte(n>>8), byte(n))
}

//go:noinline
func appendUnits(out []byte, units []uint16) []byte {
	offset := 0
	for len(units)-offset > 0x8000 {
		n := 0x8000
		if u := units[offset+n-1]; u >= 0xd800 && u < 0xdc00 {
			n-- // never split a surrogate pair
		}
		out = append(out, 'R', byte(n>>8), byte(n))
		out = appendUTF16(out, units[offset:offset+n])
		offset += n
	}
	out = appendLength(out, len(units)-offset)
	return appendUTF16(out, units[offset:])
}

// appendUTF16 writes each unit as 1 to 3 bytes (surrogates one by one, as Hessian does).
func appendUTF16(out []byte, units []uint16) []byte {
	for _, u := range units {
		c := uint32(u)
		switch {
		case c < 0x80:
			out = append(out, byte(c))
		case c < 0x800:
			out = append(out, 0xc0|byte(c>>6), 0x80|byte(c&0x3f))
		default:
			out = append(out, 0xe0|byte(c>>12), 0x80|byte(c>>6&0x3f), 0x80|byte(c&0x3f))
		}
	}
	return out
}

// utf16Units is s as UTF-16 (an invalid byte as U+FFFD).
func utf16Units(s string) []uint16 {
	units := make([]uint16, 0, len(s))
	for _, c := range s {
		if c >= 0x10000 {
			c -= 0x10000
			units = append(units, uint16(0xd800+c>>10), uint16(0xdc00+c&0x3ff))
		} else {
			units = append(units, uint16(c))
		}
	}
	return units
}
