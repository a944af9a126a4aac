package main

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/protean/example-codecs-tinygo/protean"
)

// message builds a framed binary message: strict or old header, then an empty struct.
func message(strict bool, name string, typ byte, seq uint32) []byte {
	out := make([]byte, 4)
	if strict {
		out = binary.BigEndian.AppendUint32(out, version1|uint32(typ))
		out = appendString(out, name)
	} else {
		out = append(appendString(out, name), typ)
	}
	out = append(binary.BigEndian.AppendUint32(out, seq), typeStop)
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	return out
}

func conn(t *testing.T) protean.Connection {
	c, err := newThrift([]byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	return c.NewConnection()
}

func TestDecodesStrictAndOldHeadersWithMultiplexedNames(t *testing.T) {
	for _, strict := range []bool{true, false} {
		c, frame := conn(t), message(strict, "Calc:add", call, 8)
		for cut := 0; cut < len(frame); cut++ {
			if _, ok := c.Decode(frame[:cut], &protean.Metadata{}).Need(); !ok {
				t.Fatalf("strict=%v cut %d", strict, cut)
			}
		}
		var md protean.Metadata
		f, ok := c.Decode(frame, &md).Frame()
		if !ok || f.Consumed != len(frame) || f.RequestID != 8 || f.Type != protean.Request || f.IDWidth != 4 ||
			binary.BigEndian.Uint32(frame[f.IDOffset:]) != 8 {
			t.Fatalf("strict=%v %+v", strict, f)
		}
		want := [][2]string{{"service", "Calc"}, {"method", "add"}, {"seq_id", "8"}, {"message_type", "call"}}
		if !reflect.DeepEqual(md.Pairs(), want) {
			t.Fatal(md.Pairs())
		}
	}
}

func TestErrorReplyIsATApplicationExceptionInThePeersStyle(t *testing.T) {
	for _, strict := range []bool{true, false} {
		c := conn(t)
		out, err := c.ErrorReply(message(strict, "Calc:add", call, 8), protean.RouteNotFound, "no route")
		if err != nil {
			t.Fatal(err)
		}
		var md protean.Metadata
		f, ok := conn(t).Decode(out, &md).Frame()
		if !ok || f.Type != protean.Error || f.Status != "EXCEPTION" || f.RequestID != 8 {
			t.Fatalf("strict=%v %+v", strict, f)
		}
		if got := md.Pairs()[0]; got != [2]string{"method", "add"} {
			t.Fatal(got)
		}
		// The struct: field 1 message, field 2 type UNKNOWN_METHOD, stop.
		if want := append([]byte("no route"), typeI32, 0, 2, 0, 0, 0, unknownMethod, typeStop); !bytes.HasSuffix(out, want) {
			t.Fatalf("%x", out)
		}
		if _, err := c.ErrorReply(message(strict, "log", oneway, 1), protean.Timeout, "x"); err != protean.ErrNoReply {
			t.Fatal("a one-way call was answered")
		}
	}
}

func TestRefusesWhatItCannotRead(t *testing.T) {
	cases := map[string][]byte{
		"unframed":       {0x80, 1, 0, 1},
		"frame length":   {0x7f, 0xff, 0xff, 0xff},
		"THeader":        {0, 0, 0, 10, 0x0f, 0xff},
		"compact":        {0, 0, 0, 10, 0x82, 0x21},
		"version 0x8002": append([]byte{0, 0, 0, 9}, 0x80, 2, 0, 1, 0, 0, 0, 0, 0),
		"message type":   message(true, "m", 9, 1),
	}
	for want, in := range cases {
		msg, ok := conn(t).Decode(in, &protean.Metadata{}).Err()
		if !ok || !strings.Contains(msg, strings.Fields(want)[0]) && !strings.Contains(msg, "expected") {
			t.Errorf("%s: %q", want, msg)
		}
	}
	frame := message(true, "method", call, 1)
	for i := 4; i < len(frame); i++ {
		for bit := 0; bit < 8; bit++ {
			f := append([]byte(nil), frame...)
			f[i] ^= 1 << bit
			conn(t).Decode(f, &protean.Metadata{})
		}
	}
}

// withBody replaces a message's empty struct with body (its fields and stop byte).
func withBody(msg []byte, body ...byte) []byte {
	out := append(append([]byte{}, msg[:len(msg)-1]...), body...)
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	return out
}

func TestClassifiesResponsesForRetries(t *testing.T) {
	class := func(frame []byte) protean.ResponseClass {
		f, ok := conn(t).Decode(frame, &protean.Metadata{}).Frame()
		if !ok {
			t.Fatal("no frame")
		}
		return f.Class
	}
	reply := message(true, "echo", 2, 1)
	cases := []struct {
		frame []byte
		want  protean.ResponseClass
	}{
		{reply, protean.ClassSuccess}, // a void method's empty result
		{withBody(reply, typeI32, 0, 0, 0, 0, 0, 7, typeStop), protean.ClassSuccess},
		{withBody(reply, 12, 0, 1, typeStop, typeStop), protean.ClassApplicationException}, // declared exception 1
		{message(true, "echo", call, 1), protean.ClassUnknown},
	}
	for _, e := range []struct {
		err  protean.ErrorType
		want protean.ResponseClass
	}{{protean.RouteNotFound, protean.ClassRequestRejected}, {protean.Timeout, protean.ClassServerError}} {
		out, err := conn(t).ErrorReply(message(true, "echo", call, 1), e.err, "x")
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct {
			frame []byte
			want  protean.ResponseClass
		}{out, e.want})
	}
	for i, c := range cases {
		if got := class(c.frame); got != c.want {
			t.Errorf("case %d: %v, want %v", i, got, c.want)
		}
	}
}
