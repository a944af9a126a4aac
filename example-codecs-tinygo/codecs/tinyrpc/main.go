// TinyRPC, the small custom protocol of the Rust examples (example-codecs-rust/README.md), in Go:
//
//	0  2  magic "tr"        4  4  request id (u32)       12 2  header count H
//	2  1  version 1         8  4  payload length N       then H × {u16 len, key, u16 len, value}
//	3  1  flags: 0x01 response, 0x02 oneway, 0x04 heartbeat, 0x08 error   then the body
//
// All integers big-endian. Metadata = the headers, in order.
package main

import (
	"encoding/binary"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/protean/example-codecs-tinygo/protean"
)

func main() {}

func init() { protean.SetCodec(newTinyRPC) }

const (
	headerLen = 12
	response  = 0x01
	oneway    = 0x02
	heartbeat = 0x04
	failed    = 0x08
)

type tinyRPC struct{ maxPayload int }

func newTinyRPC(config []byte) (protean.Codec, error) {
	max, ok, err := protean.ConfigNumber(config, "max_payload")
	if err != nil {
		return nil, err
	}
	if !ok {
		max = 4 << 20
	}
	return &tinyRPC{maxPayload: max}, nil
}

// TinyRPC keeps no per-connection state.
func (t *tinyRPC) NewConnection() protean.Connection { return t }

type header struct{ key, value string }

// parsed is a frame's parts.
type parsed struct {
	flags   byte
	id      uint32
	headers []header
	body    []byte
}

// frameLen checks the fixed header and returns the whole frame length once it is known (0 before).
func (t *tinyRPC) frameLen(in []byte) (int, error) {
	if len(in) >= 2 && (in[0] != 't' || in[1] != 'r') {
		return 0, errors.New("tinyrpc: expected magic \"tr\", found " + hex(in[:2]))
	}
	if len(in) >= 3 && in[2] != 1 {
		return 0, errors.New("tinyrpc: unsupported version " + strconv.Itoa(int(in[2])))
	}
	if len(in) < headerLen {
		return 0, nil
	}
	n := binary.BigEndian.Uint32(in[8:])
	if uint64(n) > uint64(t.maxPayload) || n < 2 {
		return 0, errors.New("tinyrpc: payload length " + strconv.FormatUint(uint64(n), 10) +
			" outside 2..=" + strconv.Itoa(t.maxPayload))
	}
	return headerLen + int(n), nil
}

func hex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// parse reads a complete frame (its length already checked).
func parse(frame []byte) (parsed, error) {
	p := parsed{flags: frame[3], id: binary.BigEndian.Uint32(frame[4:])}
	if len(frame) < headerLen+2 {
		return p, errors.New("tinyrpc: missing header count")
	}
	count := int(binary.BigEndian.Uint16(frame[headerLen:]))
	at := headerLen + 2
	text := func(i int) (string, error) {
		if at+2 > len(frame) {
			return "", errors.New("tinyrpc: header " + strconv.Itoa(i) + " runs past the payload")
		}
		n := int(binary.BigEndian.Uint16(frame[at:]))
		if at+2+n > len(frame) {
			return "", errors.New("tinyrpc: header " + strconv.Itoa(i) + " runs past the payload")
		}
		b := frame[at+2 : at+2+n]
		at += 2 + n
		if !utf8.Valid(b) {
			return "", errors.New("tinyrpc: header " + strconv.Itoa(i) + " is not UTF-8")
		}
		return string(b), nil
	}
	p.headers = make([]header, 0, count)
	for i := 0; i < count; i++ {
		k, err := text(i)
		if err != nil {
			return p, err
		}
		v, err := text(i)
		if err != nil {
			return p, err
		}
		p.headers = append(p.headers, header{k, v})
	}
	p.body = frame[at:]
	return p, nil
}

// writeFrame builds a frame with these flags, id, headers and body.
func writeFrame(flags byte, id uint32, headers []header, body []byte) []byte {
	out := make([]byte, 0, headerLen+2+len(body)+64)
	out = append(out, 't', 'r', 1, flags)
	out = binary.BigEndian.AppendUint32(out, id)
	out = append(out, 0, 0, 0, 0, 0, 0) // payload length and header count, filled in below
	for _, h := range headers {
		out = binary.BigEndian.AppendUint16(out, uint16(len(h.key)))
		out = append(out, h.key...)
		out = binary.BigEndian.AppendUint16(out, uint16(len(h.value)))
		out = append(out, h.value...)
	}
	out = append(out, body...)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-headerLen))
	binary.BigEndian.PutUint16(out[12:], uint16(len(headers)))
	return out
}

func (t *tinyRPC) Decode(in []byte, md *protean.Metadata) protean.Decoded {
	n, err := t.frameLen(in)
	switch {
	case err != nil:
		return protean.Malformed(err.Error())
	case n == 0:
		return protean.NeedMore(0)
	case n > len(in):
		return protean.NeedMore(n)
	}
	p, err := parse(in[:n])
	if err != nil {
		return protean.Malformed(err.Error())
	}
	for _, h := range p.headers {
		md.Put(h.key, h.value)
	}
	f := protean.FrameInfo{Consumed: n, RequestID: uint64(p.id), IDOffset: 4, IDWidth: 4}
	switch {
	case p.flags&response != 0 && p.flags&failed != 0:
		// An ERROR response says nothing of why: of unknown class, never retried.
		f.Type, f.Status = protean.Error, "ERROR"
	case p.flags&response != 0:
		f.Type, f.Status, f.Class = protean.Response, "OK", protean.ClassSuccess
	case p.flags&heartbeat != 0:
		f.Type = protean.Heartbeat
	case p.flags&oneway != 0:
		f.Type = protean.Oneway
	default:
		f.Type = protean.Request
	}
	return protean.DecodedFrame(f)
}

func (t *tinyRPC) Encode(frame []byte, m protean.Mutation) ([]byte, error) {
	p, err := parse(frame)
	if err != nil {
		return nil, err
	}
	headers := make([]header, 0, len(p.headers)+len(m))
	seen := map[string]bool{}
	for _, h := range p.headers {
		seen[h.key] = true
		v, changed, removed := m.Get(h.key)
		switch {
		case !changed:
			headers = append(headers, h)
		case !removed:
			headers = append(headers, header{h.key, v})
		}
	}
	for _, c := range m {
		if !c.Remove && !seen[c.Key] {
			seen[c.Key] = true
			v, _, removed := m.Get(c.Key)
			if !removed {
				headers = append(headers, header{c.Key, v})
			}
		}
	}
	return writeFrame(p.flags, p.id, headers, p.body), nil
}

func (t *tinyRPC) ErrorReply(frame []byte, e protean.ErrorType, message string) ([]byte, error) {
	if len(frame) < headerLen {
		return nil, errors.New("tinyrpc: no request to answer")
	}
	if frame[3]&oneway != 0 {
		return nil, protean.ErrNoReply
	}
	return writeFrame(response|failed, binary.BigEndian.Uint32(frame[4:]),
		[]header{{"status", e.String()}, {"message", message}}, nil), nil
}

func (t *tinyRPC) HeartbeatReply(frame []byte) ([]byte, error) {
	if len(frame) < headerLen {
		return nil, errors.New("tinyrpc: no heartbeat to answer")
	}
	return writeFrame(response|heartbeat, binary.BigEndian.Uint32(frame[4:]), nil, nil), nil
}
