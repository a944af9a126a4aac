// The Dubbo protocol (16-byte header, hessian2 body) in Go: a port of the Rust codec
// (example-codecs-rust/codecs/dubbo), itself a port of the proxy's native Java codec, with the
// same frames, metadata, limits, error messages and replies, so that the three can be compared
// on the same traffic (conformance/vectors/dubbo).
//
//	0-1 magic 0xdabb   2 flags: 0x80 request, 0x40 two-way, 0x20 event, low 5 bits serialization
//	3 status           4-11 request id          12-15 body length
//	request body: dubbo version, service path, version, method, parameter types, args, attachments
//	OK response body: type (0 exception, 1 value, 2 null; +3 with attachments), value, attachments
//
//	metadata  interface, method, version (when not empty), dubbo, then the attachments with
//	          string or scalar values (body fields win over attachments of the same name, the
//	          first attachment over later ones; at most 256); event for events; for an OK
//	          response of a *_WITH_ATTACHMENTS type, its attachments (the value is skipped)
//	id        the request id: 8 big-endian bytes at offset 4
//	errors    a hessian2-serialized response carrying the message, with a Dubbo status
//
// The argument values are skipped, not decoded. Encode re-encodes requests and OK responses (a
// response without attachments that gains one becomes its *_WITH_ATTACHMENTS variant; this codec
// cannot see the request's protocol version and assumes a 2.0.2+ client, as the Rust one does).
// Config: {"max_body_size": N} (default 8 MiB).
package main

import (
	"encoding/binary"
	"errors"
	"strconv"
	"unsafe"

	"github.com/protean/example-codecs-tinygo/protean"
)

func main() {}

func init() { protean.SetCodec(newDubbo) }

// The proxy lets filters change response metadata only on a module that says Encode re-encodes
// responses (ABI.md).
//
//go:wasmexport protean_codec_encodes_responses
func encodesResponses() {}

// The codec builds Dubbo's heartbeat as the health-check request (ABI.md).
//
//go:wasmexport protean_codec_health_check_request
func healthCheckRequest(id int64, optionsLen int32) int32 {
	return protean.HealthCheckRequest(id, optionsLen)
}

const (
	header          = 16
	flagRequest     = 0x80
	flagTwoWay      = 0x40
	flagEvent       = 0x20
	serialization   = 0x1f
	hessian2        = 2
	statusOK        = 20
	maxValueChars   = 65536
	maxMetadataKeys = 256
	// Response types: a value, null and an exception, each also with attachments (+3).
	responseNullValue                = 2
	withAttachments                  = 3
	responseNullValueWithAttachments = 5
)

// dubbo is the codec and, as it keeps no per-connection state, every connection's Connection:
// a Wasm instance runs one call at a time, so the scratch buffers below are shared by all the
// connections of the instance and allocated once.
type dubbo struct {
	maxBody int
	r       reader
	keys    [][]byte // the attachment keys put into the metadata of the frame being decoded
	spans   []span   // the attachments of the frame being re-encoded
	// Where the value of the response being parsed starts and ends in its body.
	valueStart, valueEnd int
	out     []byte   // the last Encode / ErrorReply / HeartbeatReply result
	// Whether the frame being decoded put version and dubbo (interface and method it always puts).
	hasVersion, hasDubbo bool
	// Whether the frame being decoded is a response (no body fields: every key is an attachment).
	inResponse bool
}

// span is where an attachment entry is in the body, and its key (has false: not a string or
// scalar key).
type span struct {
	start, end int
	key        []byte
	has        bool
}

func newDubbo(config []byte) (protean.Codec, error) {
	max, ok, err := protean.ConfigNumber(config, "max_body_size")
	if err != nil {
		return nil, err
	}
	if !ok {
		max = 8 << 20
	}
	return &dubbo{maxBody: max}, nil
}

func (d *dubbo) NewConnection() protean.Connection { return d }

