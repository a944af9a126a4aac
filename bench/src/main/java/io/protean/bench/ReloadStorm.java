package io.protean.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Drives a reload storm against a running Protean: at a fixed rate it rewrites the configuration
 * file the proxy was started with, alternating between two variants (and, when the build swaps
 * modules, a Wasm module file between two module variants), POSTs {@code /reload} on the admin
 * endpoint, times the POST and checks the answer is {@code applied} with the next version.
 *
 * <p>One long-lived process per proxy, so that rounds with and without a storm see the same
 * processes on the machine; it is steered by lines on its standard input:
 *
 * <ul>
 *   <li>{@code check-module}: only the module file changes (to its other variant), then one
 *       {@code POST /reload}; prints {@code {"check":"module","result":R,"version":N}}. When
 *       {@code R} is {@code applied} the module is part of every later reload; when it is
 *       {@code unchanged} the build does not swap modules, the running module file is put back and
 *       later reloads change the configuration only.
 *   <li>{@code start TAG}: starts reloading, one reload per {@code --interval-ms}.
 *   <li>{@code stop}: stops (the reload under way finishes) and prints the storm's summary as one
 *       JSON line.
 *   <li>{@code use N}: makes variant N (0 or 1) the running one, with one reload if needed (not
 *       part of any storm), for a round without reloads; prints one JSON line.
 *   <li>{@code quit}, or the end of standard input: exits.
 * </ul>
 *
 * <p>Every reload is also written to {@code --log} as a JSON line (tag, sequence, latency,
 * result, version). Exit code 1 when any reload was not applied as expected.
 */
@Command(name = "reload-storm", mixinStandardHelpOptions = true,
    description = "Rewrites a Protean configuration file and POSTs /reload at a fixed rate.")
