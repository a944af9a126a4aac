package io.protean.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.protean.proxy.server.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The storm driver against a real proxy started from a file, reloading it through its admin endpoint. */
class ReloadStormTest {
  @TempDir Path dir;
  private Proxy proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  /** A configuration: one Dubbo listener, routes to cluster blue or green, optionally a spare. */
  private static String config(String codec, boolean flipped, boolean spare) {
    String blue = """
              - name: to-blue
                match: {metadata: [{key: method, exact: echo}]}
                cluster: blue
        """;
    String green = """
              - name: default
                cluster: green
        """;
    return """
        workers: 1
        admin: {address: "127.0.0.1:0"}
        listeners:
          - name: bench
            address: 127.0.0.1:0
            codec: %s
            routes:
        %s
        clusters:
          - name: blue
            endpoints: [127.0.0.1:1]
          - name: green
            endpoints: [127.0.0.1:2]
        %s""".formatted(codec, flipped ? green + blue : blue + green,
        spare ? "  - name: spare\n    endpoints: [127.0.0.1:3]\n" : "");
  }

  private ReloadStorm driver(String a, String b) throws Exception {
    Path config = dir.resolve("protean.yaml");
    Files.writeString(config, a);
    Files.writeString(dir.resolve("a.yaml"), a);
    Files.writeString(dir.resolve("b.yaml"), b);
    proxy = Proxy.start(config);
    ReloadStorm storm = new ReloadStorm();
    storm.admin = "127.0.0.1:" + proxy.adminAddress().getPort();
    storm.config = config;
    storm.variants = List.of(dir.resolve("a.yaml"), dir.resolve("b.yaml"));
    storm.intervalMillis = 50;
    storm.log = dir.resolve("reloads.jsonl");
    return storm;
  }

  @Test
  void everyReloadOfAStormIsAppliedAsTheNextVersionAndUseSwitchesOutsideAStorm()
      throws Exception {
    ReloadStorm storm = driver(config("dubbo", false, false), config("dubbo", true, true));
    storm.init();
    storm.start("native:1");
    Thread.sleep(400);
    ReloadStorm.Storm s = storm.stop();

    assertThat(s.reloads()).hasSizeGreaterThanOrEqualTo(3);
    assertThat(s.notApplied()).isZero();
    for (int i = 0; i < s.reloads().size(); i++) {
      ReloadStorm.Reload r = s.reloads().get(i);
      assertThat(r.result()).isEqualTo("applied");
      assertThat(r.version()).isEqualTo(2 + i);
      assertThat(r.latencyMillis()).isPositive();
      assertThat(r.status()).isEqualTo(200);
    }
    // Back to the first variant, with one reload outside the storm when needed.
    String use = storm.use(0);
    assertThat(use).contains(s.reloads().size() % 2 == 1 ? "\"applied\"" : "\"running\"");
    assertThat(storm.running()).isZero();
    assertThat(storm.use(0)).contains("\"running\"");
    assertThat(proxy.config().clusters()).hasSize(2);
    assertThat(proxy.config().listeners().get(0).routes().get(0).cluster()).isEqualTo("blue");
    assertThat(Files.readString(dir.resolve("protean.yaml")))
        .isEqualTo(config("dubbo", false, false));

    Map<String, String> summary = Report.parse(s.toJson());
    assertThat(summary).containsEntry("storm", "native:1").containsEntry("not_applied", "0");
    List<String> logged = Files.readAllLines(dir.resolve("reloads.jsonl"));
    assertThat(logged).hasSizeGreaterThanOrEqualTo(s.reloads().size());
    assertThat(Report.parse(logged.get(0))).containsEntry("tag", "native:1")
        .containsEntry("result", "applied").containsEntry("ok", "1").containsKey("epoch_ms");
  }

  @Test
  void aRefusedReloadCountsAsNotAppliedWithTheProxysReason() throws Exception {
    String bad = config("dubbo", true, false).replace("cluster: green", "cluster: nope");
    ReloadStorm storm = driver(config("dubbo", false, false), bad);
    storm.init();
    storm.start("native:1");
    Thread.sleep(150);
    ReloadStorm.Storm s = storm.stop();

    assertThat(s.notApplied()).isEqualTo(s.reloads().size()).isPositive();
    assertThat(s.reloads().get(0).result()).isEqualTo("refused");
    assertThat(s.reloads().get(0).problem()).contains("refused").contains("nope");
    assertThat(proxy.version()).isEqualTo(1);
  }

  @Test
  void theModuleCheckReportsWhatTheProxyAnsweredAndLeavesTheRunningModuleInPlace()
      throws Exception {
    Path module = dir.resolve("dubbo.wasm");
    byte[] original = jmhModule();
    Files.write(dir.resolve("module-a.wasm"), original);
    // The same code with one more custom section: id 0, size 2, name length 1, "x".
    byte[] other = concat(original, new byte[] {0, 2, 1, 'x'});
    Files.write(dir.resolve("module-b.wasm"), other);
    Files.write(module, original);
    String codec = "{wasm: {module: " + module + "}}";
    ReloadStorm storm = driver(config(codec, false, false), config(codec, true, false));
    storm.module = module;
    storm.moduleVariants = List.of(dir.resolve("module-a.wasm"), dir.resolve("module-b.wasm"));
    storm.init();

    String answer = storm.checkModule();
    Map<String, String> check = Report.parse(answer);
    assertThat(check.get("result")).isIn("applied", "unchanged");
    if (check.get("result").equals("unchanged")) {
      assertThat(Files.readAllBytes(module)).isEqualTo(original);
      assertThat(proxy.version()).isEqualTo(1);
    } else {
      assertThat(Files.readAllBytes(module)).isEqualTo(other);
      assertThat(proxy.version()).isEqualTo(2);
    }
    // The storm still reloads (routes at least), and the answers are applied.
    storm.start("wasm:1");
    Thread.sleep(300);
    assertThat(storm.stop().notApplied()).isZero();
  }

  @Test
  void refusesIdenticalVariantsAndANonLoopbackAdmin() throws Exception {
    String a = config("dubbo", false, false);
    assertThatThrownBy(() -> driver(a, a).init()).hasMessageContaining("identical");
    assertThatThrownBy(() -> ReloadStorm.HostPortCheck.loopback("192.0.2.1:9901"))
        .hasMessageContaining("not a loopback address");
  }

  private static byte[] jmhModule() {
    return io.protean.bench.jmh.BenchFrames.module("dubbo", "example-codecs-rust/wasm/dubbo.wasm");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
