// A Thrift codec for the framed transport with the binary protocol (strict, and the old
// non-strict header libthrift writes with strictWrite=false), in Go. It agrees with Protean's
// native Thrift codec on the same conformance vectors (conformance/vectors/thrift/framed-binary):
//
//	metadata  method, seq_id, message_type (call, reply, exception, oneway), and for a
//	          TMultiplexedProtocol name "Service:method" also service (method without the prefix)
//	id        the seq id: 4 big-endian bytes the proxy rewrites in place
//	errors    a TApplicationException in the connection's header style (strict or old)
//
// Config: {"max_frame_size": N} (default 16384000, libthrift's default).
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/protean/example-codecs-tinygo/protean"
)

func main() {}

func init() { protean.SetCodec(newThrift) }

// Message types.
const (
	call      = 1
	reply     = 2
	exception = 3
	oneway    = 4
)

// TApplicationException types (libthrift's constants) and field types.
const (
	unknownMethod = 1
	internalError = 6
	protocolError = 7
	typeStop      = 0
	typeI32       = 8
	typeString    = 11
	version1      = 0x80010000
	versionMask   = 0xffff0000
	lengthPrefix  = 4
)

var typeNames = [...]string{call: "call", reply: "reply", exception: "exception", oneway: "oneway"}

type thrift struct{ maxFrame int }

func newThrift(config []byte) (protean.Codec, error) {
	max, ok, err := protean.ConfigNumber(config, "max_frame_size")
	switch {
	case err != nil:
		return nil, err
	case !ok:
		max = 16384000
	case max <= 0:
		return nil, errors.New("max_frame_size: expected a positive number of bytes")
	}
	return &thrift{maxFrame: max}, nil
}

// connection remembers the header style of the connection's first message, so error replies are
// written the way the peer writes.
type connection struct {
	codec  *thrift
	strict bool
	seen   bool
	digits []byte // the seq id as text, reused
}

func (t *thrift) NewConnection() protean.Connection { return &connection{codec: t} }

// header is the start of a message.
type header struct {
	name        []byte // within the frame
	typ         int
	seqID       uint32
	seqIDOffset int // from the frame start, length prefix included
	strict      bool
}

type malformed string

func (m malformed) Error() string { return string(m) }

func errorAt(message string, offset int) error {
	return malformed(message + " at offset " + strconv.Itoa(offset))
}

// headerReader reads a message header. Plain methods rather than closures over a local position,
// and error text built in functions of their own: the Decode path stays small, which keeps each
// compiled function under the JVM's huge-method limit (docs/performance.md).
type headerReader struct {
	frame    []byte
	pos      int
	maxFrame int
}

func (r *headerReader) truncated(what string, n int) error {
	return malformed("truncated " + what + ": " + strconv.Itoa(n) + " bytes needed at offset " +
		strconv.Itoa(r.pos) + ", but the frame ends at offset " + strconv.Itoa(len(r.frame)))
}

func (r *headerReader) u32(what string) (uint32, error) {
	if r.pos+4 > len(r.frame) {
		return 0, r.truncated(what, 4)
	}
	v := binary.BigEndian.Uint32(r.frame[r.pos:])
	r.pos += 4
	return v, nil
}

// name reads length bytes of UTF-8 whose length field started at offset at.
func (r *headerReader) name(length int, at int) ([]byte, error) {
	if length < 0 || length > r.maxFrame {
		return nil, errorAt("expected the method name length between 0 and "+strconv.Itoa(r.maxFrame)+
			", found "+strconv.Itoa(length), at)
	}
	if r.pos+length > len(r.frame) {
		return nil, r.truncated("the method name", length)
	}
	s := r.frame[r.pos : r.pos+length]
	r.pos += length
	if !utf8.Valid(s) {
		return nil, errorAt("the method name is not UTF-8", r.pos-length)
	}
	return s, nil
}

