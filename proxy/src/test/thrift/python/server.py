"""An Echo server on the Python `thrift` package, for the proxy's end-to-end tests.

    server.py NAME  (prints "listening PORT" once it accepts connections on 127.0.0.1)

It takes THeader (binary or compact inside), framed and unframed clients alike
(THeaderProtocolFactory detects each connection's), answers in the client's own dialect, and
answers echo("headers") with the THeader info headers of that call, sorted, as "k=v;k=v". Every
THeader reply carries the info header served-by=NAME.
"""
import sys
import threading

sys.path.insert(0, __import__("os").path.dirname(__file__))

from echo import Echo
from echo.ttypes import EchoFailure
from thrift.protocol.THeaderProtocol import THeaderProtocolFactory
from thrift.server import TServer
from thrift.transport import TSocket, TTransport
from thrift.transport.THeaderTransport import THeaderClientType

NAME = sys.argv[1]
current = threading.local()


class Handler:
    def echo(self, text):
        if text == "headers":
            headers = current.protocol.get_headers()
            return ";".join("%s=%s" % (k.decode(), v.decode()) for k, v in sorted(headers.items()))
        return "%s:%s" % (NAME, text)

    def add(self, a, b):
        return a + b

    def note(self, text):
        print("note " + text, flush=True)

    def fail(self, code):
        raise EchoFailure(code=code, reason="%s failed with %d" % (NAME, code))

    def roundTrip(self, payload):
        return payload

    def slow(self, millis):
        __import__("time").sleep(millis / 1000)
        return "slow"


class Processor(Echo.Processor):
    """Lets the handler see the call's protocol (its info headers) and tags each reply."""

    def process(self, iprot, oprot):
        current.protocol = iprot
        iprot.set_header(b"served-by", NAME.encode())
        return super().process(iprot, oprot)


socket = TSocket.TServerSocket(host="127.0.0.1", port=0)
factory = THeaderProtocolFactory(allowed_client_types=(
    THeaderClientType.HEADERS, THeaderClientType.FRAMED_BINARY, THeaderClientType.UNFRAMED_BINARY,
    THeaderClientType.FRAMED_COMPACT, THeaderClientType.UNFRAMED_COMPACT))
server = TServer.TThreadedServer(Processor(Handler()), socket,
                                 TTransport.TTransportFactoryBase(), factory, daemon=True)
socket.listen()
socket.listen = lambda: None  # serve() would listen again, on another port
print("listening %d" % socket.handle.getsockname()[1], flush=True)
server.serve()
