// Package protean is a guest SDK for Protean's codec ABI v1 (wasm-abi/ABI.md), for Go ≥ 1.24
// (GOOS=wasip1 GOARCH=wasm -buildmode=c-shared) and TinyGo. It uses no reflection-heavy packages
// (no fmt, no encoding/json) so that TinyGo can build it and modules stay small.
//
// Layering, as in proxy-wasm-go-sdk: raw imports (hostcalls*.go) → a dispatcher (the ABI exports
// in exports.go, routing by connection id) → the Codec and Connection interfaces, the only thing a
// codec author implements. A module registers its codec from init():
//
//	func init() { protean.SetCodec(newMyCodec) }
package protean

import (
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// MessageType says what a decoded frame is (ABI numbering).
type MessageType uint8

const (
	Request MessageType = iota
	Response
	Oneway
	Heartbeat
	Error
	Event
)

// ResponseClass says what a response means for the proxy's retry policies (ABI numbering). A
// business exception (the service ran the call) is never retried, nor is a refused request.
type ResponseClass uint8

const (
	ClassUnknown              ResponseClass = iota // not said (requests; a codec that does not classify)
	ClassSuccess                                   // a normal reply
	ClassApplicationException                      // an exception the service declares or threw: an answer
	ClassRequestRejected                           // the server refused the request itself
	ClassServerError
	ClassServerTimeout
	ClassOverloaded
)

// ErrorType says why the proxy answers a request itself (ABI numbering).
type ErrorType int32

const (
	RouteNotFound ErrorType = iota
	ClusterNotFound
	NoHealthyUpstream
	UpstreamConnectFailure
	UpstreamReset
	Timeout
	Overloaded
	RateLimited
	CodecFailure
	LocalReply
	Internal
)

var errorNames = [...]string{"ROUTE_NOT_FOUND", "CLUSTER_NOT_FOUND", "NO_HEALTHY_UPSTREAM",
	"UPSTREAM_CONNECT_FAILURE", "UPSTREAM_RESET", "TIMEOUT", "OVERLOADED", "RATE_LIMITED",
	"CODEC_FAILURE", "LOCAL_REPLY", "INTERNAL"}

// errorType maps an ABI number to an ErrorType; unknown numbers are Internal.
func errorType(n int32) ErrorType {
	if n < 0 || int(n) >= len(errorNames) {
		return Internal
	}
	return ErrorType(n)
}

// String is the name the proxy uses (ROUTE_NOT_FOUND...).
func (e ErrorType) String() string { return errorNames[errorType(int32(e))] }

// FrameInfo holds a decoded frame's header facts.
type FrameInfo struct {
	Consumed  int // bytes the frame occupies
	Type      MessageType
	RequestID uint64
	IDOffset  uint32        // where the request id sits in the frame, big-endian
	IDWidth   uint8         // 4, 8, or 0 when the proxy cannot rewrite the id
	Status    string        // the response status name ("OK"...), empty for requests
	Class     ResponseClass // for responses, what they say about the call (retry policies)
}

type decodeStatus uint8

const (
	statusFrame decodeStatus = iota
	statusNeedMore
	statusError
)

// Decoded is the result of Connection.Decode: build it with DecodedFrame, NeedMore or Malformed.
// It is a plain value so that decoding a frame allocates nothing.
type Decoded struct {
	status  decodeStatus
	frame   FrameInfo
	need    int
	message string
}

// DecodedFrame is a complete frame.
func DecodedFrame(f FrameInfo) Decoded { return Decoded{status: statusFrame, frame: f} }

// NeedMore asks for more bytes: the total the frame needs if known, else 0.
func NeedMore(total int) Decoded { return Decoded{status: statusNeedMore, need: total} }

// Malformed says the bytes are not this protocol; the proxy closes the connection with message.
func Malformed(message string) Decoded { return Decoded{status: statusError, message: message} }

// Frame returns the frame of a DecodedFrame result.
func (d Decoded) Frame() (FrameInfo, bool) { return d.frame, d.status == statusFrame }

// Need returns the total of a NeedMore result.
func (d Decoded) Need() (int, bool) { return d.need, d.status == statusNeedMore }

// Err returns the message of a Malformed result.
func (d Decoded) Err() (string, bool) { return d.message, d.status == statusError }

// ErrNoReply is returned by Connection.ErrorReply for a request that must not be answered (one-way).
var ErrNoReply = errors.New("no reply")

// Metadata collects a frame's key/value pairs straight into the result block (no per-key
// allocation).
type Metadata struct {
	pairs []byte
	count uint32
}

// Put adds a pair.
func (m *Metadata) Put(key, value string) {
	m.pairs = appendPair(m.pairs, key, value)
	m.count++
}

// PutBytes adds a pair whose bytes are already UTF-8.
func (m *Metadata) PutBytes(key string, value []byte) {
	m.pairs = appendPair(m.pairs, key, value)
	m.count++
}

// appendPair grows b once and appends the length-prefixed key and value. Not inlined: inlined,
// each Put is a few KB of Wasm, and a codec function with several passes the JVM's huge-method
// limit (wasm-host HugeFunctions), where it runs interpreted.
//
//go:noinline
func appendPair[V string | []byte](b []byte, key string, value V) []byte {
	b = slices.Grow(b, 8+len(key)+len(value))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(key)))
	b = append(b, key...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(value)))
	return append(b, value...)
}

