package main

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/protean/example-codecs-tinygo/protean"
)

const (
	twoWayRequest = flagRequest | flagTwoWay | hessian2
	onewayRequest = flagRequest | hessian2
)

// frame is a Dubbo frame with the given header fields and body.
func frame(flags, status byte, id uint64, body []byte) []byte {
	out := []byte{0xda, 0xbb, flags, status}
	out = binary.BigEndian.AppendUint64(out, id)
	out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
	return append(out, body...)
}

// strs appends hessian2 strings.
func strs(out []byte, ss ...string) []byte {
	for _, s := range ss {
		out = appendString(out, s)
	}
	return out
}

// cat joins byte slices into a new one.
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// greetTypes are the parameter types of greetArgs: a string, a map {"k": 1}, an int[] {1, 2}, an
// object of class a.B {f: "v"}.
const greetTypes = "Ljava/lang/String;Ljava/util/Map;[ILa/B;"

func greetArgs() []byte {
	b := strs(nil, "ann")
	b = append(strs(append(b, 'H'), "k"), 0x91, 'Z')
	b = append(strs(append(b, 'V'), "[int"), 0x92, 0x91, 0x92)
	b = append(strs(append(strs(append(b, 'C'), "a.B"), 0x91), "f"), 0x60)
	return strs(b, "v")
}

// greetAttachments: body fields and the first of two equal keys win; non-scalar values are
// skipped; scalar keys and values are text.
func greetAttachments() []byte {
	b := strs([]byte{'H'}, "group", "g1", "x-user", "alice\U0001F600", "x-num")
	b = append(b, 0xd4, 0x00, 0x2a) // a three-byte int: 42
	b = strs(b, "interface", "other", "group", "g2", "version", "9", "flag")
	b = append(b, 'F')
	b = append(strs(b, "neg"), 0xc7, 0x00) // a two-byte int: -256
	b = append(strs(b, "long"), 0x59, 0xff, 0xff, 0xff, 0xff)
	b = append(strs(b, "list"), 0x79, 0x91) // a one-element list: skipped
	b = strs(append(b, 0x91), "one")        // the int key 1
	b = append(b, 'T', 'L', 0, 0, 0, 1, 0, 0, 0, 0)
	return append(b, 'Z')
}

var greetHead = strs(nil, "2.0.2", "a.b.Service", "1.0.0", "greet", greetTypes)

func greet() []byte {
	return frame(twoWayRequest, 0, 7, cat(greetHead, greetArgs(), greetAttachments()))
}

var greetMetadata = [][2]string{
	{"interface", "a.b.Service"}, {"method", "greet"}, {"version", "1.0.0"}, {"dubbo", "2.0.2"},
	{"group", "g1"}, {"x-user", "alice\U0001F600"}, {"x-num", "42"}, {"flag", "false"}, {"neg", "-256"},
	{"long", "-1"}, {"1", "one"}, {"true", "4294967296"},
}

