package io.protean.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Turns the measurements of {@code bench/reload.sh} into Markdown: per leg (a Protean codec) the
 * rounds without reloads ({@code steady}) and with a reload storm ({@code storm}), medians over
 * rounds, the storm/steady ratios — the median over rounds of each round's pair, so that the
 * machine's drift between rounds cancels — against the targets, and the time of every
 * {@code POST /reload}.
 *
 * <p>Usage: {@code ReloadReport RESULTS.jsonl RELOADS.jsonl [TIMELINE_DIR]}. RESULTS holds the generator's
 * {@code --json} lines tagged with {@code leg}, {@code mode} and {@code round} (or {@code failed}),
 * the storms' summaries ({@code storm}) and the module checks ({@code check}); RELOADS one line per
 * reload from {@link ReloadStorm}'s {@code --log}, tagged {@code LEG:ROUND} ({@code LEG:prime}
 * for the unrecorded priming); TIMELINE_DIR the generator's {@code --timeline} files, named
 * {@code LEG-ROUND-MODE.jsonl}, from which each reload's dent in the throughput is measured
 * ({@link #dents}). Exit code 1 when any measurement had errors or failed, or any
 * reload was not applied.
 */
public final class ReloadReport {
  /** Storm QPS must be at least this share of steady QPS. */
  static final double QPS_TARGET = 0.97;
  /** Storm p99 may be at most this multiple of steady p99. */
  static final double P99_TARGET = 1.2;

  private ReloadReport() {}

  public static void main(String[] args) throws IOException {
    StringBuilder out = new StringBuilder();
    List<Map<String, String>> reloads = args.length > 1 && Files.exists(Path.of(args[1]))
        ? Report.read(Path.of(args[1])) : List.of();
    boolean bad = render(Report.read(Path.of(args[0])), reloads, out);
    if (args.length > 2 && Files.isDirectory(Path.of(args[2]))) {
      renderDents(Path.of(args[2]), reloads, out);
    }
    System.out.print(out);
    System.exit(bad ? 1 : 0);
  }

  /** The storm/steady ratios of one leg: median over rounds of each round's ratio, and per round. */
  record Ratios(double qps, double p50, double p99, double max, List<double[]> perRound) {}

  /** Appends the report; returns whether anything had errors, failed or was not applied. */
  static boolean render(List<Map<String, String>> results, List<Map<String, String>> reloads,
      StringBuilder out) {
    boolean bad = false;
    Map<String, List<Map<String, String>>> byLeg = new LinkedHashMap<>();
    List<Map<String, String>> storms = new ArrayList<>();
    List<Map<String, String>> checks = new ArrayList<>();
    for (Map<String, String> r : results) {
      if (r.containsKey("storm")) {
        storms.add(r);
        bad |= num(r, "not_applied") != 0;
      } else if (r.containsKey("check")) {
        checks.add(r);
      } else {
        bad |= r.containsKey("failed") || num(r, "errors") != 0;
        byLeg.computeIfAbsent(r.getOrDefault("leg", "?"), k -> new ArrayList<>()).add(r);
      }
    }
    out.append("| leg | mode | QPS (median) | p50 µs | p99 µs | p99.9 µs | max µs | errors"
        + " | proxy CPU s / 100k req | rounds |\n");
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (var e : byLeg.entrySet()) {
      for (String mode : List.of("steady", "storm")) {
        List<Map<String, String>> all = e.getValue().stream()
            .filter(r -> mode.equals(r.get("mode"))).toList();
        List<Map<String, String>> ok = all.stream().filter(r -> !r.containsKey("failed")).toList();
        long errors = all.stream().mapToLong(r -> (long) num(r, "errors")).sum();
        out.append("| ").append(e.getKey()).append(" | ").append(mode);
        if (ok.isEmpty()) {
          out.append(" | FAILED |  |  |  |  | ").append(errors).append(" |  | ")
              .append(all.size()).append(" |\n");
          continue;
        }
        out.append(" | ").append(Report.f0(Report.median(ok, r -> num(r, "qps"))))
            .append(" | ").append(Report.f0(Report.median(ok, r -> num(r, "p50_us"))))
            .append(" | ").append(Report.f0(Report.median(ok, r -> num(r, "p99_us"))))
            .append(" | ").append(Report.f0(Report.median(ok, r -> num(r, "p999_us"))))
            .append(" | ").append(Report.f0(Report.median(ok, r -> num(r, "max_us"))))
            .append(" | ").append(errors)
            .append(all.size() > ok.size() ? " (+" + (all.size() - ok.size()) + " failed runs)" : "")
            .append(" | ").append(ok.get(0).containsKey("proxy_cpu_s")
                ? Report.f2(Report.median(ok, r -> num(r, "proxy_cpu_s") / Math.max(1, num(r, "requests"))
                    * 100_000)) : "n/a")
            .append(" | ").append(all.size()).append(" |\n");
      }
    }
    out.append('\n');
    for (var e : byLeg.entrySet()) {
      Ratios q = ratios(e.getValue());
      if (q == null) {
        out.append("- ").append(e.getKey()).append(": no round with both a steady and a storm "
            + "measurement, so no ratio.\n");
        continue;
      }
      StringBuilder rounds = new StringBuilder();
      for (double[] r : q.perRound()) {
        rounds.append(rounds.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT,
            "r%.0f %.3f× / %.2f×", r[0], r[1], r[2]));
      }
      out.append(String.format(Locale.ROOT, "- **%s storm / steady: QPS %.3f×** (target ≥ %.2f×: %s),"
              + " **p99 %.2f×** (target ≤ %.1f×: %s); p50 %.2f×, max %.2f×. Median over rounds of"
              + " each round's ratio; per round QPS / p99: %s.%n",
          e.getKey(), q.qps(), QPS_TARGET, q.qps() >= QPS_TARGET ? "met" : "**missed**",
          q.p99(), P99_TARGET, q.p99() <= P99_TARGET ? "met" : "**missed**", q.p50(), q.max(),
          rounds));
    }
    for (var e : byLeg.entrySet()) {
      StringBuilder configs = new StringBuilder();
      for (String config : List.of("a", "b")) {
        List<Map<String, String>> steady = e.getValue().stream()
            .filter(r -> "steady".equals(r.get("mode")) && config.equals(r.get("config"))
                && !r.containsKey("failed")).toList();
        if (!steady.isEmpty()) {
          configs.append(configs.length() == 0 ? "" : "; ").append(String.format(Locale.ROOT,
              "`%s` QPS %.0f, p99 %.0f µs (%d rounds)", config,
              Report.median(steady, r -> num(r, "qps")),
              Report.median(steady, r -> num(r, "p99_us")), steady.size()));
        }
      }
      if (configs.length() > 0) {
        out.append("- ").append(e.getKey()).append(" steady, by configuration (medians): ")
            .append(configs).append(".\n");
      }
    }
    for (Map<String, String> c : checks) {
      String result = c.getOrDefault("result", "?");
      out.append("- ").append(c.getOrDefault("leg", "?")).append(": a reload with only the Wasm "
          + "module file changed answered `").append(result).append('`')
          .append("applied".equals(result) ? ": every storm reload also swapped the module file."
              : ": this build does not swap a module whose file changed, so the storm reloaded "
                  + "routes and clusters only.")
          .append('\n');
    }
    out.append('\n');
    bad |= renderReloads(reloads, storms, out);
    out.append("\n<details><summary>Every measurement</summary>\n\n"
        + "Proxy CPU: in the measured window. \"(run)\": the whole generator run, warm-up and JVM"
        + " start-up included; the generator, the providers and the storm driver share the load CPU.\n\n");
    out.append("| round | leg | mode | config | QPS | p50 µs | p99 µs | p99.9 µs | max µs | errors | requests"
        + " | proxy CPU s | generator CPU s (run) | providers CPU s (run) | storm driver CPU s (run)"
        + " | reloads in round |\n");
    out.append("|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (var e : byLeg.entrySet()) {
      for (Map<String, String> r : e.getValue()) {
        out.append("| ").append(r.getOrDefault("round", "?"))
            .append(" | ").append(e.getKey())
            .append(" | ").append(r.getOrDefault("mode", "?"))
            .append(" | ").append(r.getOrDefault("config", "?"));
        if (r.containsKey("failed")) {
          out.append(" | FAILED: ").append(r.getOrDefault("reason", "?"))
              .append(" |  |  |  |  |  |  |  |  |  |  |  |\n");
          continue;
        }
        String tag = e.getKey() + ":" + r.getOrDefault("round", "?");
        String count = storms.stream().filter(s -> tag.equals(s.get("storm")))
            .map(s -> s.getOrDefault("reloads", "?")).findFirst().orElse("–");
        out.append(" | ").append(Report.f0(num(r, "qps")))
            .append(" | ").append(Report.f0(num(r, "p50_us")))
            .append(" | ").append(Report.f0(num(r, "p99_us")))
            .append(" | ").append(Report.f0(num(r, "p999_us")))
            .append(" | ").append(Report.f0(num(r, "max_us")))
            .append(" | ").append((long) num(r, "errors"))
            .append(" | ").append((long) num(r, "requests"))
            .append(" | ").append(r.containsKey("proxy_cpu_s") ? Report.f2(num(r, "proxy_cpu_s")) : "n/a")
            .append(" | ").append(opt(r, "gen_cpu_total_s"))
            .append(" | ").append(opt(r, "providers_run_cpu_s"))
            .append(" | ").append(opt(r, "driver_run_cpu_s"))
            .append(" | ").append("storm".equals(r.get("mode")) ? count : "–")
            .append(" |\n");
      }
    }
    out.append("\n</details>\n");
    return bad;
  }

  /** Storm/steady per round (rounds having both), and their medians; null when there is none. */
  static Ratios ratios(List<Map<String, String>> leg) {
    Map<String, Map<String, String>> steady = new LinkedHashMap<>();
    Map<String, Map<String, String>> storm = new LinkedHashMap<>();
    for (Map<String, String> r : leg) {
      if (r.containsKey("failed")) {
        continue;
      }
      ("storm".equals(r.get("mode")) ? storm : steady).put(r.getOrDefault("round", "?"), r);
    }
    List<double[]> perRound = new ArrayList<>();
    List<Map<String, String>> pairs = new ArrayList<>();
    for (var e : steady.entrySet()) {
      Map<String, String> s = storm.get(e.getKey());
      if (s == null) {
        continue;
      }
      Map<String, String> b = e.getValue();
      Map<String, String> ratio = Map.of(
          "qps", Double.toString(num(s, "qps") / num(b, "qps")),
          "p50", Double.toString(num(s, "p50_us") / num(b, "p50_us")),
          "p99", Double.toString(num(s, "p99_us") / num(b, "p99_us")),
          "max", Double.toString(num(s, "max_us") / num(b, "max_us")));
      pairs.add(ratio);
      perRound.add(new double[] {parseRound(e.getKey()), num(ratio, "qps"), num(ratio, "p99")});
    }
    if (pairs.isEmpty()) {
      return null;
    }
    return new Ratios(med(pairs, "qps"), med(pairs, "p50"), med(pairs, "p99"), med(pairs, "max"),
        perRound);
  }

  /** The time of each POST /reload, per leg, the storms of the measured rounds only. */
  private static boolean renderReloads(List<Map<String, String>> reloads,
      List<Map<String, String>> storms, StringBuilder out) {
    boolean bad = false;
    Map<String, List<Map<String, String>>> byLeg = new LinkedHashMap<>();
    Map<String, String> firstProblem = new LinkedHashMap<>();
    for (Map<String, String> r : reloads) {
      String tag = r.getOrDefault("tag", "?");
      int colon = tag.indexOf(':');
      String leg = colon < 0 ? tag : tag.substring(0, colon);
      if (!"1".equals(r.get("ok"))) {
        bad = true;
        firstProblem.putIfAbsent(leg, tag + " #" + r.getOrDefault("seq", "?") + ": "
            + r.getOrDefault("problem", "?"));
      }
      if (tag.endsWith(":prime") || "check".equals(tag) || "use".equals(tag)) {
        continue;
      }
      byLeg.computeIfAbsent(leg, k -> new ArrayList<>()).add(r);
    }
    out.append("POST /reload during the storms (every reload of the measured rounds, warm-up"
        + " included; the rewrite of the file is not timed):\n\n");
    out.append("| leg | reloads | applied | started late | p50 ms | p90 ms | p99 ms | max ms"
        + " | mean ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (var e : byLeg.entrySet()) {
      double[] l = e.getValue().stream().mapToDouble(r -> num(r, "latency_ms")).sorted().toArray();
      long applied = e.getValue().stream().filter(r -> "1".equals(r.get("ok"))).count();
      long late = storms.stream().filter(s -> s.getOrDefault("storm", "").startsWith(e.getKey() + ":")
          && !s.get("storm").endsWith(":prime")).mapToLong(s -> (long) num(s, "late")).sum();
      out.append("| ").append(e.getKey())
          .append(" | ").append(l.length)
          .append(" | ").append(applied)
          .append(" | ").append(late)
          .append(" | ").append(Report.f1(ReloadStorm.percentile(l, 50)))
          .append(" | ").append(Report.f1(ReloadStorm.percentile(l, 90)))
          .append(" | ").append(Report.f1(ReloadStorm.percentile(l, 99)))
          .append(" | ").append(Report.f1(l.length == 0 ? 0 : l[l.length - 1]))
          .append(" | ").append(Report.f1(java.util.Arrays.stream(l).average().orElse(0)))
          .append(" |\n");
    }
    for (var e : firstProblem.entrySet()) {
      out.append("\n- ").append(e.getKey()).append(": a reload was not applied as expected: ")
          .append(e.getValue()).append('\n');
    }
    return bad;
  }

  /** Where a reload's dent is looked for, from the start of its POST; and the control's offset. */
  static final long DENT_FROM_MS = -10;
  static final long DENT_TO_MS = 150;
  static final long CONTROL_OFFSET_MS = 500;

  /**
   * One reload's dent in the closed loop's throughput, from the generator's 10 ms timeline: the
   * answers missing in the window [start - 10 ms, start + 150 ms) against the round's median
   * bucket, in milliseconds of that throughput (so 10 ms lost at one reload a second is 1 % of
   * QPS), and the largest latency answered in the window. {@code control} is the same window
   * {@value #CONTROL_OFFSET_MS} ms later, between two reloads: what noise alone gives.
   */
  record Dent(double lostMillis, double maxLatencyMillis, double controlLostMillis,
      double controlMaxLatencyMillis) {}

  /**
   * The dents of the reloads of one storm round; {@code timeline} its buckets (t_ms, epoch_ms,
   * answers, max_us), {@code reloads} its reloads (epoch_ms). Windows that do not fit in the
   * timeline are left out.
   */
  static List<Dent> dents(List<Map<String, String>> timeline, List<Map<String, String>> reloads) {
    List<Map<String, String>> buckets = timeline.size() > 1
        ? timeline.subList(0, timeline.size() - 1) : timeline; // the last one is partial
    List<Dent> dents = new ArrayList<>();
    if (buckets.isEmpty()) {
      return dents;
    }
    double base = Report.median(buckets, b -> num(b, "answers"));
    long first = (long) num(buckets.get(0), "epoch_ms");
    long bucketMs = buckets.size() > 1
        ? (long) (num(buckets.get(1), "epoch_ms") - first) : 10;
    for (Map<String, String> r : reloads) {
      long start = (long) num(r, "epoch_ms");
      double[] at = window(buckets, first, bucketMs, start, base);
      double[] control = window(buckets, first, bucketMs, start + CONTROL_OFFSET_MS, base);
      if (at != null && control != null) {
        dents.add(new Dent(at[0], at[1], control[0], control[1]));
      }
    }
    return dents;
  }

  /** {lost ms, max latency ms} in [t + DENT_FROM_MS, t + DENT_TO_MS), or null when outside. */
  private static double[] window(List<Map<String, String>> buckets, long first, long bucketMs,
      long t, double base) {
    int from = (int) Math.floorDiv(t + DENT_FROM_MS - first, bucketMs);
    int to = (int) Math.floorDiv(t + DENT_TO_MS - first, bucketMs);
    if (from < 0 || to > buckets.size() || base <= 0) {
      return null;
    }
    double answers = 0;
    double max = 0;
    for (int i = from; i < to; i++) {
      answers += num(buckets.get(i), "answers");
      max = Math.max(max, num(buckets.get(i), "max_us") / 1000);
    }
    return new double[] {(base * (to - from) - answers) / base * bucketMs, max};
  }

  /** Per leg: the reloads' dents against the control windows. */
  static void renderDents(Path dir, List<Map<String, String>> reloads, StringBuilder out)
      throws IOException {
    Map<String, List<Dent>> byLeg = new LinkedHashMap<>();
    List<Path> files;
    try (var list = Files.list(dir)) {
      files = list.filter(p -> p.getFileName().toString().endsWith("-storm.jsonl")).sorted().toList();
    }
    for (Path f : files) {
      String name = f.getFileName().toString();
      String[] parts = name.substring(0, name.length() - "-storm.jsonl".length()).split("-");
      if (parts.length != 2) {
        continue;
      }
      String tag = parts[0] + ":" + parts[1];
      List<Map<String, String>> mine = reloads.stream()
          .filter(r -> tag.equals(r.get("tag"))).toList();
      byLeg.computeIfAbsent(parts[0], k -> new ArrayList<>())
          .addAll(dents(Report.read(f), mine));
    }
    if (byLeg.isEmpty()) {
      return;
    }
    out.append("\nEach reload's dent in the throughput (generator timeline, 10 ms buckets):"
        + " answers missing from " + DENT_FROM_MS + " to +" + DENT_TO_MS + " ms around the start"
        + " of each POST, against the round's median bucket, in ms of that throughput (at one"
        + " reload a second, 10 ms is 1 % of QPS); the control is the same window "
        + CONTROL_OFFSET_MS + " ms later, between reloads.\n\n");
    out.append("| leg | reloads | lost ms per reload: median | mean | p90 | control: median | mean"
        + " | max latency in window ms: median | p90 | control: median | p90 |\n");
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (var e : byLeg.entrySet()) {
      List<Dent> d = e.getValue();
      if (d.isEmpty()) {
        continue;
      }
      double[] lost = d.stream().mapToDouble(Dent::lostMillis).sorted().toArray();
      double[] ctl = d.stream().mapToDouble(Dent::controlLostMillis).sorted().toArray();
      double[] max = d.stream().mapToDouble(Dent::maxLatencyMillis).sorted().toArray();
      double[] cmax = d.stream().mapToDouble(Dent::controlMaxLatencyMillis).sorted().toArray();
      out.append("| ").append(e.getKey())
          .append(" | ").append(d.size())
          .append(" | ").append(Report.f1(ReloadStorm.percentile(lost, 50)))
          .append(" | ").append(Report.f1(java.util.Arrays.stream(lost).average().orElse(0)))
          .append(" | ").append(Report.f1(ReloadStorm.percentile(lost, 90)))
          .append(" | ").append(Report.f1(ReloadStorm.percentile(ctl, 50)))
          .append(" | ").append(Report.f1(java.util.Arrays.stream(ctl).average().orElse(0)))
          .append(" | ").append(Report.f1(ReloadStorm.percentile(max, 50)))
          .append(" | ").append(Report.f1(ReloadStorm.percentile(max, 90)))
          .append(" | ").append(Report.f1(ReloadStorm.percentile(cmax, 50)))
          .append(" | ").append(Report.f1(ReloadStorm.percentile(cmax, 90)))
          .append(" |\n");
    }
  }

  private static double med(List<Map<String, String>> rows, String key) {
    ToDoubleFunction<Map<String, String>> f = r -> num(r, key);
    return Report.median(rows, f);
  }

  private static double parseRound(String s) {
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static double num(Map<String, String> r, String key) {
    String v = r.get(key);
    return v == null ? 0 : Double.parseDouble(v);
  }

  private static String opt(Map<String, String> r, String key) {
    return r.containsKey(key) ? Report.f2(num(r, key)) : "n/a";
  }



}
