package io.protean.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the measurements of {@code bench/run.sh} (one flat JSON object a line: the generator's
 * {@code --json} line plus the leg, the round and the proxy's RSS; the generator's line carries the proxy's and the server's CPU) into a
 * Markdown table: per leg the median over rounds, then the Protean ratios, then every round.
 *
 * <p>Usage: {@code Report RESULTS.jsonl}. Exit code 1 when any measurement had errors or failed.
 */
public final class Report {
  private static final Pattern FIELD =
      Pattern.compile("\"(\\w+)\":(\"([^\"]*)\"|-?[0-9][0-9.eE+-]*)");

  private Report() {}

  static Map<String, String> parse(String line) {
    Map<String, String> m = new HashMap<>();
    Matcher matcher = FIELD.matcher(line);
    while (matcher.find()) {
      m.putIfAbsent(matcher.group(1), matcher.group(3) != null ? matcher.group(3)
          : matcher.group(2));
    }
    return m;
  }

  /** The measurements of a JSON-lines file. */
  static List<Map<String, String>> read(Path file) throws IOException {
    List<Map<String, String>> rows = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (!line.isBlank()) {
        rows.add(parse(line));
      }
    }
    return rows;
  }

  public static void main(String[] args) throws IOException {
    StringBuilder out = new StringBuilder();
    boolean bad = render(read(Path.of(args[0])), out);
    System.out.print(out);
    System.exit(bad ? 1 : 0);
  }

  /** Appends the report; returns whether any measurement had errors or failed. */
  static boolean render(List<Map<String, String>> all, StringBuilder out) {
    Map<String, List<Map<String, String>>> byLeg = new LinkedHashMap<>();
    boolean bad = false;
    List<Map<String, String>> rows = new ArrayList<>();
    List<Map<String, String>> sweep = new ArrayList<>();
    for (Map<String, String> r : all) {
      bad |= failed(r) || num(r, "errors") != 0;
      (r.containsKey("sweep") ? sweep : rows).add(r);
    }
    for (Map<String, String> r : rows) {
      byLeg.computeIfAbsent(r.getOrDefault("leg", "?"), k -> new ArrayList<>()).add(r);
    }
    out.append("| target | QPS (median) | p50 µs | p99 µs | p99.9 µs | max µs | errors"
        + " | proxy CPU s / 100k req | proxy RSS MiB | server CPU s / 100k req"
        + " | generator CPU (cores) | rounds |\n");
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    Map<String, double[]> summary = new HashMap<>();
    for (var e : byLeg.entrySet()) {
      List<Map<String, String>> ok = e.getValue().stream().filter(r -> !failed(r)).toList();
      long errors = e.getValue().stream().mapToLong(r -> (long) num(r, "errors")).sum();
      long failedRuns = e.getValue().size() - ok.size();
      if (ok.isEmpty()) {
        out.append("| ").append(e.getKey()).append(" | FAILED |  |  |  |  | ")
            .append(errors).append(" |  |  |  |  | ").append(e.getValue().size()).append(" |\n");
        continue;
      }
      double qps = median(ok, r -> num(r, "qps"));
      double p99 = median(ok, r -> num(r, "p99_us"));
      double cpu = ok.get(0).containsKey("proxy_cpu_s")
          ? median(ok, r -> num(r, "proxy_cpu_s") / Math.max(1, num(r, "requests"))) : Double.NaN;
      summary.put(e.getKey(), new double[] {qps, p99, cpu});
      out.append("| ").append(e.getKey())
          .append(" | ").append(f0(qps))
          .append(" | ").append(f0(median(ok, r -> num(r, "p50_us"))))
          .append(" | ").append(f0(p99))
          .append(" | ").append(f0(median(ok, r -> num(r, "p999_us"))))
          .append(" | ").append(f0(median(ok, r -> num(r, "max_us"))))
          .append(" | ").append(errors).append(failedRuns > 0 ? " (+" + failedRuns
              + " failed runs)" : "")
          .append(" | ").append(perHundredK(ok, "proxy_cpu_s"))
          .append(" | ").append(ok.get(0).containsKey("proxy_rss_kb")
              ? f1(ok.stream().mapToDouble(r -> num(r, "proxy_rss_kb")).max().orElse(0) / 1024)
              : "n/a")
          .append(" | ").append(perHundredK(ok, "server_cpu_s"))
          .append(" | ").append(f2(median(ok, r -> num(r, "gen_cpu_s") / num(r, "duration_s"))))
          .append(" | ").append(e.getValue().size())
          .append(" |\n");
    }
    out.append('\n');
    List<String> proteans = byLeg.keySet().stream().filter(l -> l.startsWith("protean")
        && summary.containsKey(l)).toList();
    if (proteans.isEmpty()) {
      out.append("Protean: not measured, so no ratios.\n");
    }
    for (String leg : proteans) {
      double[] p = summary.get(leg);
      for (String base : List.of("haproxy", "nginx", "direct", "protean")) {
        double[] b = summary.get(base);
        if (b != null && !base.equals(leg)) {
          out.append(String.format(Locale.ROOT, "- %s / %s: QPS %.2f×, p99 %.2f×%s%n",
              leg, base, p[0] / b[0], p[1] / b[1], Double.isNaN(p[2] / b[2]) ? ""
                  : String.format(Locale.ROOT, ", proxy CPU per request %.2f×", p[2] / b[2])));
        }
      }
    }
    out.append("\n<details><summary>Every measurement</summary>\n\n");
    out.append("| round | target | QPS | p50 µs | p99 µs | p99.9 µs | errors | requests"
        + " | proxy CPU s | server CPU s | generator CPU s |\n");
    out.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Map<String, String> r : rows) {
      out.append("| ").append(r.getOrDefault("round", "?"))
          .append(" | ").append(r.getOrDefault("leg", "?"));
      if (failed(r)) {
        out.append(" | FAILED: ").append(r.getOrDefault("reason", "?"))
            .append(" |  |  |  |  |  |  |  |  |\n");
        continue;
      }
      out.append(" | ").append(f0(num(r, "qps")))
          .append(" | ").append(f0(num(r, "p50_us")))
          .append(" | ").append(f0(num(r, "p99_us")))
          .append(" | ").append(f0(num(r, "p999_us")))
          .append(" | ").append((long) num(r, "errors"))
          .append(" | ").append((long) num(r, "requests"))
          .append(" | ").append(r.containsKey("proxy_cpu_s") ? f2(num(r, "proxy_cpu_s")) : "n/a")
          .append(" | ").append(r.containsKey("server_cpu_s")
              ? f2(num(r, "server_cpu_s")) : "n/a")
          .append(" | ").append(f2(num(r, "gen_cpu_s")))
          .append(" |\n");
    }
    out.append("\n</details>\n");
    if (!sweep.isEmpty()) {
      renderSweep(sweep, out);
    }
    return bad;
  }

  /** The load sweep behind the latency-vs-load chart: one measurement per target and level. */
  private static void renderSweep(List<Map<String, String>> sweep, StringBuilder out) {
    out.append("\n### Load sweep\n\n| target | in flight per connection | QPS | p50 µs | p99 µs"
        + " | errors | proxy CPU s / 100k req |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for (Map<String, String> r : sweep) {
      out.append("| ").append(r.getOrDefault("leg", "?"))
          .append(" | ").append(r.getOrDefault("inflight", "?"));
      if (failed(r)) {
        out.append(" | FAILED: ").append(r.getOrDefault("reason", "?")).append(" |  |  |  |  |\n");
        continue;
      }
      out.append(" | ").append(f0(num(r, "qps")))
          .append(" | ").append(f0(num(r, "p50_us")))
          .append(" | ").append(f0(num(r, "p99_us")))
          .append(" | ").append((long) num(r, "errors"))
          .append(" | ").append(perHundredK(List.of(r), "proxy_cpu_s"))
          .append(" |\n");
    }
  }

  /** Median over rounds of a process's CPU seconds per 100k requests of the window, or n/a. */
  private static String perHundredK(List<Map<String, String>> ok, String key) {
    if (!ok.get(0).containsKey(key)) {
      return "n/a";
    }
    return f2(median(ok, r -> num(r, key) / Math.max(1, num(r, "requests")) * 100_000));
  }

  private static boolean failed(Map<String, String> r) {
    return r.containsKey("failed");
  }

  private static double num(Map<String, String> r, String key) {
    String v = r.get(key);
    return v == null ? 0 : Double.parseDouble(v);
  }

  static double median(List<Map<String, String>> rows, ToDoubleFunction<Map<String, String>> f) {
    double[] v = rows.stream().mapToDouble(f).sorted().toArray();
    if (v.length == 0) {
      return 0;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  static String f0(double v) {
    return String.format(Locale.ROOT, "%.0f", v);
  }

  static String f1(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static String f2(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }
}