public final class ReloadStorm implements Callable<Integer> {
  private static final Pattern RESULT = Pattern.compile("\"result\"\\s*:\\s*\"(\\w+)\"");
  private static final Pattern VERSION = Pattern.compile("\"version\"\\s*:\\s*(\\d+)");
  private static final Pattern REASON = Pattern.compile("\"reason\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

  @Option(names = "--admin", required = true,
      description = "host:port of the proxy's admin endpoint (loopback only)")
  String admin;

  @Option(names = "--config", required = true,
      description = "the configuration file the proxy was started with (rewritten)")
  Path config;

  @Option(names = "--variant", required = true,
      description = "a configuration variant (give two; the first must be what runs now)")
  List<Path> variants;

  @Option(names = "--module", description = "a Wasm module file the configuration names (rewritten)")
  Path module;

  @Option(names = "--module-variant",
      description = "a variant of the module file (give two with --module; the first runs now)")
  List<Path> moduleVariants = new ArrayList<>();

  @Option(names = "--interval-ms", defaultValue = "1000",
      description = "time between the starts of two reloads (default 1000)")
  long intervalMillis;

  @Option(names = "--log", description = "append one JSON line per reload to this file")
  Path log;

  /** What each tick of a storm does; the last two are controls, to take a reload's cost apart. */
  enum Kind {
    /** Rewrite the file to the other variant, POST /reload, expect applied (the storm). */
    applied,
    /** Leave the file, POST /reload, expect unchanged: read, parse and build, no swap. */
    unchanged,
    /** GET /ready: only the admin endpoint's HTTP exchange and this driver's own work. */
    ready
  }

  @Option(names = "--kind", defaultValue = "applied",
      description = "applied (default), unchanged or ready: see Kind")
  Kind kind = Kind.applied;

  private InetSocketAddress adminAddress;
  private byte[][] configBytes;
  private byte[][] moduleBytes;
  /** Which variant the file holds (and, after an applied reload, the proxy runs). */
  private int configIndex;
  private int moduleIndex;
  private boolean swapModule;
  private long version = -1;
  private Writer logWriter;

  private volatile boolean storming;
  private Thread stormThread;
  private Storm storm;

  /** One reload: when it started (ms since the storm began), how long the POST took, the answer. */
  public record Reload(String tag, int seq, double atMillis, long epochMillis, double latencyMillis,
      int status, String result, long version, boolean ok, String problem) {

    String toJson() {
      StringBuilder sb = new StringBuilder("{");
      sb.append("\"tag\":\"").append(tag).append('"');
      sb.append(",\"seq\":").append(seq);
      sb.append(",\"at_ms\":").append(fmt(atMillis));
      sb.append(",\"epoch_ms\":").append(epochMillis);
      sb.append(",\"latency_ms\":").append(fmt(latencyMillis));
      sb.append(",\"status\":").append(status);
      sb.append(",\"result\":\"").append(result).append('"');
      sb.append(",\"version\":").append(version);
      sb.append(",\"ok\":").append(ok ? 1 : 0);
      if (problem != null) {
        sb.append(",\"problem\":\"").append(jsonEscape(problem)).append('"');
      }
      return sb.append('}').toString();
    }
  }

  /** The reloads of one {@code start} ... {@code stop}. */
  public static final class Storm {
    final String tag;
    final List<Reload> reloads = new ArrayList<>();
    int late;

    Storm(String tag) {
      this.tag = tag;
    }

    public List<Reload> reloads() {
      return reloads;
    }

    public long notApplied() {
      return reloads.stream().filter(r -> !r.ok()).count();
    }

    /** Reloads that started later than their slot because the previous one was still running. */
    public int late() {
      return late;
    }

    public String toJson() {
      double[] l = reloads.stream().mapToDouble(Reload::latencyMillis).sorted().toArray();
      StringBuilder sb = new StringBuilder("{\"storm\":\"").append(tag).append('"');
      sb.append(",\"reloads\":").append(reloads.size());
      sb.append(",\"applied\":").append(reloads.size() - notApplied());
      sb.append(",\"not_applied\":").append(notApplied());
      sb.append(",\"late\":").append(late);
      sb.append(",\"reload_p50_ms\":").append(fmt(percentile(l, 50)));
      sb.append(",\"reload_max_ms\":").append(fmt(l.length == 0 ? 0 : l[l.length - 1]));
      sb.append(",\"reload_mean_ms\":").append(fmt(Arrays.stream(l).average().orElse(0)));
      reloads.stream().filter(r -> !r.ok()).findFirst().ifPresent(r ->
          sb.append(",\"first_problem\":\"").append(jsonEscape(r.problem())).append('"'));
      return sb.append('}').toString();
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new ReloadStorm()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    init();
    boolean bad = false;
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = System.out;
    for (String line; (line = in.readLine()) != null; ) {
      String[] cmd = line.trim().split("\\s+", 2);
      switch (cmd[0]) {
        case "" -> { }
        case "check-module" -> out.println(checkModule());
        case "use" -> {
          String answer = use(Integer.parseInt(cmd.length > 1 ? cmd[1] : "0"));
          bad |= answer.contains("\"problem\"");
          out.println(answer);
        }
        case "start" -> start(cmd.length > 1 ? cmd[1] : "storm");
        case "stop" -> {
          Storm s = stop();
          bad |= s.notApplied() > 0;
          out.println(s.toJson());
        }
        case "quit" -> {
          return finish(bad);
        }
        default -> System.err.println("reload-storm: unknown command '" + line + "'");
      }
      out.flush();
    }
    return finish(bad);
  }

  private int finish(boolean bad) throws IOException, InterruptedException {
    if (storming) {
      bad |= stop().notApplied() > 0;
    }
    if (logWriter != null) {
      logWriter.close();
    }
    return bad ? 1 : 0;
  }

  /** Reads the variants; checks the admin endpoint is on loopback and the files are as expected. */
  void init() throws IOException {
    adminAddress = HostPortCheck.loopback(admin);
    if (variants.size() != 2) {
      throw new IllegalArgumentException("--variant: give exactly two, found " + variants.size());
    }
    configBytes = new byte[][] {Files.readAllBytes(variants.get(0)), Files.readAllBytes(variants.get(1))};
    if (Arrays.equals(configBytes[0], configBytes[1])) {
      throw new IllegalArgumentException("--variant: the two variants are identical: a reload would be 'unchanged'");
    }
    if (module != null) {
      if (moduleVariants.size() != 2) {
        throw new IllegalArgumentException("--module-variant: give exactly two with --module, found "
            + moduleVariants.size());
      }
      moduleBytes = new byte[][] {Files.readAllBytes(moduleVariants.get(0)),
          Files.readAllBytes(moduleVariants.get(1))};
      if (Arrays.equals(moduleBytes[0], moduleBytes[1])) {
        throw new IllegalArgumentException("--module-variant: the two module variants are identical");
      }
      replace(module, moduleBytes[0]);
    }
    replace(config, configBytes[0]);
    if (log != null) {
      logWriter = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
  }

  /**
   * Changes only the module file, reloads once and answers what the proxy said: {@code applied}
   * means the build swaps modules (then every later reload swaps it too), {@code unchanged} means
   * it does not (the module file is put back).
   */
  String checkModule() throws IOException {
    if (module == null) {
      return "{\"check\":\"module\",\"result\":\"none\",\"problem\":\"no --module given\"}";
    }
    moduleIndex = 1 - moduleIndex;
    replace(module, moduleBytes[moduleIndex]);
    Reload r = post("check", 0, System.nanoTime());
    String answer;
    if ("applied".equals(r.result())) {
      swapModule = true;
      version = r.version();
      answer = r.result();
    } else {
      moduleIndex = 1 - moduleIndex;
      replace(module, moduleBytes[moduleIndex]);
      answer = r.result();
    }
    // Either answer is a valid finding; anything else (refused, an error) is a problem.
    write(new Reload(r.tag(), r.seq(), r.atMillis(), r.epochMillis(), r.latencyMillis(),
        r.status(), r.result(), r.version(), "applied".equals(answer) || "unchanged".equals(answer),
        r.problem()));
    return "{\"check\":\"module\",\"result\":\"" + answer + "\",\"version\":" + r.version()
        + ",\"latency_ms\":" + fmt(r.latencyMillis()) + "}";
  }

  /** Starts reloading at a fixed rate on a thread of its own. */
  synchronized void start(String tag) {
    if (storming) {
      throw new IllegalStateException("a storm is already running");
    }
    storm = new Storm(tag);
    storming = true;
    Storm s = storm;
    stormThread = new Thread(() -> run(s), "reload-storm");
    stormThread.start();
  }

  /** Stops; the first variant runs again afterwards. */
  synchronized Storm stop() throws IOException, InterruptedException {
    if (!storming) {
      return new Storm("none");
    }
    storming = false;
    // Never interrupt a reload under way (the proxy may apply it after we gave up waiting, and the
    // file and the running version would disagree): wake the thread from its sleep only.
    LockSupport.unpark(stormThread);
    stormThread.join();
    return storm;
  }

  /**
   * Makes variant {@code index} (0 or 1) the running one, with one reload if it is not (for a
   * round without reloads that must run a given variant); answers one JSON line.
   */
  synchronized String use(int index) throws IOException {
    if (storming) {
      throw new IllegalStateException("a storm is running");
    }
    if (index != 0 && index != 1) {
      throw new IllegalArgumentException("use: 0 or 1, found " + index);
    }
    if (configIndex == index) {
      return "{\"use\":" + index + ",\"result\":\"running\"}";
    }
    Reload r = reload("use", 0, System.nanoTime());
    return "{\"use\":" + index + ",\"result\":\"" + r.result() + "\",\"version\":" + r.version()
        + (r.ok() ? "" : ",\"problem\":\"" + jsonEscape(r.problem()) + "\"") + "}";
  }

  /** The variant the file holds and, after an applied reload, the proxy runs. */
  int running() {
    return configIndex;
  }

  private void run(Storm s) {
    long start = System.nanoTime();
    long interval = intervalMillis * 1_000_000L;
    long next = start;
    for (int seq = 1; storming; seq++) {
      long now = System.nanoTime();
      if (now - next > interval / 10) {
        s.late++;
        next = now;
      }
      try {
        s.reloads.add(reload(s.tag, seq, start));
      } catch (IOException e) {
        s.reloads.add(new Reload(s.tag, seq, (now - start) / 1e6, System.currentTimeMillis(), 0, 0,
            "error", version, false, e.toString()));
      }
      next += interval;
      for (long sleep; storming && (sleep = next - System.nanoTime()) > 0; ) {
        LockSupport.parkNanos(sleep);
      }
    }
  }

  /** Writes the other variant(s), POSTs /reload, checks it was applied as the next version. */
  Reload reload(String tag, int seq, long stormStart) throws IOException {
    if (kind != Kind.applied && !"use".equals(tag)) {
      Reload r = control(tag, seq, stormStart);
      write(r);
      return r;
    }
    int nextConfig = 1 - configIndex;
    int nextModule = swapModule ? 1 - moduleIndex : moduleIndex;
    if (nextModule != moduleIndex) {
      replace(module, moduleBytes[nextModule]);
    }
    replace(config, configBytes[nextConfig]);
    Reload r = post(tag, seq, stormStart);
    if ("applied".equals(r.result())) {
      configIndex = nextConfig;
      moduleIndex = nextModule;
    }
    write(r);
    return r;
  }

  private Reload post(String tag, int seq, long stormStart) throws IOException {
    long wall = System.currentTimeMillis();
    long t0 = System.nanoTime();
    Answer resp = post(adminAddress, "/reload");
    long t1 = System.nanoTime();
    String body = resp.body();
    String result = group(RESULT, body, "?");
    long v = Long.parseLong(group(VERSION, body, "-1"));
    String problem = null;
    if (!"applied".equals(result)) {
      problem = "answered " + result + (REASON.matcher(body).find() ? ": "
          + group(REASON, body, "") : "") + " (HTTP " + resp.status() + ")";
    } else if (version >= 0 && v != version + 1) {
      problem = "applied version " + v + ", expected " + (version + 1);
    }
    if ("applied".equals(result)) {
      version = v;
    }
    return new Reload(tag, seq, (t0 - stormStart) / 1e6, wall, (t1 - t0) / 1e6, resp.status(),
        result, v, problem == null, problem);
  }

  /** A tick of a control storm ({@link Kind#unchanged}, {@link Kind#ready}). */
  private Reload control(String tag, int seq, long stormStart) throws IOException {
    long wall = System.currentTimeMillis();
    long t0 = System.nanoTime();
    Answer resp = kind == Kind.ready ? get(adminAddress, "/ready") : post(adminAddress, "/reload");
    long t1 = System.nanoTime();
    String result = kind == Kind.ready ? (resp.status() == 200 ? "ready" : "not-ready")
        : group(RESULT, resp.body(), "?");
    String expected = kind == Kind.ready ? "ready" : "unchanged";
    return new Reload(tag, seq, (t0 - stormStart) / 1e6, wall, (t1 - t0) / 1e6, resp.status(),
        result, version, expected.equals(result),
        expected.equals(result) ? null : "answered " + result + ", expected " + expected);
  }

  /** An HTTP answer: status code and body. */
  record Answer(int status, String body) {}

  /**
   * {@code POST path} with HTTP/1.1 on a fresh blocking socket, closed after the answer. One
   * thread and two syscalls' worth of work: the load CPU this runs on is saturated by the
   * generator and the providers, and a client that hands the exchange between threads (as
   * java.net.http does) both costs that CPU more and adds its scheduling delays to the time
   * measured.
   */
  static Answer post(InetSocketAddress address, String path) throws IOException {
    return exchange(address, "POST", path);
  }

  static Answer get(InetSocketAddress address, String path) throws IOException {
    return exchange(address, "GET", path);
  }

  private static Answer exchange(InetSocketAddress address, String method, String path)
      throws IOException {
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(30_000);
      socket.connect(address, 5_000);
      OutputStream out = socket.getOutputStream();
      out.write((method + " " + path + " HTTP/1.1\r\nHost: " + address.getHostString() + ":"
          + address.getPort() + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] all = socket.getInputStream().readAllBytes();
      String text = new String(all, StandardCharsets.UTF_8);
      int headerEnd = text.indexOf("\r\n\r\n");
      if (!text.startsWith("HTTP/1.") || headerEnd < 0 || text.length() < 12) {
        throw new IOException("not an HTTP answer from " + address + ": "
            + text.substring(0, Math.min(80, text.length())));
      }
      int status = Integer.parseInt(text.substring(9, 12));
      return new Answer(status, text.substring(headerEnd + 4));
    }
  }

  private void write(Reload r) throws IOException {
    if (logWriter != null) {
      logWriter.write(r.toJson());
      logWriter.write('\n');
      logWriter.flush();
    }
  }

  /** Replaces {@code file} with {@code bytes} in one rename, so the proxy never reads half a file. */
  static void replace(Path file, byte[] bytes) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".next");
    Files.write(tmp, bytes);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static String group(Pattern p, String s, String otherwise) {
    Matcher m = p.matcher(s);
    return m.find() ? m.group(1) : otherwise;
  }

  static double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }

  private static String jsonEscape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ");
  }

  /** The admin endpoint must be a loopback address, as every target of the harness. */
  static final class HostPortCheck {
    private HostPortCheck() {}

    static InetSocketAddress loopback(String hostPort) throws IOException {
      int colon = hostPort.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("--admin: expected host:port, found " + hostPort);
      }
      String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
      InetAddress a = InetAddress.getByName(host);
      if (!a.isLoopbackAddress()) {
        throw new IllegalArgumentException("--admin: " + hostPort + " is not a loopback address");
      }
      return new InetSocketAddress(a, Integer.parseInt(hostPort.substring(colon + 1)));
    }
  }
}
