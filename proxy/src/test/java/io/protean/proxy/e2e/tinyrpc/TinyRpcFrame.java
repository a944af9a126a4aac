package io.protean.proxy.e2e.tinyrpc;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One TinyRPC frame (the custom protocol of example-codecs-rust, documented in its README): a
 * 12-byte header (magic "tr", version 1, flags, u32 id, u32 payload length), then u16 header count,
 * headers as u16-length-prefixed UTF-8 pairs, then the body. Java side of the tests, written from
 * the protocol description (not from the Rust codec).
 */
public record TinyRpcFrame(int flags, int id, Map<String, String> headers, byte[] body) {
  public static final int RESPONSE = 0x01;
  public static final int ONEWAY = 0x02;
  public static final int HEARTBEAT = 0x04;
  public static final int ERROR = 0x08;

  public static TinyRpcFrame request(int id, Map<String, String> headers, String body) {
    return new TinyRpcFrame(0, id, headers, body.getBytes(StandardCharsets.UTF_8));
  }

  public boolean is(int flag) {
    return (flags & flag) != 0;
  }

  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  public byte[] encode() {
    int payload = 2 + body.length;
    for (Map.Entry<String, String> e : headers.entrySet()) {
      payload += 4 + utf8(e.getKey()).length + utf8(e.getValue()).length;
    }
    ByteBuffer b = ByteBuffer.allocate(12 + payload);
    b.put((byte) 't').put((byte) 'r').put((byte) 1).put((byte) flags).putInt(id).putInt(payload);
    b.putShort((short) headers.size());
    headers.forEach((k, v) -> {
      byte[] kb = utf8(k);
      byte[] vb = utf8(v);
      b.putShort((short) kb.length).put(kb).putShort((short) vb.length).put(vb);
    });
    b.put(body);
    return b.array();
  }

  /** Reads one frame, or returns null at end of stream. */
  public static TinyRpcFrame read(InputStream stream) throws IOException {
    DataInputStream in = new DataInputStream(stream);
    int first = in.read();
    if (first < 0) {
      return null;
    }
    if (first != 't' || in.readUnsignedByte() != 'r' || in.readUnsignedByte() != 1) {
      throw new IOException("not a TinyRPC frame");
    }
    int flags = in.readUnsignedByte();
    int id = in.readInt();
    int payload = in.readInt();
    byte[] rest = new byte[payload];
    in.readFully(rest);
    ByteBuffer b = ByteBuffer.wrap(rest);
    int count = b.getShort() & 0xffff;
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      headers.put(string(b), string(b));
    }
    byte[] body = new byte[b.remaining()];
    b.get(body);
    return new TinyRpcFrame(flags, id, headers, body);
  }

  private static String string(ByteBuffer b) throws EOFException {
    int len = b.getShort() & 0xffff;
    if (len > b.remaining()) {
      throw new EOFException("header runs past the payload");
    }
    byte[] s = new byte[len];
    b.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
