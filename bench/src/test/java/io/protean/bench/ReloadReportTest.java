package io.protean.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reload report's ratios, verdicts, failures and dents, on hand-made measurements. */
class ReloadReportTest {
  private static Map<String, String> row(String leg, String mode, int round, double qps, double p99) {
    return Report.parse(("{\"leg\":\"%s\",\"mode\":\"%s\",\"round\":%d,\"requests\":1000,"
        + "\"errors\":0,\"qps\":%s,\"p50_us\":100,\"p99_us\":%s,\"p999_us\":900,\"max_us\":1000,"
        + "\"proxy_cpu_s\":0.5}").formatted(leg, mode, round, qps, p99));
  }

  private static Map<String, String> reload(String tag, int seq, boolean ok, double latency) {
    return Report.parse(("{\"tag\":\"%s\",\"seq\":%d,\"epoch_ms\":%d,\"latency_ms\":%s,"
        + "\"result\":\"%s\",\"ok\":%d}").formatted(tag, seq, 1000L * seq, latency,
        ok ? "applied" : "refused", ok ? 1 : 0));
  }

  @Test
  void theRatioIsTheMedianOfEachRoundsPairNotTheRatioOfMedians() {
    // Round 2 is slow in both modes (the machine was busy): paired, it changes nothing.
    List<Map<String, String>> rows = List.of(
        row("native", "steady", 1, 100_000, 1000), row("native", "storm", 1, 98_000, 1100),
        row("native", "storm", 2, 49_000, 2200), row("native", "steady", 2, 50_000, 2000),
        row("native", "steady", 3, 100_000, 1000), row("native", "storm", 3, 99_000, 1000));
    ReloadReport.Ratios r = ReloadReport.ratios(rows);
    assertThat(r.qps()).isCloseTo(0.98, within(1e-9));
    assertThat(r.p99()).isCloseTo(1.1, within(1e-9));
    assertThat(r.perRound()).hasSize(3);

    StringBuilder out = new StringBuilder();
    boolean bad = ReloadReport.render(rows, List.of(reload("native:1", 1, true, 12.5)), out);
    assertThat(bad).isFalse();
    assertThat(out).contains("**native storm / steady: QPS 0.980×** (target ≥ 0.97×: met)")
        .contains("**p99 1.10×** (target ≤ 1.2×: met)")
        .contains("| native | 1 | 1 | 0 | 12.5 |");
  }

  @Test
  void aMissedTargetIsSaidAndANotAppliedReloadOrAnErrorFailsTheReport() {
    List<Map<String, String>> rows = new ArrayList<>(List.of(
        row("wasm", "steady", 1, 100_000, 1000), row("wasm", "storm", 1, 90_000, 1500)));
    StringBuilder out = new StringBuilder();
    assertThat(ReloadReport.render(rows, List.of(reload("wasm:1", 1, true, 10)), out)).isFalse();
    assertThat(out).contains("QPS 0.900×** (target ≥ 0.97×: **missed**)")
        .contains("p99 1.50×** (target ≤ 1.2×: **missed**)");

    out.setLength(0);
    assertThat(ReloadReport.render(rows, List.of(reload("wasm:1", 1, false, 10)), out)).isTrue();
    assertThat(out).contains("a reload was not applied as expected");

    rows.add(Report.parse("{\"leg\":\"wasm\",\"mode\":\"storm\",\"round\":2,\"failed\":1,"
        + "\"reason\":\"boom\"}"));
    out.setLength(0);
    assertThat(ReloadReport.render(rows, List.of(), out)).isTrue();
    assertThat(out).contains("FAILED: boom");
  }

  @Test
  void aDentIsTheAnswersMissingAfterAReloadAgainstTheMedianBucketWithAControlBetweenReloads() {
    List<Map<String, String>> timeline = new ArrayList<>();
    long epoch0 = 1_000_000;
    for (int b = 0; b < 200; b++) { // 2 s of 10 ms buckets, 100 answers each
      long t = epoch0 + b * 10L;
      // The reload at +500 ms: two buckets at 50 and 0 answers, the second with a 12 ms answer.
      long answers = t == epoch0 + 500 ? 50 : t == epoch0 + 510 ? 0 : 100;
      long max = t == epoch0 + 520 ? 12_000 : 2_000;
      timeline.add(Report.parse("{\"t_ms\":%d,\"epoch_ms\":%d,\"answers\":%d,\"max_us\":%d}"
          .formatted(b * 10, t, answers, max)));
    }
    List<Map<String, String>> reloads = List.of(
        Report.parse("{\"tag\":\"native:1\",\"epoch_ms\":%d}".formatted(epoch0 + 503)),
        // too late for its control window to fit: left out
        Report.parse("{\"tag\":\"native:1\",\"epoch_ms\":%d}".formatted(epoch0 + 1700)));
    List<ReloadReport.Dent> dents = ReloadReport.dents(timeline, reloads);
    assertThat(dents).hasSize(1);
    assertThat(dents.get(0).lostMillis()).isCloseTo(15.0, within(1e-9)); // 150 answers of 100 per 10 ms
    assertThat(dents.get(0).maxLatencyMillis()).isEqualTo(12.0);
    assertThat(dents.get(0).controlLostMillis()).isZero();
    assertThat(dents.get(0).controlMaxLatencyMillis()).isEqualTo(2.0);
  }
}