// str is b as a string without a copy, for passing bytes of the frame where the SDK takes a
// string it only reads during the call.
func str(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// stringBytes is s as bytes without a copy, for reading only.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func statusName(status byte) string {
	switch status {
	case 20:
		return "OK"
	case 30:
		return "CLIENT_TIMEOUT"
	case 31:
		return "SERVER_TIMEOUT"
	case 35:
		return "CHANNEL_INACTIVE"
	case 40:
		return "BAD_REQUEST"
	case 50:
		return "BAD_RESPONSE"
	case 60:
		return "SERVICE_NOT_FOUND"
	case 70:
		return "SERVICE_ERROR"
	case 80:
		return "SERVER_ERROR"
	case 90:
		return "CLIENT_ERROR"
	case 100:
		return "SERVER_THREADPOOL_EXHAUSTED_ERROR"
	}
	return otherStatus(status)
}

//go:noinline
func otherStatus(status byte) string { return "STATUS_" + strconv.Itoa(int(status)) }

func statusOf(e protean.ErrorType) byte {
	switch e {
	case protean.RouteNotFound, protean.ClusterNotFound:
		return 60
	case protean.NoHealthyUpstream, protean.UpstreamConnectFailure, protean.UpstreamReset:
		return 70
	case protean.Timeout:
		return 31
	case protean.Overloaded, protean.RateLimited:
		return 100
	case protean.CodecFailure:
		return 40
	}
	return 80 // LocalReply, Internal
}

func (d *dubbo) Decode(in []byte, md *protean.Metadata) protean.Decoded {
	if len(in) > 0 && in[0] != 0xda || len(in) > 1 && in[1] != 0xbb {
		return protean.Malformed(badMagic(in))
	}
	if len(in) < header {
		return protean.NeedMore(0)
	}
	bodyLen := binary.BigEndian.Uint32(in[12:])
	if uint64(bodyLen) > uint64(d.maxBody) {
		return protean.Malformed(d.oversize(bodyLen))
	}
	total := header + int(bodyLen)
	if len(in) < total {
		return protean.NeedMore(total)
	}
	flags := in[2]
	f := protean.FrameInfo{Consumed: total, RequestID: binary.BigEndian.Uint64(in[4:]), IDOffset: 4, IDWidth: 8}
	switch {
	case flags&flagRequest == 0:
		if flags&flagEvent != 0 {
			md.Put("event", "true")
		} else if in[3] == statusOK && flags&serialization == hessian2 && total > header {
			// The client, not the proxy, judges a response: one that does not parse is forwarded
			// with the attachments read so far (a re-encode of it fails).
			d.responseBody(in[header:total], md, false)
		}
		f.Type = protean.Response
		if in[3] != statusOK {
			f.Type = protean.Error
		}
		f.Status = statusName(in[3])
		f.Class = classOf(in[3], flags, in[header:total])
	case flags&flagEvent != 0 && flags&flagTwoWay != 0:
		f.Type = protean.Heartbeat
	case flags&flagEvent != 0:
		if !d.event(flags, in[header:total], md) {
			return protean.Malformed(d.r.message())
		}
		f.Type = protean.Event
	default:
		if _, ok := d.request(flags, in[header:total], md, false); !ok {
			return protean.Malformed(d.r.message())
		}
		f.Type = protean.Oneway
		if flags&flagTwoWay != 0 {
			f.Type = protean.Request
		}
	}
	return protean.DecodedFrame(f)
}

//go:noinline
func badMagic(in []byte) string {
	shown := ""
	for i := 0; i < len(in) && i < 2; i++ {
		shown += hex(in[i])
	}
	return "dubbo: expected magic 0xdabb, found 0x" + shown
}

//go:noinline
func (d *dubbo) oversize(bodyLen uint32) string {
	return "dubbo: body length " + strconv.FormatUint(uint64(bodyLen), 10) + " exceeds the limit of " +
		strconv.Itoa(d.maxBody) + " bytes"
}

// event reads a one-way event's data (a read-only event's "R"...) into the event key.
//
//go:noinline
func (d *dubbo) event(flags byte, body []byte, md *protean.Metadata) bool {
	r := &d.r
	r.reset(body)
	if flags&serialization == hessian2 && len(body) > 0 {
		data, has, ok := r.scalar(wEventData)
		if !ok {
			return false
		}
		if has {
			md.PutBytes("event", data)
			return true
		}
	}
	md.Put("event", "unknown")
	return true
}

