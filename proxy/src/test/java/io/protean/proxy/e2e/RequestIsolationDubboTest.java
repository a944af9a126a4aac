package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.protean.demo.peers.DubboConsumer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * An oversize or undecodable Dubbo request whose header is readable gets Dubbo's error (status 40
 * BAD_REQUEST) and the connection carries on: the other calls in flight on it are answered.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RequestIsolationDubboTest {
  private ProxiedProvider p;
  private byte[] greet;

  @BeforeAll
  void start() throws Exception {
    p = new ProxiedProvider(s -> s.greet("raw"), 1, "", """
          - name: dubbo
            address: "127.0.0.1:0"
            codec: {dubbo: {max_body_size: 4096}}
            routes: [{cluster: p}]
        """);
    greet = p.captured.get(0);
  }

  @AfterAll
  void stop() {
    p.close();
  }

  @Test
  void anOversizeCallOfARealConsumerFailsAloneAndItsOtherCallsAreAnswered() throws Exception {
    try (DubboConsumer consumer = new DubboConsumer(p.listener("dubbo").getPort(),
        "1.0.0", null, 20_000)) {
      CompletableFuture<String> slow =
          CompletableFuture.supplyAsync(() -> consumer.service().slow(1500));
      Thread.sleep(300); // the slow call is in flight on the consumer's one connection
      assertThatThrownBy(() -> consumer.service().echo("x".repeat(10_000)))
          .hasMessageContaining("exceeds the limit of 4096 bytes");
      assertThat(slow.get(20, TimeUnit.SECONDS)).isEqualTo("steady slept 1500 ms");
      assertThat(consumer.service().greet("after")).isEqualTo("hello after from steady");
    }
  }

  @Test
  void undecodableAndOversizeRequestsAreAnsweredAndTheConnectionCarriesOn() throws Exception {
    long before = p.count("protean_listener_rejected_requests_total", "dubbo");
    try (RawDubbo client = p.client("dubbo")) {
      byte[] garbage = "not hessian".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      byte[] oversize = new byte[100_000];
      client.send(RawDubbo.withId(greet, 1), RawDubbo.header(2, garbage.length), garbage,
          RawDubbo.header(3, oversize.length), oversize, RawDubbo.withId(greet, 4));
      List<RawDubbo.Response> answers = List.of(client.read(), client.read(), client.read(),
          client.read());
      assertThat(answers).extracting(RawDubbo.Response::id).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
      for (RawDubbo.Response r : answers) {
        if (r.id() == 1 || r.id() == 4) {
          assertThat(r.status()).as("greet %d", r.id()).isEqualTo(20);
          assertThat(r.text()).contains("hello raw from steady");
        } else {
          assertThat(r.status()).as("rejected %d", r.id()).isEqualTo(40);
          assertThat(r.text()).contains(r.id() == 3 ? "body length 100000 exceeds the limit of 4096"
              : "dubbo:");
        }
      }
      client.send(RawDubbo.withId(greet, 5));
      RawDubbo.Response last = client.read();
      assertThat(last.id()).isEqualTo(5);
      assertThat(last.status()).isEqualTo(20);
    }
    assertThat(p.count("protean_listener_rejected_requests_total", "dubbo")
        - before).isEqualTo(2);
  }
}
