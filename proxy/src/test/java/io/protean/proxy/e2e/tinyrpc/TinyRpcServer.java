package io.protean.proxy.e2e.tinyrpc;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A TinyRPC server on loopback: answers each request with its body echoed and headers
 * {@code served-by} (its name) and {@code method}; a {@code sleep-ms} header delays that answer
 * (answers may then come out of order); heartbeats are answered; one-way requests are recorded.
 */
public final class TinyRpcServer implements AutoCloseable {
  private final String name;
  private final ServerSocket server;
  private final ExecutorService workers = Executors.newCachedThreadPool();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final List<TinyRpcFrame> oneways = new CopyOnWriteArrayList<>();
  private final List<Map<String, String>> requestHeaders = new CopyOnWriteArrayList<>();

  public TinyRpcServer(String name) throws IOException {
    this.name = name;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    workers.execute(this::accept);
  }

  public int port() {
    return server.getLocalPort();
  }

  public List<TinyRpcFrame> oneways() {
    return oneways;
  }

  public List<Map<String, String>> requestHeaders() {
    return requestHeaders;
  }

  private void accept() {
    try {
      while (true) {
        Socket s = server.accept();
        sockets.add(s);
        workers.execute(() -> serve(s));
      }
    } catch (IOException closed) {
      // close() ends the server
    }
  }

  private void serve(Socket s) {
    try (s) {
      OutputStream out = s.getOutputStream();
      for (TinyRpcFrame f; (f = TinyRpcFrame.read(s.getInputStream())) != null; ) {
        TinyRpcFrame req = f;
        if (req.is(TinyRpcFrame.HEARTBEAT)) {
          write(out, new TinyRpcFrame(TinyRpcFrame.RESPONSE | TinyRpcFrame.HEARTBEAT, req.id(), Map.of(), new byte[0]));
          continue;
        }
        requestHeaders.add(req.headers());
        if (req.is(TinyRpcFrame.ONEWAY)) {
          oneways.add(req);
          continue;
        }
        long sleep = Long.parseLong(req.headers().getOrDefault("sleep-ms", "0"));
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("served-by", name);
        headers.put("method", req.headers().getOrDefault("method", ""));
        TinyRpcFrame reply = new TinyRpcFrame(TinyRpcFrame.RESPONSE, req.id(), headers, req.body());
        if (sleep == 0) {
          write(out, reply);
        } else {
          workers.execute(() -> {
            try {
              TimeUnit.MILLISECONDS.sleep(sleep);
              write(out, reply);
            } catch (InterruptedException | IOException e) {
              // shutting down
            }
          });
        }
      }
    } catch (IOException e) {
      // client went away
    }
  }

  private static void write(OutputStream out, TinyRpcFrame f) throws IOException {
    byte[] bytes = f.encode();
    synchronized (out) {
      out.write(bytes);
      out.flush();
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
    workers.shutdownNow();
  }
}
