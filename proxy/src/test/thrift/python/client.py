"""A Thrift client on the Python `thrift` package, for the proxy's end-to-end tests.

    client.py PORT TRANSPORT PROTOCOL CALL...

TRANSPORT is header, framed or unframed; PROTOCOL binary or compact. The calls run in order over
one connection and each prints one line, "CALL -> RESULT" or "CALL !> ERROR", so the Java test
asserts what the Python library really returned. CALL is echo:TEXT, add:A:B, fail:CODE,
note:TEXT (oneway), header:KEY=VALUE (a THeader info header on every later call),
response-header:KEY (the last reply's info header) or zlib (compress the later calls).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from echo import Echo
from echo.ttypes import EchoFailure
from thrift.Thrift import TApplicationException
from thrift.protocol.TBinaryProtocol import TBinaryProtocol
from thrift.protocol.TCompactProtocol import TCompactProtocol
from thrift.protocol.THeaderProtocol import THeaderProtocol
from thrift.transport import TSocket, TTransport
from thrift.transport.THeaderTransport import THeaderClientType, THeaderSubprotocolID, THeaderTransformID

port, transport_name, protocol_name = sys.argv[1], sys.argv[2], sys.argv[3]
socket = TSocket.TSocket("127.0.0.1", int(port))
socket.setTimeout(30_000)
headers = {}
if transport_name == "header":
    subprotocol = {"binary": THeaderSubprotocolID.BINARY, "compact": THeaderSubprotocolID.COMPACT}
    protocol = THeaderProtocol(socket, (THeaderClientType.HEADERS,), subprotocol[protocol_name])
    transport = protocol.trans
else:
    transport = TTransport.TFramedTransport(socket) if transport_name == "framed" else socket
    protocol = {"binary": TBinaryProtocol, "compact": TCompactProtocol}[protocol_name](transport)
transport.open()
client = Echo.Client(protocol)


def call(text):
    name, _, arg = text.partition(":")
    if name == "echo":
        return client.echo(arg)
    if name == "add":
        a, b = arg.split(":")
        return client.add(int(a), int(b))
    if name == "fail":
        try:
            client.fail(int(arg))
            return "no failure"
        except EchoFailure as e:
            return "EchoFailure %d %s" % (e.code, e.reason)
    if name == "note":
        client.note(arg)
        return "sent"
    if name == "header":
        key, _, value = arg.partition("=")
        headers[key.encode()] = value.encode()
        return "set"
    if name == "response-header":
        value = protocol.get_headers().get(arg.encode())
        return "(none)" if value is None else value.decode()
    if name == "zlib":
        protocol.add_transform(THeaderTransformID.ZLIB)
        return "set"
    raise SystemExit("unknown call " + text)


for text in sys.argv[4:]:
    # THeaderTransport forgets its write headers once it sends them: set them for every call.
    for key, value in headers.items():
        protocol.set_header(key, value)
    try:
        print("%s -> %s" % (text, call(text)), flush=True)
    except TApplicationException as e:
        print("%s !> TApplicationException %d: %s" % (text, e.type, e.message), flush=True)
    except Exception as e:
        print("%s !> %s: %s" % (text, type(e).__name__, e), flush=True)
        break
transport.close()