// readHeader reads the message header of a complete frame (prefix included).
func (t *thrift) readHeader(frame []byte) (header, error) {
	r := headerReader{frame: frame, pos: lengthPrefix, maxFrame: t.maxFrame}
	var h header
	first, err := r.u32("the message header")
	if err != nil {
		return h, err
	}
	if int32(first) < 0 {
		if first&versionMask != version1 {
			return h, errorAt("expected binary protocol version 0x8001, found 0x"+
				strconv.FormatUint(uint64(first>>16), 16), lengthPrefix)
		}
		h.strict, h.typ = true, int(first&0xff)
		at := r.pos
		n, err := r.u32("the method name")
		if err != nil {
			return h, err
		}
		if h.name, err = r.name(int(int32(n)), at); err != nil {
			return h, err
		}
	} else {
		// The old header: the first word is the name's length, the type follows the name.
		if h.name, err = r.name(int(first), lengthPrefix); err != nil {
			return h, err
		}
		if r.pos+1 > len(frame) {
			return h, r.truncated("the message type", 1)
		}
		h.typ = int(frame[r.pos])
		r.pos++
	}
	if h.typ < call || h.typ > oneway {
		return h, errorAt("expected a message type 1-4 (call, reply, exception, oneway), found "+
			strconv.Itoa(h.typ), lengthPrefix)
	}
	h.seqIDOffset = r.pos
	if h.seqID, err = r.u32("the seq id"); err != nil {
		return h, err
	}
	return h, nil
}

func (c *connection) Decode(in []byte, md *protean.Metadata) protean.Decoded {
	if len(in) == 0 {
		return protean.NeedMore(0)
	}
	total, problem := c.frameLength(in)
	switch {
	case problem != "":
		return protean.Malformed(problem)
	case len(in) < total:
		return protean.NeedMore(total)
	}
	h, err := c.codec.readHeader(in[:total])
	if err != nil {
		return protean.Malformed(err.Error())
	}
	if !c.seen {
		c.seen, c.strict = true, h.strict
	}
	c.putMetadata(&h, md)
	f := protean.FrameInfo{Consumed: total, RequestID: uint64(h.seqID), IDOffset: uint32(h.seqIDOffset), IDWidth: 4}
	switch h.typ {
	case call:
		f.Type = protean.Request
	case oneway:
		f.Type = protean.Oneway
	case reply:
		f.Type, f.Status = protean.Response, "OK"
		f.Class = replyClass(in[:total], h.seqIDOffset+4)
	default:
		f.Type, f.Status = protean.Error, "EXCEPTION"
		f.Class = exceptionClass(in[:total], h.seqIDOffset+4)
	}
	return protean.DecodedFrame(f)
}

// replyClass reads the first field of a reply's result struct at at: none (a void method) or
// field 0 (the return value) is a success, any other a declared exception.
//
//go:noinline
func replyClass(frame []byte, at int) protean.ResponseClass {
	if at >= len(frame) {
		return protean.ClassUnknown
	}
	if frame[at] == typeStop {
		return protean.ClassSuccess
	}
	if at+3 > len(frame) {
		return protean.ClassUnknown
	}
	if binary.BigEndian.Uint16(frame[at+1:]) == 0 {
		return protean.ClassSuccess
	}
	return protean.ClassApplicationException
}

// exceptionClass reads the TApplicationException struct at at up to its type field (2, an i32)
// and classes it as the native codec does: fbthrift's LOADSHEDDING (11) and TIMEOUT (12) too.
//
//go:noinline
func exceptionClass(frame []byte, at int) protean.ResponseClass {
	for at+3 <= len(frame) && frame[at] != typeStop {
		fieldType, id := frame[at], binary.BigEndian.Uint16(frame[at+1:])
		at += 3
		switch {
		case fieldType == typeI32 && id == 2 && at+4 <= len(frame):
			switch binary.BigEndian.Uint32(frame[at:]) {
			case 0, 5, internalError, 13: // unknown, missing result, internal error, injected
				return protean.ClassServerError
			case 11:
				return protean.ClassOverloaded
			case 12:
				return protean.ClassServerTimeout
			}
			return protean.ClassRequestRejected
		case fieldType == typeI32:
			at += 4
		case fieldType == typeString && at+4 <= len(frame):
			at += 4 + int(binary.BigEndian.Uint32(frame[at:])&0x7fffffff)
		default:
			return protean.ClassUnknown
		}
	}
	return protean.ClassUnknown
}

