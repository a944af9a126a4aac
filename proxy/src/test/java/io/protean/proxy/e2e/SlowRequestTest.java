package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Slow and partial requests (real Dubbo requests, captured from a real consumer, sent in part on
 * raw sockets): request_read_timeout answers the incomplete request with Dubbo's timeout status
 * and closes its connection once its other calls are answered; max_buffered_request_bytes refuses
 * the connection whose incomplete request takes the proxy past it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlowRequestTest {
  private ProxiedProvider p;
  private byte[] greet;
  private byte[] slow;
  private byte[] large;

  @BeforeAll
  void start() throws Exception {
    p = new ProxiedProvider(s -> {
      s.greet("raw");
      s.slow(1000);
      s.echo("x".repeat(700_000));
    }, 3, "max_buffered_request_bytes: 1048576\n", """
          - {name: timed, address: "127.0.0.1:0", codec: dubbo, routes: [{cluster: p}],
             request_read_timeout: 500ms}
          - {name: big, address: "127.0.0.1:0", codec: dubbo, routes: [{cluster: p}]}
        """);
    greet = p.captured.get(0);
    slow = p.captured.get(1);
    large = p.captured.get(2);
  }

  @AfterAll
  void stop() {
    p.close();
  }

  @Test
  void anIncompleteRequestTimesOutAndTheCallBeforeItIsStillAnswered() throws Exception {
    long before = p.count("protean_listener_request_read_timeouts_total", "timed");
    try (RawDubbo c = p.client("timed")) {
      byte[] half = Arrays.copyOf(RawDubbo.withId(greet, 2), greet.length / 2);
      c.send(RawDubbo.withId(slow, 1), half);
      RawDubbo.Response first = c.read();
      assertThat(first.id()).isEqualTo(2);
      assertThat(first.status()).as("SERVER_TIMEOUT").isEqualTo(31);
      assertThat(first.text()).contains("request_read_timeout (PT0.5S)");
      RawDubbo.Response second = c.read();
      assertThat(second.id()).isEqualTo(1);
      assertThat(second.text()).contains("steady slept 1000 ms");
      assertThat(c.closedByPeer()).isTrue();
    }
    assertThat(p.count("protean_listener_request_read_timeouts_total", "timed")
        - before).isEqualTo(1);
  }

  @Test
  void aTricklingClientIsCutOff() throws Exception {
    try (RawDubbo c = p.client("timed")) {
      byte[] request = RawDubbo.withId(large, 7);
      Thread trickle = new Thread(() -> {
        try {
          for (int i = 0; i < request.length; i++) {
            c.send(new byte[] {request[i]});
            Thread.sleep(20);
          }
        } catch (Exception closed) {
          // The proxy closed the connection.
        }
      }, "trickle");
      trickle.setDaemon(true);
      trickle.start();
      RawDubbo.Response r = c.read();
      assertThat(r.id()).isEqualTo(7);
      assertThat(r.status()).isEqualTo(31);
      assertThat(c.closedByPeer()).isTrue();
      trickle.interrupt();
    }
  }

  @Test
  void theConnectionThatTakesTheProxyPastItsBufferLimitIsRefused() throws Exception {
    long before = p.count("protean_listener_buffer_overflows_total", "big");
    try (RawDubbo a = p.client("big");
        RawDubbo b = p.client("big")) {
      byte[] first = RawDubbo.withId(large, 1);
      byte[] second = RawDubbo.withId(large, 2);
      int part = 600_000; // each under the 1 MiB limit, both together over it
      a.send(Arrays.copyOf(first, part));
      b.send(Arrays.copyOf(second, part));
      // Whichever read went over is refused with Dubbo's overload status (100) and closed ...
      RawDubbo refused = null;
      RawDubbo.Response r = null;
      for (RawDubbo c : List.of(a, b)) {
        c.socket().setSoTimeout(2000);
        try {
          r = c.read();
          refused = c;
          break;
        } catch (java.net.SocketTimeoutException nothingYet) {
          // not this one
        }
      }
      assertThat(refused).as("one connection was refused").isNotNull();
      assertThat(r.status()).isEqualTo(100);
      assertThat(r.text()).contains("max_buffered_request_bytes");
      assertThat(refused.closedByPeer()).isTrue();
      // ... and the other, once it sends the rest, is answered.
      RawDubbo other = refused == a ? b : a;
      byte[] rest = refused == a ? second : first;
      other.socket().setSoTimeout(30_000);
      other.send(Arrays.copyOfRange(rest, part, rest.length));
      RawDubbo.Response answer = other.read();
      assertThat(answer.status()).isEqualTo(20);
      assertThat(answer.body().length).isGreaterThan(700_000);
    }
    assertThat(p.count("protean_listener_buffer_overflows_total", "big") - before)
        .isEqualTo(1);
  }
}