// request parses a request body: its metadata into md (none when md is nil) and, with spans,
// where each attachment entry is into d.spans. It returns where the attachments start, or false
// with the error in d.r.message().
func (d *dubbo) request(flags byte, body []byte, md *protean.Metadata, spans bool) (int, bool) {
	r := &d.r
	r.reset(body)
	d.keys, d.spans = d.keys[:0], d.spans[:0]
	if s := flags & serialization; s != hessian2 {
		r.err = notHessian2(s)
		return 0, false
	}
	if !d.fields(md) {
		return 0, false
	}
	return d.attachments(md, spans)
}

// responseBody parses an OK response body: its type, the value or exception (skipped), then the
// attachments of a *_WITH_ATTACHMENTS type into md (none when md is nil) and, with spans, into
// d.spans. It returns the type and where the value is, or false with the error in d.r.message().
func (d *dubbo) responseBody(body []byte, md *protean.Metadata, spans bool) (kind int32, valueStart, valueEnd int, ok bool) {
	r := &d.r
	r.reset(body)
	d.keys, d.spans = d.keys[:0], d.spans[:0]
	d.hasVersion, d.hasDubbo, d.inResponse = false, false, true
	kind, ok = d.responseParts(md, spans)
	d.inResponse = false
	return kind, d.valueStart, d.valueEnd, ok
}

func (d *dubbo) responseParts(md *protean.Metadata, spans bool) (int32, bool) {
	r := &d.r
	kind, ok := r.readInt(wResponseType)
	if !ok {
		return 0, false
	}
	if kind < 0 || kind > responseNullValueWithAttachments {
		return 0, r.badResponseType(kind)
	}
	d.valueStart = r.pos
	if kind != responseNullValue && kind != responseNullValueWithAttachments && !r.skip(0) {
		return 0, false
	}
	d.valueEnd = r.pos
	if kind >= withAttachments {
		if _, ok := d.attachments(md, spans); !ok {
			return 0, false
		}
	}
	return kind, true
}

//go:noinline
func (r *reader) badResponseType(kind int32) bool {
	return r.fail("unknown response type " + strconv.Itoa(int(kind)))
}

//go:noinline
func notHessian2(s byte) string {
	return "dubbo: request serialization id " + strconv.Itoa(int(s)) +
		" is not supported; this codec reads hessian2 (id 2)"
}

// fields reads the body fields up to the attachments: the strings into md, the arguments skipped.
func (d *dubbo) fields(md *protean.Metadata) bool {
	r := &d.r
	dubboVersion, noDubbo, ok := r.readString(wDubboVersion, maxValueChars)
	if !ok {
		return false
	}
	service, noService, ok := r.readString(wService, maxValueChars)
	if !ok {
		return false
	}
	version, noVersion, ok := r.readString(wVersion, maxValueChars)
	if !ok {
		return false
	}
	method, noMethod, ok := r.readString(wMethod, maxValueChars)
	if !ok {
		return false
	}
	types, _, ok := r.readString(wTypes, noLimit)
	if !ok {
		return false
	}
	if noService || noMethod {
		return r.fail("request without service path or method name")
	}
	d.hasVersion, d.hasDubbo = !noVersion && len(version) > 0, !noDubbo
	if md != nil {
		md.PutBytes("interface", service)
		md.PutBytes("method", method)
		if d.hasVersion {
			md.PutBytes("version", version)
		}
		if d.hasDubbo {
			md.PutBytes("dubbo", dubboVersion)
		}
	}
	n, ok := r.parameterCount(types)
	if !ok {
		return false
	}
	for ; n > 0; n-- {
		if !r.skip(0) {
			return false
		}
	}
	return true
}

// parameterCount counts the parameters in a JVM descriptor such as `Ljava/lang/String;[I[[Lx/Y;J`.
func (r *reader) parameterCount(desc []byte) (int, bool) {
	n := 0
	for i := 0; i < len(desc); i++ {
		switch desc[i] {
		case '[':
			continue
		case 'L':
			for i < len(desc) && desc[i] != ';' {
				i++
			}
			if i == len(desc) {
				return 0, r.badTypes("unterminated class name in", desc)
			}
		case 'Z', 'B', 'C', 'D', 'F', 'I', 'J', 'S', 'V':
		default:
			return 0, r.badTypes("invalid", desc)
		}
		n++
	}
	return n, true
}

