package io.protean.bench;

import io.protean.proxy.codec.thrift.gen.Echo;
import io.protean.proxy.codec.thrift.gen.Payload;
import java.io.InputStream;
import java.net.InetSocketAddress;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.server.TServer;
import org.apache.thrift.server.TThreadedSelectorServer;
import org.apache.thrift.transport.TNonblockingServerSocket;
import org.apache.thrift.transport.layered.TFramedTransport;

/**
 * A real Apache Thrift server (libthrift 0.20.0 {@link TThreadedSelectorServer}, framed transport,
 * binary protocol) of the generated {@code Echo} service on 127.0.0.1, answering {@code echo}
 * with its argument.
 *
 * <p>Usage: {@code ThriftServerMain PORT [--workers N]}. Prints {@code READY port=N} once serving,
 * then runs until its standard input closes or it gets SIGTERM.
 */
public final class ThriftServerMain implements AutoCloseable {
  private final TServer server;
  private final Thread thread;

  public ThriftServerMain(int port, int workers) throws Exception {
    TNonblockingServerSocket socket = new TNonblockingServerSocket(new InetSocketAddress("127.0.0.1", port));
    server = new TThreadedSelectorServer(new TThreadedSelectorServer.Args(socket)
        .processor(new Echo.Processor<>(new Handler())).protocolFactory(new TBinaryProtocol.Factory())
        .transportFactory(new TFramedTransport.Factory()).selectorThreads(1).workerThreads(workers));
    thread = new Thread(server::serve, "thrift-server");
    thread.start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!server.isServing() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    if (!server.isServing()) {
      throw new IllegalStateException("the Thrift server did not start on port " + port);
    }
  }

  @Override
  public void close() throws InterruptedException {
    server.stop();
    thread.join(5000);
  }

  /** Echoes; the other methods of the test service are not used by the benchmark. */
  private static final class Handler implements Echo.Iface {
    @Override
    public String echo(String text) {
      return text;
    }

    @Override
    public int add(int a, int b) {
      return a + b;
    }

    @Override
    public Payload roundTrip(Payload p) {
      return p;
    }

    @Override
    public String fail(int code) {
      return "";
    }

    @Override
    public void note(String text) {}

    @Override
    public String slow(int millis) {
      return "";
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: ThriftServerMain PORT [--workers N]");
      System.exit(2);
    }
    int workers = args.length >= 3 && args[1].equals("--workers") ? Integer.parseInt(args[2]) : 2;
    ThriftServerMain server = new ThriftServerMain(Integer.parseInt(args[0]), workers);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
    }, "thrift-server-shutdown"));
    System.out.println("READY port=" + args[0]);
    System.out.flush();
    InputStream in = System.in;
    byte[] buf = new byte[256];
    while (in.read(buf) >= 0) {
      // Wait for EOF: the parent closed our stdin (or died).
    }
    System.exit(0);
  }
}
