package main

import (
	"reflect"
	"testing"

	"github.com/protean/example-codecs-tinygo/protean"
)

func codec(t *testing.T) protean.Connection {
	c, err := newTinyRPC([]byte(`{"max_payload": 1000}`))
	if err != nil {
		t.Fatal(err)
	}
	return c.NewConnection()
}

func request() []byte {
	return writeFrame(0, 7, []header{{"method", "getUser"}, {"user", "42"}}, []byte("hello"))
}

func TestEverySplitPointNeedsMoreThenDecodes(t *testing.T) {
	c, frame := codec(t), request()
	for cut := 0; cut < len(frame); cut++ {
		if _, ok := c.Decode(frame[:cut], &protean.Metadata{}).Need(); !ok {
			t.Fatalf("cut %d did not ask for more", cut)
		}
	}
	var md protean.Metadata
	f, ok := c.Decode(append(frame, 't'), &md).Frame()
	if !ok || f.Consumed != len(frame) || f.RequestID != 7 || f.Type != protean.Request {
		t.Fatalf("%+v", f)
	}
	if want := [][2]string{{"method", "getUser"}, {"user", "42"}}; !reflect.DeepEqual(md.Pairs(), want) {
		t.Fatal(md.Pairs())
	}
}

func TestBitFlipsAndTruncationsNeverPanic(t *testing.T) {
	c, frame := codec(t), request()
	for i := range frame {
		for bit := 0; bit < 8; bit++ {
			f := append([]byte(nil), frame...)
			f[i] ^= 1 << bit
			c.Decode(f, &protean.Metadata{})
		}
	}
	if _, ok := c.Decode([]byte("GET / HTTP/1.1\r\n"), &protean.Metadata{}).Err(); !ok {
		t.Fatal("HTTP accepted")
	}
}

func TestMutationKeepsOrderReplacesRemovesAndAppends(t *testing.T) {
	m := protean.Mutation{{Key: "user", Value: "43"}, {Key: "method", Remove: true}, {Key: "x-new", Value: "v"}}
	out, err := codec(t).Encode(request(), m)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := parse(out)
	if want := []header{{"user", "43"}, {"x-new", "v"}}; !reflect.DeepEqual(p.headers, want) || string(p.body) != "hello" {
		t.Fatalf("%+v", p)
	}
}

func TestErrorReplyNamesTheErrorAndOnewayGetsNone(t *testing.T) {
	out, err := codec(t).ErrorReply(request(), protean.Timeout, "late")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := parse(out)
	if p.flags != response|failed || p.id != 7 || !reflect.DeepEqual(p.headers, []header{{"status", "TIMEOUT"}, {"message", "late"}}) {
		t.Fatalf("%+v", p)
	}
	if _, err := codec(t).ErrorReply(writeFrame(oneway, 1, nil, nil), protean.Timeout, "x"); err != protean.ErrNoReply {
		t.Fatal(err)
	}
}
