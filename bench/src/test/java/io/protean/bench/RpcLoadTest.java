package io.protean.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The generator against a real Dubbo provider in this JVM, for about a second. */
class RpcLoadTest {
  private static DubboProviderMain provider;

  @BeforeAll
  static void startProvider() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    provider = new DubboProviderMain(port, "direct");
  }

  @AfterAll
  static void stopProvider() {
    if (provider != null) {
      provider.close();
    }
  }

  private static RpcLoad load(int payload) {
    return load("dubbo", provider.port(), payload);
  }

  /** A short, small run of {@code protocol} against a loopback {@code port}. */
  static RpcLoad load(String protocol, int port, int payload) {
    RpcLoad load = new RpcLoad();
    load.protocol = protocol;
    load.target = "127.0.0.1:" + port;
    load.connections = 2;
    load.inflight = 4;
    load.warmupSeconds = 0.2;
    load.durationSeconds = 0.8;
    load.payloadBytes = payload;
    load.threads = 1;
    load.drainSeconds = 5;
    return load;
  }

  @Test
  void everyResponseOfARealProviderChecksOut() throws Exception {
    RpcLoad load = load(64);
    // The provider runs in this JVM: its CPU in the window is at least the generator's.
    load.serverPid = ProcessHandle.current().pid();
    RpcLoad.Result r = load.run();
    assertThat(r.errorSamples()).isEmpty();
    assertThat(r.errors()).isZero();
    assertThat(r.requests()).isPositive();
    assertThat(r.answered()).isGreaterThanOrEqualTo(r.requests());
    assertThat(r.ok()).isTrue();
    assertThat(r.p50Us()).isPositive();
    assertThat(r.p99Us()).isGreaterThanOrEqualTo(r.p50Us());
    assertThat(r.cpuSeconds()).isPositive();
    assertThat(r.serverCpuSeconds()).isPositive();
    assertThat(r.proxyCpuSeconds()).isNegative(); // not asked for
    assertThat(r.responseBytes()).isGreaterThan(64);

    Map<String, String> fields = Report.parse(r.toJson());
    assertThat(fields).containsEntry("errors", "0");
    assertThat(Long.parseLong(fields.get("requests"))).isEqualTo(r.requests());
    assertThat(fields).containsKey("server_cpu_s").doesNotContainKey("proxy_cpu_s");
  }

  @Test
  void processCpuIsUserPlusSystemTimeEvenWithParenthesesInTheName() {
    String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 2000 0 0 0 250 50 0 0 20 0 30";
    assertThat(ProcessCpu.parse(stat, 100)).isEqualTo(3.0);
    assertThat(new ProcessCpu(ProcessHandle.current().pid(), 100).seconds()).isPositive();
    assertThatThrownBy(() -> new ProcessCpu(Long.MAX_VALUE, 100))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theTimelineCountsEveryMeasuredAnswerInItsTenMillisecondBucket(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path dir) throws Exception {
    RpcLoad load = load(64);
    load.timeline = dir.resolve("timeline.jsonl");
    RpcLoad.Result r = load.run();
    assertThat(r.ok()).isTrue();
    List<Map<String, String>> buckets = Report.read(load.timeline);
    // 0.8 s of 10 ms buckets, plus the partial one at the end of the window.
    assertThat(buckets).hasSize(81);
    assertThat(buckets.get(1).get("t_ms")).isEqualTo("10");
    assertThat(Long.parseLong(buckets.get(1).get("epoch_ms"))
        - Long.parseLong(buckets.get(0).get("epoch_ms"))).isEqualTo(10);
    long answers = buckets.stream().mapToLong(b -> Long.parseLong(b.get("answers"))).sum();
    long max = buckets.stream().mapToLong(b -> Long.parseLong(b.get("max_us"))).max().orElse(0);
    // Measured answers arriving in the window; those sent in it and answered after it are not
    // in a bucket.
    assertThat(answers).isPositive().isLessThanOrEqualTo(r.requests())
        .isGreaterThan(r.requests() - 2L * 4);
    // The histogram's max is rounded up to its precision; the timeline keeps the exact one.
    assertThat((double) max).isPositive().isLessThanOrEqualTo(r.maxUs());
  }

  @Test
  void aLargePayloadIsEchoedToo() throws Exception {
    RpcLoad.Result r = load(4096).run();
    assertThat(r.errorSamples()).isEmpty();
    assertThat(r.ok()).isTrue();
    assertThat(r.requestBytes()).isGreaterThan(4096);
  }

  @Test
  void theRequestFrameIsADubboTwoWayHessian2Request() {
    byte[] frame = RequestFrames.echoRequest("hi");
    assertThat(frame[0]).isEqualTo((byte) 0xda);
    assertThat(frame[1]).isEqualTo((byte) 0xbb);
    // request | two-way | hessian2 (2)
    assertThat(frame[2] & 0xff).isEqualTo(0x80 | 0x40 | 2);
    int bodyLength = ((frame[12] & 0xff) << 24) | ((frame[13] & 0xff) << 16)
        | ((frame[14] & 0xff) << 8) | (frame[15] & 0xff);
    assertThat(frame.length).isEqualTo(RequestFrames.HEADER_LENGTH + bodyLength);
  }

  @Test
  void refusesNonLoopbackTargets() {
    assertThatThrownBy(() -> RpcLoad.loopback("192.0.2.1:20880"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void reportTakesMediansAndFlagsErrors() {
    List<Map<String, String>> rows = List.of(
        Report.parse("{\"leg\":\"direct\",\"round\":1,\"qps\":100,\"p99_us\":10,"
            + "\"errors\":0,\"requests\":1000,\"duration_s\":1,\"gen_cpu_s\":0.5}"),
        Report.parse("{\"leg\":\"direct\",\"round\":2,\"qps\":300,\"p99_us\":30,"
            + "\"errors\":0,\"requests\":1000,\"duration_s\":1,\"gen_cpu_s\":0.5}"),
        Report.parse("{\"leg\":\"direct\",\"round\":3,\"qps\":200,\"p99_us\":20,"
            + "\"errors\":0,\"requests\":1000,\"duration_s\":1,\"gen_cpu_s\":0.5}"),
        Report.parse("{\"leg\":\"protean\",\"round\":1,\"qps\":100,\"p99_us\":40,"
            + "\"errors\":2,\"requests\":1000,\"duration_s\":1,\"gen_cpu_s\":0.5,"
            + "\"proxy_cpu_s\":0.1,\"proxy_rss_kb\":2048}"),
        Report.parse("{\"leg\":\"haproxy\",\"round\":1,\"qps\":200,\"p99_us\":20,"
            + "\"errors\":0,\"requests\":2000,\"duration_s\":1,\"gen_cpu_s\":0.5,"
            + "\"proxy_cpu_s\":0.1,\"proxy_rss_kb\":1024}"));
    StringBuilder out = new StringBuilder();
    assertThat(Report.render(rows, out)).isTrue();
    assertThat(out.toString()).contains("| direct | 200 |").contains("| protean | 100 |")
        .contains("protean / direct: QPS 0.50×, p99 2.00×\n")
        // per request: 0.1 s / 1000 against 0.1 s / 2000
        .contains("protean / haproxy: QPS 0.50×, p99 2.00×, proxy CPU per request 2.00×")
        // 0.1 s of proxy CPU for 1000 requests in the window
        .containsPattern("\\| protean \\| 100 \\|( [^|]* \\|){5} 10\\.00 \\| 2\\.0 \\|");
  }
}
