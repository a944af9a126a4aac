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
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
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
}

func (t *thrift) NewConnection() protean.Connection { return &connection{codec: t} }

// header is the start of a message.
type header struct {
	name        string
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

// readHeader reads the message header of a complete frame (prefix included).
func (t *thrift) readHeader(frame []byte) (header, error) {
	pos := lengthPrefix
	truncated := func(what string, n int) error {
		return malformed("truncated " + what + ": " + strconv.Itoa(n) + " bytes needed at offset " +
			strconv.Itoa(pos) + ", but the frame ends at offset " + strconv.Itoa(len(frame)))
	}
	readString := func(length int, what string, at int) (string, error) {
		if length < 0 || length > t.maxFrame {
			return "", errorAt("expected "+what+" length between 0 and "+strconv.Itoa(t.maxFrame)+
				", found "+strconv.Itoa(length), at)
		}
		if pos+length > len(frame) {
			return "", truncated(what, length)
		}
		s := frame[pos : pos+length]
		pos += length
		if !utf8.Valid(s) {
			return "", errorAt(what+" is not UTF-8", pos-length)
		}
		return string(s), nil
	}
	if pos+4 > len(frame) {
		return header{}, truncated("the message header", 4)
	}
	first := int32(binary.BigEndian.Uint32(frame[pos:]))
	pos += 4
	var h header
	var err error
	if first < 0 {
		if uint32(first)&versionMask != version1 {
			return h, errorAt("expected binary protocol version 0x8001, found 0x"+
				strconv.FormatUint(uint64(uint32(first)>>16), 16), lengthPrefix)
		}
		h.strict, h.typ = true, int(first&0xff)
		at := pos
		if pos+4 > len(frame) {
			return h, truncated("the method name", 4)
		}
		n := int(int32(binary.BigEndian.Uint32(frame[pos:])))
		pos += 4
		if h.name, err = readString(n, "the method name", at); err != nil {
			return h, err
		}
	} else {
		// The old header: the first word is the name's length, the type follows the name.
		if h.name, err = readString(int(first), "the method name", lengthPrefix); err != nil {
			return h, err
		}
		if pos+1 > len(frame) {
			return h, truncated("the message type", 1)
		}
		h.typ = int(frame[pos])
		pos++
	}
	if h.typ < call || h.typ > oneway {
		return h, errorAt("expected a message type 1-4 (call, reply, exception, oneway), found "+
			strconv.Itoa(h.typ), lengthPrefix)
	}
	if pos+4 > len(frame) {
		return h, truncated("the seq id", 4)
	}
	h.seqIDOffset, h.seqID = pos, binary.BigEndian.Uint32(frame[pos:])
	return h, nil
}

func (c *connection) Decode(in []byte, md *protean.Metadata) protean.Decoded {
	if len(in) == 0 {
		return protean.NeedMore(0)
	}
	if in[0] == 0x80 || in[0] == 0x82 {
		return protean.Malformed("expected a framed message (a 4-byte length), found 0x" +
			hex(in[0]) + " at offset 0, which starts an unframed message; this codec reads the framed transport only")
	}
	if len(in) < lengthPrefix {
		return protean.NeedMore(lengthPrefix)
	}
	length := binary.BigEndian.Uint32(in)
	if length == 0 || uint64(length) > uint64(c.codec.maxFrame) {
		return protean.Malformed("expected a frame length between 1 and " + strconv.Itoa(c.codec.maxFrame) +
			", found " + strconv.FormatUint(uint64(length), 10) + " at offset 0")
	}
	if len(in) >= lengthPrefix+2 {
		switch {
		case in[4] == 0x0f && in[5] == 0xff:
			return protean.Malformed("the THeader transport (magic 0x0fff at offset 4) is not supported; use the framed transport")
		case in[4] == 0x82:
			return protean.Malformed("the compact protocol (0x82 at offset 4) is not supported by this codec; use the binary protocol")
		}
	}
	total := lengthPrefix + int(length)
	if len(in) < total {
		return protean.NeedMore(total)
	}
	h, err := c.codec.readHeader(in[:total])
	if err != nil {
		return protean.Malformed(err.Error())
	}
	if !c.seen {
		c.seen, c.strict = true, h.strict
	}
	method := h.name
	if colon := strings.IndexByte(h.name, ':'); colon >= 0 {
		md.Put("service", h.name[:colon])
		method = h.name[colon+1:]
	}
	md.Put("method", method)
	md.Put("seq_id", strconv.Itoa(int(int32(h.seqID))))
	md.Put("message_type", typeNames[h.typ])
	f := protean.FrameInfo{Consumed: total, RequestID: uint64(h.seqID), IDOffset: uint32(h.seqIDOffset), IDWidth: 4}
	switch h.typ {
	case call:
		f.Type = protean.Request
	case oneway:
		f.Type = protean.Oneway
	case reply:
		f.Type, f.Status = protean.Response, "OK"
	default:
		f.Type, f.Status = protean.Error, "EXCEPTION"
	}
	return protean.DecodedFrame(f)
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
	method := h.name[strings.IndexByte(h.name, ':')+1:]
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
