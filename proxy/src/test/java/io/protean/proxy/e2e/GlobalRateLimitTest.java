package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.demo.peers.DemoService;
import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.server.Proxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ratelimit filter against the real rate-limit service, Envoy's envoyproxy/ratelimit (Go,
 * built from the module proxy) on a real Redis: a limit of 50 per second on one method admits
 * 50 per second of calls from real Dubbo consumers; with the service killed, a fail-open listener
 * lets calls through and a fail-closed one refuses them, none hung.
 */
class GlobalRateLimitTest {
  private static final String RATELIMIT =
      "github.com/envoyproxy/ratelimit/src/service_cmd@v1.4.1-0.20260122083618-3fb702589d36";
  private static final int LIMIT = 50;

  @TempDir
  Path dir;

  @Test
  void aLimitOfFiftyPerSecondAdmitsFiftyPerSecondAndAFailedServiceFailsOpenOrClosed()
      throws Exception {
    Path service = GoBuild.install(RATELIMIT, "service_cmd");
    int redisPort = Ports.free();
    int grpcPort = Ports.free();
    Path config = dir.resolve("runtime/ratelimit/config");
    Files.createDirectories(config);
    Files.writeString(config.resolve("protean.yaml"), """
        domain: protean
        descriptors:
          - key: method
            value: greet
            rate_limit: {unit: second, requests_per_unit: %d}
        """.formatted(LIMIT));
    List<Process> processes = new ArrayList<>();
    try (DubboProvider provider = new DubboProvider("p", Ports.free(), "1.0.0", null)) {
      processes.add(new ProcessBuilder("redis-server", "--port", Integer.toString(redisPort),
          "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
          .redirectOutput(dir.resolve("redis.log").toFile()).redirectErrorStream(true).start());
      awaitPort(redisPort);
      ProcessBuilder rls = new ProcessBuilder(service.toString())
          .redirectOutput(dir.resolve("ratelimit.log").toFile()).redirectErrorStream(true);
      rls.environment().putAll(Map.ofEntries(
          Map.entry("USE_STATSD", "false"), Map.entry("LOG_LEVEL", "warn"),
          Map.entry("REDIS_SOCKET_TYPE", "tcp"), Map.entry("REDIS_URL", "127.0.0.1:" + redisPort),
          Map.entry("RUNTIME_ROOT", dir.resolve("runtime").toString()),
          Map.entry("RUNTIME_SUBDIRECTORY", "ratelimit"), Map.entry("RUNTIME_WATCH_ROOT", "false"),
          Map.entry("HOST", "127.0.0.1"), Map.entry("PORT", Integer.toString(Ports.free())),
          Map.entry("DEBUG_HOST", "127.0.0.1"), Map.entry("DEBUG_PORT", Integer.toString(Ports.free())),
          Map.entry("GRPC_HOST", "127.0.0.1"), Map.entry("GRPC_PORT", Integer.toString(grpcPort))));
      Process ratelimit = rls.start();
      processes.add(ratelimit);
      awaitPort(grpcPort);

      String filter = """
                - ratelimit:
                    domain: protean
                    service: "127.0.0.1:%d"
                    timeout: 200ms
                    failure_mode_deny: %s
                    descriptors:
                      - entries: [{key: method, metadata: method}]
          """;
      try (Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
          workers: 2
          admin: {address: "127.0.0.1:0"}
          listeners:
            - name: open
              address: "127.0.0.1:0"
              codec: dubbo
              filters:
          %s
              routes: [{cluster: p}]
            - name: closed
              address: "127.0.0.1:0"
              codec: dubbo
              filters:
          %s
              routes: [{cluster: p}]
          clusters:
            - {name: p, endpoints: ["127.0.0.1:%d"]}
          """.formatted(filter.formatted(grpcPort, false), filter.formatted(grpcPort, true),
              provider.port())))) {
        AdminClient admin = new AdminClient(proxy.adminAddress());
        List<DubboConsumer> consumers = new ArrayList<>();
        try {
          for (int i = 0; i < 4; i++) {
            consumers.add(new DubboConsumer(proxy.listenerAddress("open").getPort(), "1.0.0", null,
                5_000));
          }
          DubboConsumer closed = new DubboConsumer(proxy.listenerAddress("closed").getPort(),
              "1.0.0", null, 5_000);
          consumers.add(closed);
          awaitCall(closed.service()); // the filter's channel to the service is up
          assertThat(closed.service().slow(0)).as("slow is not limited").startsWith("p ");

          // 5 whole seconds of the service's fixed one-second windows.
          long start = (System.currentTimeMillis() / 1000 + 1) * 1000;
          long end = start + 5_000;
          Thread.sleep(start - System.currentTimeMillis());
          AtomicLong admitted = new AtomicLong();
          AtomicLong limited = new AtomicLong();
          List<Thread> callers = new ArrayList<>();
          for (int i = 0; i < 4; i++) {
            DemoService s = consumers.get(i).service();
            Thread t = new Thread(() -> {
              while (System.currentTimeMillis() < end - 20) {
                try {
                  s.greet("x");
                  admitted.incrementAndGet();
                } catch (RuntimeException e) {
                  limited.incrementAndGet();
                }
              }
            });
            t.start();
            callers.add(t);
          }
          for (Thread t : callers) {
            t.join(20_000);
          }
          System.out.printf("ratelimit: %d admitted, %d limited in 5 s (limit %d/s)%n",
              admitted.get(), limited.get(), LIMIT);
          assertThat(admitted.get()).as("admitted in 5 s").isBetween(
              Math.round(5 * LIMIT * 0.95), Math.round(5 * LIMIT * 1.05));
          assertThat(limited.get()).as("limited").isPositive();
          assertThat(admin.sum("protean_ratelimit_requests_total", "over_limit"))
              .isGreaterThanOrEqualTo(limited.get());

          // The service dies: the open listener lets calls through, the closed one refuses them.
          ratelimit.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
          long t0 = System.nanoTime();
          for (int i = 0; i < 20; i++) {
            assertThat(consumers.get(0).service().greet("y")).endsWith("from p");
          }
          int refused = 0;
          for (int i = 0; i < 20; i++) {
            try {
              closed.service().greet("z");
            } catch (RuntimeException e) {
              assertThat(e).hasMessageContaining("failure_mode_deny");
              refused++;
            }
          }
          assertThat(refused).isEqualTo(20);
          System.out.printf("ratelimit: 40 calls without the service in %d ms%n",
              TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
          assertThat(admin.sum("protean_ratelimit_requests_total", "error_allowed")).isEqualTo(20);
          assertThat(admin.sum("protean_ratelimit_requests_total", "error_denied")).isEqualTo(20);
        } finally {
          for (DubboConsumer c : consumers) {
            c.close();
          }
        }
      }
    } finally {
      for (Process p : processes) {
        p.destroy();
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }

  private static void awaitCall(DemoService s) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        s.slow(0);
        return;
      } catch (RuntimeException e) {
        assertThat(System.nanoTime() - deadline).as("a call through " + e).isNegative();
        Thread.sleep(100);
      }
    }
  }

  private static void awaitPort(int port) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        assertThat(System.nanoTime() - deadline).as("port " + port + " opens").isNegative();
        Thread.sleep(50);
      }
    }
  }
}
