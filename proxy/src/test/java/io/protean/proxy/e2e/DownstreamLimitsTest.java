package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * A listener's limits on its clients, with real Dubbo requests (captured from a real consumer) to
 * a real provider: max_connections, idle_timeout, max_requests_per_connection and
 * max_pending_requests_per_connection.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DownstreamLimitsTest {
  private ProxiedProvider p;
  private byte[] greet;
  private byte[] slow;

  @BeforeAll
  void start() throws Exception {
    p = new ProxiedProvider(s -> {
      s.greet("raw");
      s.slow(1000);
    }, 2, "", """
          - {name: two, address: "127.0.0.1:0", codec: dubbo, routes: [{cluster: p}],
             max_connections: 2}
          - {name: idle, address: "127.0.0.1:0", codec: dubbo, routes: [{cluster: p}],
             idle_timeout: 500ms}
          - {name: short, address: "127.0.0.1:0", codec: dubbo, routes: [{cluster: p}],
             max_requests_per_connection: 3}
          - {name: narrow, address: "127.0.0.1:0", codec: dubbo, routes: [{cluster: p}],
             max_pending_requests_per_connection: 2}
        """);
    greet = p.captured.get(0);
    slow = p.captured.get(1);
  }

  @AfterAll
  void stop() {
    p.close();
  }

  private RawDubbo client(String listener) throws Exception {
    return p.client(listener);
  }

  private void call(RawDubbo c, long id) throws Exception {
    c.send(RawDubbo.withId(greet, id));
    RawDubbo.Response r = c.read();
    assertThat(r.id()).isEqualTo(id);
    assertThat(r.status()).isEqualTo(20);
  }

  @Test
  void connectionsBeyondMaxConnectionsAreRefusedAndCountedWhileTheAdminAnswers() throws Exception {
    try (RawDubbo a = client("two"); RawDubbo b = client("two")) {
      call(a, 1);
      call(b, 2);
      try (RawDubbo c = client("two")) {
        assertThat(c.closedByPeer()).as("a third connection is closed").isTrue();
      }
      assertThat(p.count("protean_listener_downstream_connections_refused_total", "two")).isEqualTo(1);
      assertThat(p.admin.get("/ready")).isNotEmpty();
      call(a, 3); // the two admitted connections carry on
    }
    // Once one closes, a new one is admitted (the count follows closes on the event loop).
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (p.count("protean_listener_downstream_connections", "two") > 0
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    try (RawDubbo d = client("two")) {
      call(d, 4);
    }
  }

  @Test
  void anIdleConnectionIsClosedButOneWaitingForAnAnswerIsNot() throws Exception {
    long before = p.count("protean_listener_downstream_idle_timeouts_total", "idle");
    try (RawDubbo c = client("idle")) {
      c.send(RawDubbo.withId(slow, 1)); // 1000 ms in the provider, twice idle_timeout
      RawDubbo.Response r = c.read();
      assertThat(r.status()).isEqualTo(20);
      assertThat(r.text()).contains("steady slept 1000 ms");
      assertThat(c.closedByPeer()).as("closed once idle").isTrue();
    }
    assertThat(p.count("protean_listener_downstream_idle_timeouts_total", "idle")
        - before).isEqualTo(1);
  }

  @Test
  void afterMaxRequestsPerConnectionTheConnectionAnswersSaysReadonlyAndCloses() throws Exception {
    try (RawDubbo c = client("short")) {
      c.send(RawDubbo.withId(greet, 1), RawDubbo.withId(greet, 2), RawDubbo.withId(greet, 3));
      List<Long> answered = new ArrayList<>();
      boolean readonly = false;
      for (int i = 0; i < 4; i++) {
        RawDubbo.Response r = c.read();
        if (r.status() == 0) { // an event request: flags 0xa2, body hessian2 "R"
          assertThat(r.body()).containsExactly(0x01, 'R');
          readonly = true;
        } else {
          assertThat(r.status()).isEqualTo(20);
          answered.add(r.id());
        }
      }
      assertThat(answered).containsExactlyInAnyOrder(1L, 2L, 3L);
      assertThat(readonly).as("the READONLY event").isTrue();
      assertThat(c.closedByPeer()).isTrue();
    }
  }

  @Test
  void atMaxPendingRequestsReadingPausesAndResumesAsAnswersGo() throws Exception {
    long pauses = p.count("protean_listener_read_pauses_total", "narrow");
    try (RawDubbo c = client("narrow")) {
      c.send(RawDubbo.withId(slow, 1), RawDubbo.withId(slow, 2), RawDubbo.withId(slow, 3));
      List<Long> answered = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        answered.add(c.read().id());
      }
      assertThat(answered).containsExactlyInAnyOrder(1L, 2L, 3L);
      call(c, 4);
    }
    assertThat(p.count("protean_listener_read_pauses_total", "narrow") - pauses)
        .isPositive();
  }
}
