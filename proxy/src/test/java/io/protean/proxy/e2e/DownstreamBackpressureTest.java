package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.server.Proxy;
import java.io.OutputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client that pipelines real Dubbo requests as fast as it can and never reads its answers: the
 * proxy stops reading from it (its write buffer passed the high-water mark, or it reached
 * max_pending_requests_per_connection), so its writes block, the proxy's memory stays bounded,
 * and a real Dubbo consumer on the same event loop keeps being answered.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DownstreamBackpressureTest {
  /** Far more than the proxy may hold for one client. */
  private static final long FLOOD_LIMIT = 1L << 30;
  private static final long MAX_GROWTH = 64L << 20;

  @Test
  void aClientThatNeverReadsIsPushedBackAndOthersAreServed() throws Exception {
    int providerPort = Ports.free();
    try (DubboProvider provider = new DubboProvider("bp", providerPort, "1.0.0", null)) {
      byte[] greet = RawDubbo.capture(providerPort, 1, s -> s.greet("flood")).get(0);
      Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
          workers: 1
          admin: {address: "127.0.0.1:0"}
          listeners:
            - {name: dubbo, address: "127.0.0.1:0", codec: dubbo, routes: [{cluster: p}]}
          clusters:
            - {name: p, endpoints: ["127.0.0.1:%d"]}
          """.formatted(providerPort)));
      AdminClient admin = new AdminClient(proxy.adminAddress());
      try (DubboConsumer consumer = new DubboConsumer(proxy.listenerAddress("dubbo").getPort(),
          "1.0.0", null, 10_000);
          RawDubbo flood = new RawDubbo(proxy.listenerAddress("dubbo"))) {
        assertThat(consumer.service().greet("warm")).isEqualTo("hello warm from bp");
        long before = usedMemory();

        byte[] block = new byte[(64 << 10) / greet.length * greet.length];
        for (int at = 0; at < block.length; at += greet.length) {
          System.arraycopy(greet, 0, block, at, greet.length);
        }
        AtomicLong written = new AtomicLong();
        Thread writer = new Thread(() -> {
          try {
            OutputStream out = flood.socket().getOutputStream();
            while (written.get() < FLOOD_LIMIT) {
              out.write(block);
              written.addAndGet(block.length);
            }
          } catch (java.io.IOException closed) {
            // The test closed the socket.
          }
        }, "flood-writer");
        writer.setDaemon(true);
        writer.start();

        // The writer blocks once the proxy stops reading and the kernel's buffers are full.
        // Without backpressure the proxy reads (and buffers answers) for ever.
        long last = -1;
        int still = 0;
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (still < 6 && written.get() < FLOOD_LIMIT && System.nanoTime() < giveUp) {
          Thread.sleep(500);
          long now = written.get();
          still = now == last ? still + 1 : 0;
          last = now;
        }
        assertThat(still).as("the never-reading client's writes block (%d MiB written)",
            written.get() >> 20).isEqualTo(6);

        // The requests read before the pause are answered (into the write buffer nobody reads);
        // meanwhile the provider may refuse calls, its 200 threads busy with them.
        long pending;
        long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((pending = admin.sum("protean_listener_active_requests", "listener=\"dubbo\"")) > 0
            && System.nanoTime() < settle) {
          Thread.sleep(100);
        }
        for (int i = 0; i < 50; i++) {
          assertThat(consumer.service().greet("c" + i)).isEqualTo("hello c" + i + " from bp");
        }
        long growth = usedMemory() - before;
        System.out.printf("backpressure: the client wrote %d requests (%d MiB) before blocking;"
            + " %d requests active; proxy JVM memory growth %d KiB%n", written.get() / greet.length,
            written.get() >> 20, pending, growth >> 10);
        assertThat(admin.sum("protean_listener_read_pauses_total", "listener=\"dubbo\""))
            .isPositive();
        assertThat(pending).as("requests still active once the client is held back").isZero();
        assertThat(growth).as("heap + direct memory growth").isLessThan(MAX_GROWTH);
        flood.close();
        writer.join(10_000);
        assertThat(consumer.service().greet("after")).isEqualTo("hello after from bp");
      } finally {
        proxy.close();
      }
    }
  }

  /**
   * An endpoint that accepts connections and never reads: once the upstream connection's write
   * buffer passes its high-water mark, new requests fail fast with Dubbo's overload status
   * instead of queuing without bound; those already written time out.
   */
  @Test
  void requestsToAnUpstreamThatNeverReadsFailFast() throws Exception {
    int providerPort = Ports.free();
    byte[] echo;
    try (DubboProvider provider = new DubboProvider("bp", providerPort, "1.0.0", null)) {
      echo = RawDubbo.capture(providerPort, 1, s -> s.echo("x".repeat(128 << 10))).get(0);
    }
    try (java.net.ServerSocket deaf = new java.net.ServerSocket(0, 8,
        java.net.InetAddress.getLoopbackAddress())) {
      List<java.net.Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            accepted.add(deaf.accept()); // and never read from it
          }
        } catch (java.io.IOException closed) {
          // The test is over.
        }
      }, "deaf-acceptor");
      acceptor.setDaemon(true);
      acceptor.start();
      try (Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
          workers: 1
          admin: {enabled: false}
          listeners:
            - {name: dubbo, address: "127.0.0.1:0", codec: dubbo,
               routes: [{cluster: deaf, timeout: 3s}]}
          clusters:
            - {name: deaf, endpoints: ["127.0.0.1:%d"]}
          """.formatted(deaf.getLocalPort())));
          RawDubbo client = new RawDubbo(proxy.listenerAddress("dubbo"))) {
        int calls = 200; // 25 MiB: more than the kernel's socket buffers and the high-water mark
        Thread sender = new Thread(() -> {
          try {
            for (int i = 1; i <= calls; i++) {
              client.send(RawDubbo.withId(echo, i));
            }
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }, "sender");
        sender.start();
        int overloaded = 0;
        int timedOut = 0;
        for (int i = 0; i < calls; i++) {
          RawDubbo.Response r = client.read();
          if (r.status() == 100) {
            assertThat(r.text()).contains("is not reading its requests");
            overloaded++;
          } else {
            assertThat(r.status()).as("a timeout").isEqualTo(31);
            timedOut++;
          }
        }
        sender.join(10_000);
        System.out.printf("upstream that never reads: %d calls failed fast, %d timed out%n",
            overloaded, timedOut);
        assertThat(overloaded).isPositive();
      } finally {
        for (java.net.Socket s : accepted) {
          s.close();
        }
      }
    }
  }

  /** Heap after a collection plus the JVM's direct buffers (where Netty's pooled buffers live). */
  private static long usedMemory() throws InterruptedException {
    System.gc();
    Thread.sleep(200);
    System.gc();
    long direct = 0;
    List<BufferPoolMXBean> pools = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class);
    for (BufferPoolMXBean p : pools) {
      direct += p.getMemoryUsed();
    }
    long nettyOwn = io.netty.util.internal.PlatformDependent.usedDirectMemory();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() + direct
        + Math.max(0, nettyOwn);
  }
}