//go:noinline
func (r *reader) badTypes(problem string, desc []byte) bool {
	return r.fail(problem + " parameter types '" + string(desc) + "'")
}

// attachments reads the attachments map, if any.
func (d *dubbo) attachments(md *protean.Metadata, spans bool) (int, bool) {
	r := &d.r
	start := r.pos
	if start >= len(r.buf) || r.buf[start] == 'N' {
		return start, true
	}
	tag := r.buf[start]
	if tag != 'H' && tag != 'M' {
		return 0, r.notAMap(tag)
	}
	r.pos++
	if tag == 'M' && !r.skipType() {
		return 0, false
	}
	taken := 0
	for {
		tag, ok := r.peek()
		if !ok {
			return 0, false
		}
		if tag == 'Z' {
			return start, true
		}
		at := r.pos
		key, hasKey, ok := r.scalar(wKey)
		if !ok {
			return 0, false
		}
		value, hasValue, ok := r.scalar(wAttachmentValue)
		if !ok {
			return 0, false
		}
		if hasKey && hasValue && md != nil && taken < maxMetadataKeys && !d.taken(key) {
			md.PutBytes(str(key), value)
			d.keys = append(d.keys, key)
			taken++
		}
		if spans {
			d.spans = append(d.spans, span{at, r.pos, key, hasKey})
		}
	}
}

//go:noinline
func (r *reader) notAMap(tag byte) bool {
	return r.fail("expected the attachments map, found tag 0x" + hex(tag))
}

// taken says whether the frame's metadata has key: a scan, as a frame has a handful of keys.
func (d *dubbo) taken(key []byte) bool {
	switch string(key) {
	case "interface", "method":
		if !d.inResponse {
			return true
		}
	case "version":
		if d.hasVersion {
			return true
		}
	case "dubbo":
		if d.hasDubbo {
			return true
		}
	}
	for _, k := range d.keys {
		if string(k) == string(key) {
			return true
		}
	}
	return false
}

// Encode rewrites the attachments map: unchanged entries copied byte for byte, mutated keys get
// string values, removed keys are dropped, new keys appended; the body fields are not touched.
// The result is valid until the next call.
func (d *dubbo) Encode(frame []byte, m protean.Mutation) ([]byte, error) {
	if len(frame) < header {
		return nil, errors.New("dubbo: no frame to re-encode")
	}
	if frame[2]&flagRequest == 0 {
		return d.encodeResponse(frame, m)
	}
	if frame[2]&flagEvent != 0 {
		return nil, errors.New("dubbo: only requests and responses can be re-encoded")
	}
	body := frame[header:]
	start, ok := d.request(frame[2], body, nil, true)
	if !ok {
		return nil, errors.New(d.r.message())
	}
	out := append(d.out[:0], frame[:header+start]...)
	return d.finish(d.appendAttachments(out, body, m)), nil
}

// encodeResponse rewrites an OK response's attachments; one without gains them as its
// *_WITH_ATTACHMENTS variant. An error status carries only its message.
func (d *dubbo) encodeResponse(frame []byte, m protean.Mutation) ([]byte, error) {
	flags, status := frame[2], frame[3]
	if flags&flagEvent != 0 {
		return nil, errors.New("dubbo: an event response carries no attachments")
	}
	if status != statusOK {
		return nil, errors.New("dubbo: a response with status " + statusName(status) + " carries only an error message, no attachments")
	}
	if s := flags & serialization; s != hessian2 {
		return nil, errors.New("dubbo: response serialization id " + strconv.Itoa(int(s)) + " is not supported; this codec reads hessian2 (id 2)")
	}
	body := frame[header:]
	kind, valueStart, valueEnd, ok := d.responseBody(body, nil, true)
	if !ok {
		return nil, errors.New(d.r.message())
	}
	if kind < withAttachments {
		sets := false
		for _, c := range m {
			sets = sets || !c.Remove
		}
		if !sets { // nothing to remove from a response without attachments
			return d.finish(append(d.out[:0], frame...)), nil
		}
		kind += withAttachments
	}
	out := append(append(d.out[:0], frame[:header]...), byte(0x90+kind))
	out = append(out, body[valueStart:valueEnd]...)
	return d.finish(d.appendAttachments(out, body, m)), nil
}

