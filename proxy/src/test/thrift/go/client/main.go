// A Thrift client built on the Go library (github.com/apache/thrift), driven by the proxy's
// end-to-end tests. It runs the calls named on its command line in order over one connection and
// prints one line per call, so the Java test asserts what the Go library really returned:
//
//	client -addr 127.0.0.1:9090 -transport header|framed|unframed -protocol binary|compact CALL...
//
// CALL is echo:TEXT, add:A:B, fail:CODE, note:TEXT (oneway), header:KEY=VALUE (a THeader info
// header on the calls that follow) or response-header:KEY (the last reply's info header).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apache/thrift/lib/go/thrift"
	"protean/thriftpeer/echo"
)

func main() {
	addr := flag.String("addr", "", "host:port of the proxy")
	transport := flag.String("transport", "header", "header, framed or unframed")
	protocol := flag.String("protocol", "binary", "binary or compact")
	flag.Parse()

	cfg := &thrift.TConfiguration{ConnectTimeout: 10 * time.Second, SocketTimeout: 30 * time.Second}
	socket := thrift.NewTSocketConf(*addr, cfg)
	var protocols thrift.TProtocolFactory
	var trans thrift.TTransport
	switch *protocol {
	case "binary":
		protocols = thrift.NewTBinaryProtocolFactoryConf(cfg)
		cfg.THeaderProtocolID = thrift.THeaderProtocolIDPtrMust(thrift.THeaderProtocolBinary)
	case "compact":
		protocols = thrift.NewTCompactProtocolFactoryConf(cfg)
		cfg.THeaderProtocolID = thrift.THeaderProtocolIDPtrMust(thrift.THeaderProtocolCompact)
	default:
		fail("unknown protocol " + *protocol)
	}
	switch *transport {
	case "header":
		trans = thrift.NewTHeaderTransportConf(socket, cfg)
		protocols = thrift.NewTHeaderProtocolFactoryConf(cfg)
	case "framed":
		trans = thrift.NewTFramedTransportConf(socket, cfg)
	case "unframed":
		trans = socket
	default:
		fail("unknown transport " + *transport)
	}
	if err := trans.Open(); err != nil {
		fail("open: " + err.Error())
	}
	defer trans.Close()
	iprot := protocols.GetProtocol(trans)
	client := echo.NewEchoClient(thrift.NewTStandardClient(iprot, protocols.GetProtocol(trans)))
	if *transport == "header" {
		// THeader replies are read by the same protocol instance that wrote the call.
		client = echo.NewEchoClient(thrift.NewTStandardClient(iprot, iprot))
	}

	ctx := context.Background()
	for _, call := range flag.Args() {
		name, arg, _ := strings.Cut(call, ":")
		switch name {
		case "echo":
			r, err := client.Echo(ctx, arg)
			report(call, r, err)
		case "add":
			a, b, _ := strings.Cut(arg, ":")
			r, err := client.Add(ctx, atoi(a), atoi(b))
			report(call, strconv.Itoa(int(r)), err)
		case "fail":
			_, err := client.Fail(ctx, atoi(arg))
			var failure *echo.EchoFailure
			if errors.As(err, &failure) {
				report(call, fmt.Sprintf("EchoFailure %d %s", failure.Code, failure.Reason), nil)
			} else {
				report(call, "no failure", err)
			}
		case "note":
			report(call, "sent", client.Note(ctx, arg))
		case "header":
			key, value, _ := strings.Cut(arg, "=")
			ctx = thrift.SetHeader(ctx, key, value)
			ctx = thrift.SetWriteHeaderList(ctx, append(thrift.GetWriteHeaderList(ctx), key))
			report(call, "set", nil)
		case "response-header":
			value, ok := iprot.(*thrift.THeaderProtocol).GetReadHeaders()[arg]
			if !ok {
				value = "(none)"
			}
			report(call, value, nil)
		default:
			fail("unknown call " + call)
		}
	}
}

func atoi(s string) int32 {
	n, err := strconv.Atoi(s)
	if err != nil {
		fail("not a number: " + s)
	}
	return int32(n)
}

// report prints "CALL -> RESULT" or "CALL !> ERROR TYPE: MESSAGE".
func report(call, result string, err error) {
	if err == nil {
		fmt.Printf("%s -> %s\n", call, result)
		return
	}
	var app thrift.TApplicationException
	if errors.As(err, &app) {
		fmt.Printf("%s !> TApplicationException %d: %s\n", call, app.TypeId(), app.Error())
		return
	}
	fmt.Printf("%s !> %T: %s\n", call, err, err.Error())
	var transport thrift.TTransportException
	if errors.As(err, &transport) {
		os.Exit(1) // the connection is lost: later calls would only repeat it
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, message)
	os.Exit(2)
}