// putMetadata writes the header's metadata. Not inlined: Decode stays a function the JVM compiles.
//
//go:noinline
func (c *connection) putMetadata(h *header, md *protean.Metadata) {
	method := h.name
	if colon := bytes.IndexByte(h.name, ':'); colon >= 0 {
		md.PutBytes("service", h.name[:colon])
		method = h.name[colon+1:]
	}
	md.PutBytes("method", method)
	c.digits = strconv.AppendInt(c.digits[:0], int64(int32(h.seqID)), 10)
	md.PutBytes("seq_id", c.digits)
	md.Put("message_type", typeNames[h.typ])
}

// frameLength is the length of the frame at the start of in (not empty), prefix included, once the
// prefix is there (else the prefix's length), or why in cannot start a framed binary message.
func (c *connection) frameLength(in []byte) (int, string) {
	if in[0] == 0x80 || in[0] == 0x82 {
		return 0, "expected a framed message (a 4-byte length), found 0x" + hex(in[0]) +
			" at offset 0, which starts an unframed message; this codec reads the framed transport only"
	}
	if len(in) < lengthPrefix {
		return lengthPrefix, ""
	}
	length := binary.BigEndian.Uint32(in)
	if length == 0 || uint64(length) > uint64(c.codec.maxFrame) {
		return 0, "expected a frame length between 1 and " + strconv.Itoa(c.codec.maxFrame) +
			", found " + strconv.FormatUint(uint64(length), 10) + " at offset 0"
	}
	if len(in) >= lengthPrefix+2 {
		switch {
		case in[4] == 0x0f && in[5] == 0xff:
			return 0, "the THeader transport (magic 0x0fff at offset 4) is not supported; use the framed transport"
		case in[4] == 0x82:
			return 0, "the compact protocol (0x82 at offset 4) is not supported by this codec; use the binary protocol"
		}
	}
	return lengthPrefix + int(length), ""
}

func hex(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

// Encode copies the frame: binary Thrift messages carry no header map a mutation could change.
func (c *connection) Encode(frame []byte, m protean.Mutation) ([]byte, error) {
	if len(m) > 0 {
		return nil, errors.New("binary Thrift messages carry no header map to change (" +
			strconv.Itoa(len(m)) + " metadata changes requested)")
	}
	return append([]byte(nil), frame...), nil
}

// ErrorReply is a TApplicationException named after the request's method without a service
// prefix (as libthrift's TMultiplexedProcessor answers), with the request's seq id.
func (c *connection) ErrorReply(frame []byte, e protean.ErrorType, message string) ([]byte, error) {
	h, err := c.codec.readHeader(frame)
	if err != nil {
		return nil, err
	}
	if h.typ != call {
		return nil, protean.ErrNoReply
	}
	method := string(h.name[bytes.IndexByte(h.name, ':')+1:])
	out := make([]byte, lengthPrefix, 64+len(method)+len(message))
	if h.strict {
		out = binary.BigEndian.AppendUint32(out, version1|exception)
		out = appendString(out, method)
	} else {
		out = appendString(out, method)
		out = append(out, exception)
	}
	out = binary.BigEndian.AppendUint32(out, h.seqID)
	out = append(out, typeString, 0, 1)
	out = appendString(out, message)
	out = append(out, typeI32, 0, 2)
	out = binary.BigEndian.AppendUint32(out, uint32(exceptionType(e)))
	out = append(out, typeStop)
	binary.BigEndian.PutUint32(out, uint32(len(out)-lengthPrefix))
	return out, nil
}

func appendString(out []byte, s string) []byte {
	return append(binary.BigEndian.AppendUint32(out, uint32(len(s))), s...)
}

func exceptionType(e protean.ErrorType) int {
	switch e {
	case protean.RouteNotFound, protean.ClusterNotFound:
		return unknownMethod
	case protean.CodecFailure:
		return protocolError
	}
	return internalError
}

func (c *connection) HeartbeatReply([]byte) ([]byte, error) {
	return nil, errors.New("Thrift has no heartbeat message to answer")
}
