package io.protean.proxy.e2e;

import io.protean.demo.peers.DemoService;
import io.protean.demo.peers.DubboConsumer;
import io.protean.proxy.codec.dubbo.DubboCapture;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Dubbo client on a raw socket, for tests where the client's misbehaviour is the point (it
 * never reads, it sends what a real consumer would not). The requests it sends are real Dubbo
 * consumer requests, captured on their way to a real provider.
 */
final class RawDubbo implements AutoCloseable {
  /** A response as read off the wire. */
  record Response(long id, int status, byte[] body) {
    String text() {
      return new String(body, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
  }

  private final Socket socket;
  private final DataInputStream in;

  RawDubbo(InetSocketAddress proxy) throws IOException {
    socket = new Socket();
    socket.connect(proxy, 5000);
    socket.setSoTimeout(30_000);
    in = new DataInputStream(socket.getInputStream());
  }

  /**
   * The requests a real Dubbo consumer sends for {@code calls} (one per call, in order, two-way),
   * captured between it and the provider on {@code providerPort}.
   */
  static List<byte[]> capture(int providerPort, int calls, Consumer<DemoService> callsMade)
      throws Exception {
    try (DubboCapture capture = new DubboCapture(providerPort);
        DubboConsumer consumer = new DubboConsumer(capture.port(), "1.0.0", null, 10_000)) {
      callsMade.accept(consumer.service());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        List<byte[]> frames = capture.requestFrames().stream()
            .filter(f -> (f[2] & 0x20) == 0).toList(); // no events (heartbeats)
        if (frames.size() >= calls) {
          return frames;
        }
        Thread.sleep(10);
      }
      throw new AssertionError("the consumer's requests were not captured");
    }
  }

  /** {@code frame} with request id {@code id}. */
  static byte[] withId(byte[] frame, long id) {
    byte[] copy = frame.clone();
    ByteBuffer.wrap(copy).putLong(4, id);
    return copy;
  }

  /** A two-way hessian2 request header with request id {@code id}, declaring {@code bodyLength}. */
  static byte[] header(long id, int bodyLength) {
    return ByteBuffer.allocate(16).putShort((short) 0xdabb).put((byte) 0xc2).put((byte) 0)
        .putLong(id).putInt(bodyLength).array();
  }

  Socket socket() {
    return socket;
  }

  void send(byte[]... parts) throws IOException {
    for (byte[] p : parts) {
      socket.getOutputStream().write(p);
    }
    socket.getOutputStream().flush();
  }

  Response read() throws IOException {
    byte[] header = new byte[16];
    in.readFully(header);
    ByteBuffer h = ByteBuffer.wrap(header);
    if (h.getShort(0) != (short) 0xdabb) {
      throw new IOException("not a Dubbo frame");
    }
    byte[] body = new byte[h.getInt(12)];
    in.readFully(body);
    return new Response(h.getLong(4), h.get(3) & 0xff, body);
  }

  /** Whether the proxy closed the connection (read returns end of stream). */
  boolean closedByPeer() throws IOException {
    try {
      return in.read() < 0;
    } catch (java.net.SocketException reset) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
