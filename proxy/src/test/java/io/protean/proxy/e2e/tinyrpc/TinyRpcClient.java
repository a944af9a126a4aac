package io.protean.proxy.e2e.tinyrpc;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.Map;

/** A blocking TinyRPC client: one call at a time on one connection, or raw frame writes. */
public final class TinyRpcClient implements AutoCloseable {
  private final Socket socket;
  private int nextId = 1;

  public TinyRpcClient(int port) throws IOException {
    socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setSoTimeout(15_000);
  }

  /** Sends a request and waits for the frame that answers it (same id). */
  public TinyRpcFrame call(Map<String, String> headers, String body) throws IOException {
    int id = nextId++;
    send(TinyRpcFrame.request(id, headers, body));
    TinyRpcFrame reply = TinyRpcFrame.read(socket.getInputStream());
    if (reply == null) {
      throw new IOException("connection closed by the proxy");
    }
    if (reply.id() != id) {
      throw new IOException("answer to id " + reply.id() + ", expected " + id);
    }
    return reply;
  }

  public void send(TinyRpcFrame frame) throws IOException {
    socket.getOutputStream().write(frame.encode());
    socket.getOutputStream().flush();
  }

  public TinyRpcFrame read() throws IOException {
    return TinyRpcFrame.read(socket.getInputStream());
  }

  public void sendRaw(byte[] bytes) throws IOException {
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
