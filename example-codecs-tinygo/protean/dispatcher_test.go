package protean

import (
	"encoding/binary"
	"errors"
	"testing"
)

// echo is a codec whose frames are one length byte then that many bytes.
type echo struct{}

func (echo) NewConnection() Connection { return echo{} }

func (echo) Decode(in []byte, md *Metadata) Decoded {
	switch {
	case len(in) == 0:
		return NeedMore(0)
	case in[0] == 0xff:
		return Malformed("bad length")
	case len(in) < 1+int(in[0]):
		return NeedMore(1 + int(in[0]))
	}
	md.Put("k", "v")
	return DecodedFrame(FrameInfo{Consumed: 1 + int(in[0]), Type: Response, RequestID: 7, IDOffset: 1, IDWidth: 4, Status: "OK"})
}

func (echo) Encode(frame []byte, m Mutation) ([]byte, error) { return append(frame, byte(len(m))), nil }

func (echo) ErrorReply(frame []byte, e ErrorType, message string) ([]byte, error) {
	if len(frame) == 0 {
		return nil, ErrNoReply
	}
	return []byte(e.String() + ":" + message), nil
}

func (echo) HeartbeatReply([]byte) ([]byte, error) { return nil, errors.New("none") }

func setup(t *testing.T, input []byte) *dispatcher {
	t.Helper()
	t.Cleanup(func() { d = dispatcher{conns: map[int32]Connection{}} })
	SetCodec(func([]byte) (Codec, error) { return echo{}, nil })
	copy(d.inputBuffer(2), "{}")
	if d.init(2) != 0 {
		t.Fatal("init failed")
	}
	copy(d.inputBuffer(int32(len(input))), input)
	return &d
}

func u32(b []byte, at int) uint32 { return binary.LittleEndian.Uint32(b[at:]) }

func TestDecodeBlockLayout(t *testing.T) {
	dd := setup(t, []byte{9, 4, 0, 0, 0, 0, 0, 0, 0, 7})
	b := dd.decode(1, 1, 9)
	want := 12 + 16 + 4 + 2 + 4 + (4 + 1 + 4 + 1)
	if int(u32(b, 0)) != want || len(b) != want || u32(b, 4) != blockFrame || u32(b, 8) != 5 {
		t.Fatalf("header %v", b[:12])
	}
	if b[12] != byte(Response) || b[13] != 4 || u32(b, 16) != 1 || binary.LittleEndian.Uint64(b[20:]) != 7 {
		t.Fatalf("frame fields %v", b[12:28])
	}
	if u32(b, 28) != 2 || string(b[32:34]) != "OK" || u32(b, 34) != 1 || string(b[42:43]) != "k" {
		t.Fatalf("status and pairs %v", b[28:])
	}
	if b := dd.decode(1, 0, 3); u32(b, 4) != blockNeedMore || u32(b, 8) != 10 {
		t.Fatalf("need more %v", b)
	}
	copy(d.input, []byte{0xff})
	if b := dd.decode(1, 0, 1); u32(b, 4) != blockError || string(b[12:]) != "bad length" {
		t.Fatalf("error %v", b)
	}
}

func TestOutputCallsAndMutationParsing(t *testing.T) {
	mutation := []byte{2, 0, 0, 0, 1, 0, 0, 0, 'a', 1, 0, 0, 0, 'x', 1, 0, 0, 0, 'b', 0xff, 0xff, 0xff, 0xff}
	dd := setup(t, append([]byte{1, 2}, mutation...))
	if b := dd.encode(3, 2, int32(len(mutation))); u32(b, 4) != outOK || string(b[12:]) != "\x01\x02\x02" {
		t.Fatalf("encode %v", b)
	}
	copy(d.input[2:], "late")
	if b := dd.errorReply(3, 2, int32(Timeout), 4); u32(b, 4) != outOK || string(b[12:]) != "TIMEOUT:late" {
		t.Fatalf("error reply %q", b)
	}
	if b := dd.errorReply(3, 0, 99, 0); u32(b, 4) != outNoReply {
		t.Fatalf("no reply %v", b)
	}
	if b := dd.heartbeatReply(3, 2); u32(b, 4) != blockError || string(b[12:]) != "none" {
		t.Fatalf("heartbeat %q", b)
	}
	if _, err := ParseMutation([]byte{5, 0, 0, 0, 1}); err == nil {
		t.Fatal("a count past the block was accepted")
	}
	m, err := ParseMutation(mutation)
	if v, changed, removed := m.Get("a"); err != nil || !changed || removed || v != "x" {
		t.Fatalf("a: %q %v %v %v", v, changed, removed, err)
	}
	if _, changed, removed := m.Get("b"); !changed || !removed {
		t.Fatal("b not removed")
	}
}

func TestConfigNumber(t *testing.T) {
	if n, ok, err := ConfigNumber([]byte(`{"max": 65536}`), "max"); n != 65536 || !ok || err != nil {
		t.Fatal(n, ok, err)
	}
	if _, ok, _ := ConfigNumber([]byte(`{}`), "max"); ok {
		t.Fatal("absent key found")
	}
	if _, _, err := ConfigNumber([]byte(`{"max": "x"}`), "max"); err == nil {
		t.Fatal("a string was read as a number")
	}
}
