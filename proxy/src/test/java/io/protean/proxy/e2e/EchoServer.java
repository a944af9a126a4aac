package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import io.protean.proxy.server.Proxy;
import io.protean.proxy.codec.thrift.gen.Echo;
import io.protean.proxy.codec.thrift.gen.EchoFailure;
import io.protean.proxy.codec.thrift.gen.Inner;
import io.protean.proxy.codec.thrift.gen.Payload;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TMultiplexedProcessor;
import org.apache.thrift.TProcessor;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.protocol.TMultiplexedProtocol;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.server.TServer;
import org.apache.thrift.server.TThreadPoolServer;
import org.apache.thrift.server.TThreadedSelectorServer;
import org.apache.thrift.transport.TNonblockingServerSocket;
import org.apache.thrift.transport.TServerSocket;
import org.apache.thrift.transport.TServerTransport;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.layered.TFramedTransport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** A TThreadedSelectorServer (framed, binary) on a loopback port 0, answering as {@code name}. */
final class EchoServer implements AutoCloseable {
  final Queue<String> calls = new ConcurrentLinkedQueue<>();
  final Queue<String> notes = new ConcurrentLinkedQueue<>();
  final CountDownLatch slowStarted = new CountDownLatch(1);
  private final TServerTransport socket;
  private final int port;
  private final TServer server;
  private final Thread thread;
  private boolean closed;

  /**
   * Framed: a TThreadedSelectorServer (which only frames). Unframed: a TThreadPoolServer over a
   * plain TServerSocket.
   */
  EchoServer(String name, boolean multiplexed, boolean framed, boolean compact) throws Exception {
    Echo.Processor<Echo.Iface> processor = new Echo.Processor<>(handler(name));
    TProcessor served = processor;
    if (multiplexed) {
      TMultiplexedProcessor mp = new TMultiplexedProcessor();
      mp.registerProcessor("Calc", processor);
      served = mp;
    }
    InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
    if (framed) {
      TNonblockingServerSocket nonblocking = new TNonblockingServerSocket(loopback);
      socket = nonblocking;
      port = nonblocking.getPort();
      server = new TThreadedSelectorServer(new TThreadedSelectorServer.Args(nonblocking)
          .processor(served)
          .protocolFactory(compact ? new TCompactProtocol.Factory() : new TBinaryProtocol.Factory())
          .transportFactory(new TFramedTransport.Factory()).selectorThreads(1).workerThreads(2)
          // stop() waits this long for calls in progress (the mid-call test leaves one behind).
          .stopTimeoutVal(1).stopTimeoutUnit(TimeUnit.SECONDS));
    } else {
      TServerSocket blocking = new TServerSocket(loopback);
      socket = blocking;
      port = blocking.getServerSocket().getLocalPort();
      server = new TThreadPoolServer(new TThreadPoolServer.Args(blocking).processor(served)
          .protocolFactory(new TBinaryProtocol.Factory()).minWorkerThreads(1).maxWorkerThreads(4)
          .stopTimeoutVal(1).stopTimeoutUnit(TimeUnit.SECONDS));
    }
    thread = new Thread(server::serve, "thrift-server-" + name);
    thread.setDaemon(true);
    thread.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!server.isServing() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(server.isServing()).as("server %s started", name).isTrue();
  }

  int port() {
    return port;
  }

  private Echo.Iface handler(String name) {
    return new Echo.Iface() {
      @Override
      public String echo(String text) {
        calls.add("echo");
        return name + ":" + text;
      }

      @Override
      public int add(int x, int y) {
        calls.add("add");
        return x + y;
      }

      @Override
      public void note(String text) {
        notes.add(text);
      }

      @Override
      public String fail(int code) throws EchoFailure {
        throw new EchoFailure(code, name + " failed with " + code);
      }

      @Override
      public Payload roundTrip(Payload payload) {
        return payload;
      }

      @Override
      public String slow(int millis) {
        slowStarted.countDown();
        try {
          Thread.sleep(millis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return name + " slept " + millis;
      }
    };
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.stop();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    socket.close();
  }
}