// appendAttachments appends an attachments map: the entries in d.spans byte for byte unless m
// changes them, then m's sets.
func (d *dubbo) appendAttachments(out, body []byte, m protean.Mutation) []byte {
	out = append(out, 'H')
	for _, s := range d.spans {
		if s.has {
			if _, changed, _ := m.Get(str(s.key)); changed {
				continue
			}
		}
		out = append(out, body[s.start:s.end]...)
	}
	// The host sends each key once (removals, then sets).
	for _, c := range m {
		if !c.Remove {
			out = appendString(appendString(out, c.Key), c.Value)
		}
	}
	return append(out, 'Z')
}

// finish writes out's body length and keeps out for the next call.
func (d *dubbo) finish(out []byte) []byte {
	binary.BigEndian.PutUint32(out[12:], uint32(len(out)-header))
	d.out = out
	return out
}

// response starts a response to frame (same request id) in d.out: the header, body length 0.
func (d *dubbo) response(frame []byte, flags, status byte) []byte {
	out := append(d.out[:0], 0xda, 0xbb, flags, status)
	out = append(out, frame[4:12]...)
	return append(out, 0, 0, 0, 0)
}

// ErrorReply is a response with the error's Dubbo status and the message as a hessian2 string;
// one-way requests and events get none. The result is valid until the next call.
func (d *dubbo) ErrorReply(frame []byte, e protean.ErrorType, message string) ([]byte, error) {
	if len(frame) < header {
		return nil, errors.New("dubbo: no request to answer")
	}
	if frame[2]&flagTwoWay == 0 || frame[2]&flagEvent != 0 {
		return nil, protean.ErrNoReply
	}
	return d.finish(appendString(d.response(frame, hessian2, statusOf(e)), message)), nil
}

// HeartbeatReply is a heartbeat response (event, status OK, body null) in the request's
// serialization. The result is valid until the next call.
func (d *dubbo) HeartbeatReply(frame []byte) ([]byte, error) {
	if len(frame) < header {
		return nil, errors.New("dubbo: no heartbeat to answer")
	}
	return d.finish(append(d.response(frame, flagEvent|frame[2]&serialization, statusOK), 'N')), nil
}

// HealthCheckRequest is Dubbo's heartbeat: a two-way event request, hessian2, body null (N), as
// Dubbo's own HeartbeatHandler sends it; a provider answers with an event response, status OK.
// It takes no options. The result is valid until the next call.
func (d *dubbo) HealthCheckRequest(id uint64, options []byte) ([]byte, error) {
	for _, b := range options {
		if b != ' ' && b != '{' && b != '}' && b != '\n' && b != '\t' && b != '\r' {
			return nil, errors.New("dubbo: the health check takes no options")
		}
	}
	out := append(d.out[:0], 0xda, 0xbb, flagRequest|flagTwoWay|flagEvent|hessian2, 0)
	out = binary.BigEndian.AppendUint64(out, id)
	out = binary.BigEndian.AppendUint32(out, 1)
	d.out = append(out, 'N')
	return d.out, nil
}

// classOf says what a response means for retries, as the native codec does: an OK status whose
// body starts with RESPONSE_WITH_EXCEPTION(_WITH_ATTACHMENTS) (hessian2 ints 0x90, 0x93)
// carries a business exception.
//
//go:noinline
func classOf(status, flags byte, body []byte) protean.ResponseClass {
	switch status {
	case statusOK:
		if flags&flagEvent == 0 && flags&serialization == hessian2 && len(body) > 0 &&
			(body[0] == 0x90 || body[0] == 0x93) {
			return protean.ClassApplicationException
		}
		return protean.ClassSuccess
	case 30, 31:
		return protean.ClassServerTimeout
	case 35, 50, 60, 70, 80:
		return protean.ClassServerError
	case 40, 90:
		return protean.ClassRequestRejected
	case 100:
		return protean.ClassOverloaded
	}
	return protean.ClassUnknown
}