// Len is the number of pairs.
func (m *Metadata) Len() int { return int(m.count) }

// Pairs decodes the pairs, for tests.
func (m *Metadata) Pairs() [][2]string {
	var out [][2]string
	b := m.pairs
	for len(b) >= 4 {
		k := int(binary.LittleEndian.Uint32(b))
		key := string(b[4 : 4+k])
		b = b[4+k:]
		v := int(binary.LittleEndian.Uint32(b))
		out = append(out, [2]string{key, string(b[4 : 4+v])})
		b = b[4+v:]
	}
	return out
}

func (m *Metadata) reset() {
	m.pairs = m.pairs[:0]
	m.count = 0
}

// Change is one entry of a Mutation: Remove, or set Key to Value.
type Change struct {
	Key    string
	Value  string
	Remove bool
}

// Mutation is a metadata change requested by the proxy's filters.
type Mutation []Change

// Get returns the change for key: (value, true, false) set, (_, true, true) removed, (_, false, _)
// untouched. A later entry for the same key wins.
func (m Mutation) Get(key string) (value string, changed, removed bool) {
	for i := len(m) - 1; i >= 0; i-- {
		if m[i].Key == key {
			return m[i].Value, true, m[i].Remove
		}
	}
	return "", false, false
}

// ParseMutation reads the ABI mutation block.
func ParseMutation(block []byte) (Mutation, error) {
	bad := errors.New("malformed mutation block")
	if len(block) < 4 {
		return nil, bad
	}
	count := binary.LittleEndian.Uint32(block)
	block = block[4:]
	if uint64(count) > uint64(len(block))/8 {
		return nil, bad
	}
	m := make(Mutation, 0, count)
	for i := uint32(0); i < count; i++ {
		if len(block) < 4 {
			return nil, bad
		}
		kl := binary.LittleEndian.Uint32(block)
		if uint64(kl)+8 > uint64(len(block)) {
			return nil, bad
		}
		key := string(block[4 : 4+kl])
		block = block[4+kl:]
		vl := int32(binary.LittleEndian.Uint32(block))
		block = block[4:]
		if vl < 0 {
			m = append(m, Change{Key: key, Remove: true})
			continue
		}
		if int64(vl) > int64(len(block)) {
			return nil, bad
		}
		m = append(m, Change{Key: key, Value: string(block[:vl])})
		block = block[vl:]
	}
	return m, nil
}

// Codec is one value per module instance (per proxy event loop).
type Codec interface {
	// NewConnection returns the state of a new proxied connection. A stateless codec may return
	// the same value every time.
	NewConnection() Connection
}

// HealthChecker is implemented by a Codec that builds the protocol's health-check request (a
// heartbeat): the proxy sends it to check an endpoint and to keep idle connections, and an answer
// passes when Decode makes it a Response of class Success. A module whose codec implements it
// also declares the export in its main package (ABI.md), which is how the proxy knows:
//
//	//go:wasmexport protean_codec_health_check_request
//	func healthCheckRequest(id int64, optionsLen int32) int32 {
//		return protean.HealthCheckRequest(id, optionsLen)
//	}
type HealthChecker interface {
	// HealthCheckRequest is the request with request id id, built from the JSON options of the
	// cluster's protocol_health_check.
	HealthCheckRequest(id uint64, options []byte) ([]byte, error)
}

// Connection decodes and encodes the frames of one proxied connection.
type Connection interface {
	// Decode decodes at most one frame from the start of input, writing its metadata into md.
	Decode(input []byte, md *Metadata) Decoded
	// Encode re-encodes frame with mutation applied.
	Encode(frame []byte, mutation Mutation) ([]byte, error)
	// ErrorReply is the protocol's error reply to the request frame, or ErrNoReply.
	ErrorReply(frame []byte, e ErrorType, message string) ([]byte, error)
	// HeartbeatReply is the reply to the heartbeat frame.
	HeartbeatReply(frame []byte) ([]byte, error)
}

// ConfigNumber reads a top-level number option from the codec's JSON config
// ({"max_payload": 65536}) without a JSON library. ok is false when the key is absent.
func ConfigNumber(config []byte, key string) (n int, ok bool, err error) {
	text := string(config)
	quoted := `"` + key + `"`
	at := strings.Index(text, quoted)
	if at < 0 {
		return 0, false, nil
	}
	rest := strings.TrimLeft(text[at+len(quoted):], ": \t\r\n")
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, err = strconv.Atoi(rest[:end])
	if err != nil {
		return 0, true, errors.New(key + ": expected a number")
	}
	return n, true, nil
}
