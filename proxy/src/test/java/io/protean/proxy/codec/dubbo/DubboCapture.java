package io.protean.proxy.codec.dubbo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A recording TCP relay on loopback: a real Dubbo consumer (or the proxy) talks through it to a
 * real provider and every byte is kept, per direction and per connection, so tests decode exactly
 * what was sent. Stops with {@link #close()}.
 */
public final class DubboCapture implements AutoCloseable {
  private final ServerSocket server;
  private final int upstreamPort;
  private final ByteArrayOutputStream requests = new ByteArrayOutputStream();
  private final ByteArrayOutputStream responses = new ByteArrayOutputStream();
  /** The requests again, one record per accepted connection, in accept order. */
  private final List<ByteArrayOutputStream> requestsByConnection = new ArrayList<>();
  private final List<Socket> sockets = new ArrayList<>();
  private final Thread acceptor;

  public DubboCapture(int upstreamPort) throws IOException {
    this.upstreamPort = upstreamPort;
    this.server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::accept, "dubbo-capture");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  private void accept() {
    try {
      while (!server.isClosed()) {
        Socket client = server.accept();
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
        synchronized (sockets) {
          sockets.add(client);
          sockets.add(upstream);
        }
        ByteArrayOutputStream own = new ByteArrayOutputStream();
        synchronized (requestsByConnection) {
          requestsByConnection.add(own);
        }
        pump(client.getInputStream(), upstream.getOutputStream(), requests, own);
        pump(upstream.getInputStream(), client.getOutputStream(), responses, null);
      }
    } catch (IOException closed) {
      // close() ends the relay.
    }
  }

  private static void pump(InputStream in, OutputStream out, ByteArrayOutputStream record,
      ByteArrayOutputStream alsoRecord) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[65536];
      try {
        for (int n; (n = in.read(buf)) > 0; ) {
          synchronized (record) {
            record.write(buf, 0, n);
          }
          if (alsoRecord != null) {
            synchronized (alsoRecord) {
              alsoRecord.write(buf, 0, n);
            }
          }
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException closed) {
        // The other side went away.
      }
    }, "dubbo-capture-pump");
    t.setDaemon(true);
    t.start();
  }

  /** Complete frames sent by the consumer so far. */
  public List<byte[]> requestFrames() {
    return split(requests);
  }

  /** Complete frames sent by the consumer so far, per connection in the order they were accepted. */
  public List<List<byte[]>> requestFramesByConnection() {
    List<List<byte[]>> out = new ArrayList<>();
    synchronized (requestsByConnection) {
      for (ByteArrayOutputStream record : requestsByConnection) {
        out.add(split(record));
      }
    }
    return out;
  }

  /** Complete frames sent by the provider so far. */
  public List<byte[]> responseFrames() {
    return split(responses);
  }

  private static List<byte[]> split(ByteArrayOutputStream record) {
    byte[] all;
    synchronized (record) {
      all = record.toByteArray();
    }
    List<byte[]> frames = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(all);
    while (b.remaining() >= 16) {
      int length = 16 + b.getInt(b.position() + 12);
      if (b.remaining() < length) {
        break;
      }
      byte[] frame = new byte[length];
      b.get(frame);
      frames.add(frame);
    }
    return frames;
  }

  @Override
  public void close() throws IOException {
    server.close();
    synchronized (sockets) {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