func codec(t testing.TB, config string) *dubbo {
	c, err := newDubbo([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	return c.NewConnection().(*dubbo)
}

func decode(t testing.TB, in []byte) (protean.FrameInfo, [][2]string) {
	t.Helper()
	var md protean.Metadata
	d := codec(t, `{}`).Decode(in, &md)
	f, ok := d.Frame()
	if !ok {
		msg, _ := d.Err()
		need, _ := d.Need()
		t.Fatalf("not a frame: error %q, need %d", msg, need)
	}
	return f, md.Pairs()
}

func decodeError(t testing.TB, config string, in []byte) string {
	t.Helper()
	msg, ok := codec(t, config).Decode(in, &protean.Metadata{}).Err()
	if !ok {
		t.Fatalf("%x: no error", in)
	}
	return msg
}

func TestRequestMetadata(t *testing.T) {
	in := greet()
	f, md := decode(t, in)
	want := protean.FrameInfo{Consumed: len(in), Type: protean.Request, RequestID: 7, IDOffset: 4, IDWidth: 8}
	if f != want {
		t.Fatalf("%+v", f)
	}
	if !reflect.DeepEqual(md, greetMetadata) {
		t.Fatalf("%q", md)
	}
	// One-way; an empty version is left out (an attachment may then set it); no attachments.
	body := append(strs(nil, "2.0.2", "S", "", "m", "J"), 0xe0)
	if f, md := decode(t, frame(onewayRequest, 0, 1, cat(body, []byte{'N'}))); f.Type != protean.Oneway ||
		!reflect.DeepEqual(md, [][2]string{{"interface", "S"}, {"method", "m"}, {"dubbo", "2.0.2"}}) {
		t.Fatalf("%+v %q", f, md)
	}
	if _, md := decode(t, frame(onewayRequest, 0, 1, body)); len(md) != 3 {
		t.Fatalf("%q", md)
	}
	withVersion := cat(body, strs([]byte{'H'}, "version", "2"), []byte{'Z'})
	if _, md := decode(t, frame(onewayRequest, 0, 1, withVersion)); len(md) != 4 || md[3] != [2]string{"version", "2"} {
		t.Fatalf("%q", md)
	}
	// A null dubbo version, a typed map ('M' and its type), a chunked non-ASCII value.
	long := strings.Repeat("é", 0x8001)
	typed := cat([]byte{'N'}, strs(nil, "S", "1", "m", ""), strs([]byte{'M'}, "java.util.HashMap", "k", long), []byte{'Z'})
	if _, md := decode(t, frame(twoWayRequest, 0, 1, typed)); !reflect.DeepEqual(md,
		[][2]string{{"interface", "S"}, {"method", "m"}, {"version", "1"}, {"k", long}}) {
		t.Fatal(len(md))
	}
	// The same key 300 times: the first only.
	same := cat(body, []byte{'H'})
	for i := 0; i < 300; i++ {
		same = append(strs(same, "k"), 0xd4, byte(i>>8), byte(i))
	}
	if _, md := decode(t, frame(onewayRequest, 0, 1, cat(same, []byte{'Z'}))); len(md) != 4 || md[3] != [2]string{"k", "0"} {
		t.Fatalf("equal keys: %q", md)
	}
	// At most 256 attachments are taken.
	distinct := cat(body, []byte{'H'})
	for i := 0; i < 300; i++ {
		distinct = append(strs(distinct, "k"+string(rune('a'+i%26))+string(rune('a'+i/26))), 0x90)
	}
	if _, md := decode(t, frame(onewayRequest, 0, 1, cat(distinct, []byte{'Z'}))); len(md) != 3+maxMetadataKeys {
		t.Fatalf("distinct keys: %d", len(md))
	}
}

func TestResponsesAndEvents(t *testing.T) {
	cases := []struct {
		name   string
		in     []byte
		typ    protean.MessageType
		status string
		md     [][2]string
	}{
		{"response", frame(hessian2, 20, 9, []byte{0x91, 'N'}), protean.Response, "OK", nil},
		{"error response", frame(hessian2, 70, 9, strs([]byte{}, "boom")), protean.Error, "SERVICE_ERROR", nil},
		{"threadpool", frame(hessian2, 100, 9, nil), protean.Error, "SERVER_THREADPOOL_EXHAUSTED_ERROR", nil},
		{"unknown status", frame(hessian2, 77, 9, nil), protean.Error, "STATUS_77", nil},
		{"heartbeat response", frame(flagEvent|hessian2, 20, 9, []byte{'N'}), protean.Response, "OK", [][2]string{{"event", "true"}}},
		{"heartbeat", frame(flagRequest|flagTwoWay|flagEvent|hessian2, 0, 9, []byte{'N'}), protean.Heartbeat, "", nil},
		{"read-only event", frame(flagRequest|flagEvent|hessian2, 0, 9, strs(nil, "R")), protean.Event, "", [][2]string{{"event", "R"}}},
		{"int event", frame(flagRequest|flagEvent|hessian2, 0, 9, []byte{0x90}), protean.Event, "", [][2]string{{"event", "0"}}},
		{"empty event", frame(flagRequest|flagEvent|hessian2, 0, 9, nil), protean.Event, "", [][2]string{{"event", "unknown"}}},
		{"map event", frame(flagRequest|flagEvent|hessian2, 0, 9, []byte{'H', 'Z'}), protean.Event, "", [][2]string{{"event", "unknown"}}},
		{"fastjson2 event", frame(flagRequest|flagEvent|23, 0, 9, []byte("\"R\"")), protean.Event, "", [][2]string{{"event", "unknown"}}},
	}
	for _, c := range cases {
		f, md := decode(t, c.in)
		if f.Type != c.typ || f.Status != c.status || f.RequestID != 9 || f.Consumed != len(c.in) || !reflect.DeepEqual(md, c.md) {
			t.Errorf("%s: %+v %q", c.name, f, md)
		}
	}
}

func TestClassifiesResponsesForRetries(t *testing.T) {
	cases := []struct {
		in   []byte
		want protean.ResponseClass
	}{
		{frame(hessian2, 20, 9, []byte{0x91, 'N'}), protean.ClassSuccess},
		{frame(hessian2, 20, 9, []byte{0x90, 'N'}), protean.ClassApplicationException},
		{frame(hessian2, 20, 9, []byte{0x93, 'N', 'H', 'Z'}), protean.ClassApplicationException},
		{frame(flagEvent|hessian2, 20, 9, []byte{'N'}), protean.ClassSuccess},
		{frame(hessian2, 31, 9, nil), protean.ClassServerTimeout},
		{frame(hessian2, 70, 9, strs([]byte{}, "boom")), protean.ClassServerError},
		{frame(hessian2, 40, 9, nil), protean.ClassRequestRejected},
		{frame(hessian2, 100, 9, nil), protean.ClassOverloaded},
		{frame(hessian2, 77, 9, nil), protean.ClassUnknown},
	}
	for i, c := range cases {
		if f, _ := decode(t, c.in); f.Class != c.want {
			t.Errorf("case %d: %v, want %v", i, f.Class, c.want)
		}
	}
}

func TestEveryCutNeedsMore(t *testing.T) {
	for _, in := range [][]byte{greet(), frame(hessian2, 20, 1, []byte{0x91}), frame(flagRequest|flagTwoWay|flagEvent|hessian2, 0, 3, []byte{'N'})} {
		c := codec(t, `{}`)
		for cut := 0; cut < len(in); cut++ {
			need, ok := c.Decode(in[:cut], &protean.Metadata{}).Need()
			want := len(in)
			if cut < header {
				want = 0
			}
			if !ok || need != want {
				t.Fatalf("cut %d: %v %d", cut, ok, need)
			}
		}
		// Coalesced with the next frame: one frame at a time.
		var md protean.Metadata
		if f, ok := c.Decode(append(append([]byte(nil), in...), in...), &md).Frame(); !ok || f.Consumed != len(in) {
			t.Fatalf("%+v", f)
		}
	}
}

func TestMalformed(t *testing.T) {
	const types = "Ljava/lang/String;"
	head := func(ss ...string) []byte { return strs(nil, ss...) }
	req := func(body []byte) []byte { return frame(twoWayRequest, 0, 1, body) }
	cases := []struct {
		config string
		in     []byte
		want   string
	}{
		{`{}`, []byte("GET / HTTP/1.1\r\n"), "dubbo: expected magic 0xdabb, found 0x4745"},
		{`{}`, []byte{0xda, 0}, "dubbo: expected magic 0xdabb, found 0xda00"},
		{`{}`, []byte{0xdb}, "dubbo: expected magic 0xdabb, found 0xdb"},
		{`{}`, frame(flagRequest|flagTwoWay|23, 0, 1, []byte{'N'}),
			"dubbo: request serialization id 23 is not supported; this codec reads hessian2 (id 2)"},
		{`{}`, []byte{0xda, 0xbb, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0},
			"dubbo: body length 4294967040 exceeds the limit of 8388608 bytes"},
		{`{"max_body_size": 3}`, frame(hessian2, 20, 1, []byte{0x91, 0x91, 0x91, 0x91}),
			"dubbo: body length 4 exceeds the limit of 3 bytes"},
		{`{}`, req([]byte{0x1f, '2', '>', '0'}),
			"dubbo: hessian2: truncated body: 1 more byte(s) needed for the dubbo version at body offset 4"},
		{`{}`, req(append(head("2", "S", ""), 'N', 0)),
			"dubbo: hessian2: request without service path or method name at body offset 7"},
		{`{}`, req(head("2", "S", "", "m", "Lx")),
			"dubbo: hessian2: unterminated class name in parameter types 'Lx' at body offset 10"},
		{`{}`, req(head("2", "S", "", "m", "[Q")),
			"dubbo: hessian2: invalid parameter types '[Q' at body offset 10"},
		{`{}`, req(append(head("2", "S", "", "m", types), 0x40)),
			"dubbo: hessian2: unexpected tag 0x40 while reading a value at body offset 26"},
		{`{}`, req(append(head("2", "S", "", "m", types), 0x91, 0x91)),
			"dubbo: hessian2: expected the attachments map, found tag 0x91 at body offset 27"},
		{`{}`, req(append(head("2", "S", "", "m", types), 0x01, 0xff)),
			"dubbo: hessian2: invalid UTF-8 byte 0xff in a string at body offset 27"},
		{`{}`, req(append(head("2", "S", "", "m", types), 0x01, 0xc3, 0x41)),
			"dubbo: hessian2: invalid UTF-8 continuation byte 0x41 in a string at body offset 28"},
		{`{}`, req(append(head("2", "S", "", "m", types), 0x01, 0xc3)),
			"dubbo: hessian2: truncated body: 1 more byte(s) needed for a string at body offset 28"},
		{`{}`, req(append(head("2", "S", "", "m", types), 'I', 0, 0)),
			"dubbo: hessian2: truncated body: 4 more byte(s) needed for a 32-bit value at body offset 27"},
		{`{}`, req(append(head("2", "S", "", "m", types), 0x60)),
			"dubbo: hessian2: object refers to class definition 0 of 0 at body offset 27"},
		{`{}`, req(append(head("2", "S", "", "m", types), 'X', 0x9f)),
			"dubbo: hessian2: list length 15 exceeds the remaining body at body offset 28"},
		{`{}`, req(append(append(head("2", "S", "", "m", types), bytes.Repeat([]byte{0x79}, 70)...), 0x91)),
			"dubbo: hessian2: values nested deeper than 64 at body offset 91"},
		{`{}`, req(append(head("2", "S", "", "m", ""), 'H')),
			"dubbo: hessian2: truncated body: 1 more byte(s) needed for a value at body offset 9"},
		{`{}`, req(append(head(strings.Repeat("x", 65537)), 'N')),
			"dubbo: hessian2: the dubbo version is longer than 65536 characters at body offset 65543"},
	}
	for _, c := range cases {
		if got := decodeError(t, c.config, c.in); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
	if _, err := newDubbo([]byte(`{"max_body_size": "big"}`)); err == nil {
		t.Error("a config that is not a number was accepted")
	}
}

func TestBitFlipsAndTruncationsNeverPanic(t *testing.T) {
	in := greet()
	c := codec(t, `{}`)
	for i := range in {
		for bit := 0; bit < 8; bit++ {
			f := append([]byte(nil), in...)
			f[i] ^= 1 << bit
			c.Decode(f, &protean.Metadata{})
			c.Encode(f, protean.Mutation{{Key: "group", Value: "x"}})
		}
		if i >= header {
			f := append([]byte(nil), in[:i]...)
			binary.BigEndian.PutUint32(f[12:], uint32(i-header))
			c.Decode(f, &protean.Metadata{})
			c.Encode(f, nil)
		}
	}
}

func TestStringsRoundTrip(t *testing.T) {
	for _, s := range []string{"", "a", strings.Repeat("b", 31), strings.Repeat("c", 32), strings.Repeat("d", 1023),
		strings.Repeat("e", 1024), strings.Repeat("f", 0x8000), strings.Repeat("g", 0x8001), "é\U0001F600\u4e2d",
		strings.Repeat("h", 0x7fff) + "\U0001F600" + "i", strings.Repeat("\U0001F600", 0x8001)} {
		r := reader{}
		r.reset(appendString(nil, s))
		got, null, ok := r.readString(wValue, noLimit)
		if !ok || null || string(got) != s || r.pos != len(r.buf) {
			t.Fatalf("%d chars: %v %v %q", len(s), ok, null, r.message())
		}
	}
	// Java's writer: a supplementary char is two 3-byte surrogates; lone surrogates read as U+FFFD.
	if got := appendString(nil, "é\U0001F600"); !bytes.Equal(got, []byte{3, 0xc3, 0xa9, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80}) {
		t.Fatalf("%x", got)
	}
	r := reader{}
	r.reset([]byte{3, 0xed, 0xa0, 0xbd, 'x', 0xed, 0xb8, 0x80})
	if got, _, _ := r.readString(wValue, noLimit); string(got) != "\ufffdx\ufffd" {
		t.Fatalf("%q", got)
	}
}

func TestErrorReply(t *testing.T) {
	c := codec(t, `{}`)
	out, err := c.ErrorReply(greet(), protean.RouteNotFound, "no route")
	want := append([]byte{0xda, 0xbb, hessian2, 60, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 9, 8}, "no route"...)
	if err != nil || !bytes.Equal(out, want) {
		t.Fatalf("%x %v", out, err)
	}
	if f, _ := decode(t, out); f.Type != protean.Error || f.Status != "SERVICE_NOT_FOUND" || f.RequestID != 7 {
		t.Fatalf("%+v", f)
	}
	for e, status := range map[protean.ErrorType]byte{protean.ClusterNotFound: 60, protean.UpstreamReset: 70,
		protean.Timeout: 31, protean.RateLimited: 100, protean.CodecFailure: 40, protean.LocalReply: 80, protean.Internal: 80} {
		if out, _ := c.ErrorReply(greet(), e, "x"); out[3] != status {
			t.Errorf("%v: %d", e, out[3])
		}
	}
	oneway := greet()
	oneway[2] = onewayRequest
	if _, err := c.ErrorReply(oneway, protean.Timeout, "x"); err != protean.ErrNoReply {
		t.Fatal("a one-way request was answered")
	}
	if _, err := c.ErrorReply(frame(flagRequest|flagTwoWay|flagEvent|hessian2, 0, 1, []byte{'N'}), protean.Timeout, "x"); err != protean.ErrNoReply {
		t.Fatal("a heartbeat was answered")
	}
	if _, err := c.ErrorReply(greet()[:15], protean.Timeout, "x"); err == nil || err.Error() != "dubbo: no request to answer" {
		t.Fatal(err)
	}
}

func TestHeartbeatReply(t *testing.T) {
	c := codec(t, `{}`)
	out, err := c.HeartbeatReply(frame(flagRequest|flagTwoWay|flagEvent|hessian2, 0, 0x0102030405060708, []byte{'N'}))
	want := []byte{0xda, 0xbb, flagEvent | hessian2, 20, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 'N'}
	if err != nil || !bytes.Equal(out, want) {
		t.Fatalf("%x %v", out, err)
	}
	if _, err := c.HeartbeatReply(want[:3]); err == nil || err.Error() != "dubbo: no heartbeat to answer" {
		t.Fatal(err)
	}
}

func TestHealthCheckRequestIsDubbosHeartbeat(t *testing.T) {
	d, err := newDubbo([]byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.(protean.HealthChecker).HealthCheckRequest(0x0102, []byte(`{}`))
	// The bytes the Java codec's DubboHeartbeatCheck sends (and Dubbo's HeartbeatHandler).
	want := []byte{0xda, 0xbb, 0xe2, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1, 'N'}
	if err != nil || !bytes.Equal(out, want) {
		t.Fatalf("%x %v", out, err)
	}
	if _, err := d.(protean.HealthChecker).HealthCheckRequest(1, []byte(`{"x": 1}`)); err == nil ||
		!strings.Contains(err.Error(), "no options") {
		t.Fatal(err)
	}
}

func TestEncodeAppliesTheMutation(t *testing.T) {
	c := codec(t, `{}`)
	in := greet()
	m := protean.Mutation{{Key: "group", Remove: true}, {Key: "x-user", Value: "bob"}, {Key: "x-added", Value: "yes\u00e9"}, {Key: "1", Value: "uno"}}
	out, err := c.Encode(in, m)
	if err != nil {
		t.Fatal(err)
	}
	f, md := decode(t, out)
	if f.RequestID != 7 || f.Type != protean.Request || f.Consumed != len(out) {
		t.Fatalf("%+v", f)
	}
	// Both group entries are gone (the second, g2, is not promoted); the list entry is kept.
	want := [][2]string{{"interface", "a.b.Service"}, {"method", "greet"}, {"version", "1.0.0"}, {"dubbo", "2.0.2"},
		{"x-num", "42"}, {"flag", "false"}, {"neg", "-256"}, {"long", "-1"}, {"true", "4294967296"}, {"x-user", "bob"},
		{"x-added", "yes\u00e9"}, {"1", "uno"}}
	if !reflect.DeepEqual(md, want) {
		t.Fatalf("%q", md)
	}
	// The header (but the body length) and the body up to the attachments are copied.
	attachments := header + len(greetHead) + len(greetArgs())
	if !bytes.Equal(out[:12], in[:12]) || !bytes.Equal(out[header:attachments], in[header:attachments]) ||
		!bytes.Contains(out, []byte{4, 'l', 'i', 's', 't', 0x79, 0x91}) {
		t.Fatalf("%x", out)
	}
	// No mutation: the same frame; no attachments (or null ones): a map is added.
	if out, _ := c.Encode(in, nil); !bytes.Equal(out, in) {
		t.Fatalf("%x", out)
	}
	body := strs(nil, "2.0.2", "S", "", "m", "")
	for _, b := range [][]byte{body, cat(body, []byte{'N'})} {
		out, err := c.Encode(frame(onewayRequest, 0, 3, b), protean.Mutation{{Key: "k", Value: "v"}})
		if err != nil || !bytes.Equal(out, frame(onewayRequest, 0, 3, cat(body, strs([]byte{'H'}, "k", "v"), []byte{'Z'}))) {
			t.Fatalf("%x %v", out, err)
		}
	}
	for bad, want := range map[string]string{
		string(frame(flagRequest|flagEvent|hessian2, 0, 1, nil)): "dubbo: only requests and responses can be re-encoded",
		string(in[:10]):                    "dubbo: no frame to re-encode",
		string(frame(hessian2, 70, 1, nil)): "dubbo: a response with status SERVICE_ERROR carries only an error message, no attachments",
	} {
		if _, err := c.Encode([]byte(bad), nil); err == nil || err.Error() != want {
			t.Fatal(err)
		}
	}
	if _, err := c.Encode(frame(twoWayRequest, 0, 1, []byte{0x1f}), nil); err == nil || !strings.HasPrefix(err.Error(), "dubbo: hessian2: truncated body") {
		t.Fatal(err)
	}
}

// okResponse is an OK response of kind (0 exception, 1 value, 2 null, +3 with attachments kv).
func okResponse(kind byte, kv ...string) []byte {
	body := []byte{0x90 + kind}
	switch kind % 3 {
	case 0: // an exception object: class Boom {message}, then its instance
		body = append(strs(append(strs(append(body, 'C'), "Boom"), 0x91), "message"), 0x60)
		body = strs(body, "boom")
	case 1:
		body = strs(body, "hello")
	}
	if kind >= 3 {
		body = append(strs(append(body, 'H'), kv...), 'Z')
	}
	return frame(hessian2, 20, 9, body)
}

func TestResponseAttachments(t *testing.T) {
	c := codec(t, `{}`)
	for kind := byte(0); kind < 6; kind++ {
		in := okResponse(kind, "dubbo", "2.0.2", "interface", "i", "x-gone", "a")
		f, md := decode(t, in)
		var want [][2]string
		if kind >= 3 {
			want = [][2]string{{"dubbo", "2.0.2"}, {"interface", "i"}, {"x-gone", "a"}}
		}
		if f.Type != protean.Response || f.Consumed != len(in) || !reflect.DeepEqual(md, want) {
			t.Fatalf("kind %d: %+v %q", kind, f, md)
		}
		out, err := c.Encode(in, protean.Mutation{{Key: "x-gone", Remove: true}, {Key: "x-added", Value: "yes"}})
		if err != nil {
			t.Fatalf("kind %d: %v", kind, err)
		}
		// The type gains attachments; the value or exception is copied byte for byte.
		value := len(okResponse(kind%3)) - header - 1
		if out[header] != 0x90+kind%3+3 || !bytes.Equal(out[header+1:header+1+value], in[header+1:header+1+value]) {
			t.Fatalf("kind %d: %x", kind, out)
		}
		_, md = decode(t, out)
		want = [][2]string{{"x-added", "yes"}}
		if kind >= 3 {
			want = [][2]string{{"dubbo", "2.0.2"}, {"interface", "i"}, {"x-added", "yes"}}
		}
		if !reflect.DeepEqual(md, want) {
			t.Fatalf("kind %d: %q", kind, md)
		}
	}
	// Only removals on a response without attachments: the same frame.
	if out, err := c.Encode(okResponse(1), protean.Mutation{{Key: "k", Remove: true}}); err != nil || !bytes.Equal(out, okResponse(1)) {
		t.Fatalf("%x %v", out, err)
	}
}

// After the first frame has sized the scratch buffers, parsing, encoding and replies allocate nothing.
func TestNoAllocations(t *testing.T) {
	c, in := codec(t, `{}`), greet()
	m := protean.Mutation{{Key: "x-user", Value: "bob"}}
	response := okResponse(4, "dubbo", "2.0.2")
	n := testing.AllocsPerRun(100, func() {
		if _, ok := c.request(in[2], in[header:], nil, true); !ok {
			t.Fatal(c.r.message())
		}
		c.Encode(in, m)
		c.ErrorReply(in, protean.Timeout, "timed out")
		c.HeartbeatReply(in)
		c.Decode(response, nil)
		c.Encode(response, m)
	})
	if n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
