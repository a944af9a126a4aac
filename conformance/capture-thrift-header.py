"""Captures conformance/vectors/thrift/header-*/ from real THeader traffic: the Python `thrift`
package's client and the Go library's client (proxy/src/test/thrift) calling the Python server
through a recording relay. Run conformance/capture-thrift-header.sh. The expectations written are
what the frames say (THeader header and message header, read here); review the diff.
"""
import os
import socket
import struct
import subprocess
import sys
import threading
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(ROOT, "proxy/src/test/thrift")
BUILT = os.path.join(ROOT, "proxy/target/thrift-peers")
PYTHON = os.path.join(BUILT, "venv/bin/python")
TYPES = {1: ("REQUEST", "call"), 2: ("RESPONSE", "reply"), 3: ("ERROR", "exception"),
         4: ("ONEWAY", "oneway")}


def read_frames(data):
    frames = []
    while len(data) >= 4:
        n = struct.unpack("!i", data[:4])[0]
        frames.append(data[:4 + n])
        data = data[4 + n:]
    return frames


def relay(listener, upstream_port, record):
    """Forwards every connection to the server, recording each direction's bytes."""
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        server = socket.create_connection(("127.0.0.1", upstream_port))
        calls, replies = bytearray(), bytearray()
        record.append((calls, replies))

        def pump(src, dst, buf):
            while True:
                chunk = src.recv(65536)
                if not chunk:
                    dst.shutdown(socket.SHUT_WR)
                    return
                buf.extend(chunk)
                dst.sendall(chunk)

        threading.Thread(target=pump, args=(client, server, calls), daemon=True).start()
        threading.Thread(target=pump, args=(server, client, replies), daemon=True).start()


def varint(b, i):
    v, shift = 0, 0
    while True:
        byte = b[i]
        i += 1
        v |= (byte & 0x7f) << shift
        shift += 7
        if not byte & 0x80:
            return v, i


def describe(frame):
    """(protocol id, transforms, info headers, message type, name, seq id) of a THeader frame."""
    header_end = 14 + struct.unpack("!H", frame[12:14])[0] * 4
    protocol_id, i = varint(frame, 14)
    count, i = varint(frame, i)
    transforms = []
    for _ in range(count):
        t, i = varint(frame, i)
        transforms.append(t)
    headers = {}
    while i < header_end:
        info, i = varint(frame, i)
        if info != 1:
            break
        n, i = varint(frame, i)
        for _ in range(n):
            kl, i = varint(frame, i)
            key = frame[i:i + kl].decode()
            i += kl
            vl, i = varint(frame, i)
            headers[key] = frame[i:i + vl].decode()
            i += vl
    payload = frame[header_end:]
    if 1 in transforms:
        payload = zlib.decompress(payload)
    if protocol_id == 0:
        mtype = payload[3]
        nl = struct.unpack("!i", payload[4:8])[0]
        name = payload[8:8 + nl].decode()
        seq = struct.unpack("!i", payload[8 + nl:12 + nl])[0]
    else:
        mtype = payload[1] >> 5
        seq, j = varint(payload, 2)
        nl, j = varint(payload, j)
        name = payload[j:j + nl].decode()
    return protocol_id, transforms, headers, mtype, name, seq


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_vector(directory, name, description, frame, oneway_methods=()):
    protocol_id, transforms, headers, mtype, method, seq = describe(frame)
    kind, type_name = TYPES[mtype]
    lines = ["description: " + description, "input_hex: " + frame.hex(), "expect:",
             "  type: " + kind, "  request_id: %d" % seq]
    if kind == "RESPONSE":
        lines.append("  status: OK")
    if kind == "ERROR":
        lines.append("  status: EXCEPTION")
    metadata = {"message_type": type_name, "method": method, "seq_id": str(seq)}
    if not transforms:
        for k, v in headers.items():
            metadata.setdefault(k, v)
    lines.append("  metadata:")
    lines += ["    %s: %s" % (quote(k), quote(v)) for k, v in sorted(metadata.items())]
    if transforms:
        lines.append("error_reply: CODEC_FAILURE")
    elif kind == "REQUEST":
        lines.append("error_reply: ROUTE_NOT_FOUND")
        lines.append("mutation: {x-lane: blue, x-trace: null}")
    elif kind == "RESPONSE":
        lines.append("mutation: {x-via: protean, served-by: null}")
    with open(os.path.join(directory, name + ".yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    server = subprocess.Popen([PYTHON, os.path.join(PEERS, "python/server.py"), "py"],
                              stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline().split()[1])
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        record = []
        threading.Thread(target=relay, args=(listener, port, record), daemon=True).start()
        relay_port = str(listener.getsockname()[1])
        calls = ["header:x-trace=t-1", "echo:hi", "fail:7", "note:n"]
        for protocol in ("binary", "compact"):
            directory = os.path.join(ROOT, "conformance/vectors/thrift/header-" + protocol)
            for client, cmd in (
                    ("python", [PYTHON, os.path.join(PEERS, "python/client.py"), relay_port,
                                "header", protocol] + calls + ["zlib", "echo:squeezed"]),
                    ("go", [os.path.join(BUILT, "go-client"), "-addr", "127.0.0.1:" + relay_port,
                            "-transport", "header", "-protocol", protocol] + calls)):
                del record[:]
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, timeout=60)
                (sent, received), = record
                sent, received = read_frames(bytes(sent)), read_frames(bytes(received))
                lib = "the Python thrift package 0.25.0" if client == "python" \
                    else "the Go library github.com/apache/thrift v0.25.0"
                prefix = "%s-header-%s-" % (client, protocol)
                write_vector(directory, prefix + "call", "an echo call with the info header"
                             " x-trace, written by " + lib, sent[0])
                write_vector(directory, prefix + "reply", "the Python server's reply to it,"
                             " with the info header served-by", received[0])
                write_vector(directory, prefix + "reply-declared-exception", "a reply carrying"
                             " a declared exception (fail), from the Python server", received[1])
                note = "a oneway call written by " + lib + (
                    " (as CALL, as the Go library writes oneway calls)" if client == "go" else "")
                write_vector(directory, prefix + "oneway", note, sent[2])
                if client == "python":
                    write_vector(directory, prefix + "call-zlib", "a call whose payload has the"
                                 " zlib transform, written by " + lib, sent[3])
        listener.close()
    finally:
        server.kill()


if __name__ == "__main__":
    sys.exit(main())
