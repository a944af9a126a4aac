package io.protean.demo;

import io.protean.demo.peers.DemoService;
import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.cli.Main;
import io.protean.proxy.server.Proxy;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * {@code protean demo}: two real Dubbo providers (versions 1.0.0 and 2.0.0) behind two clusters,
 * the proxy routing by service version, and real Dubbo consumers calling through it: once through
 * a listener with the native Dubbo codec, once through one with the Rust Dubbo codec compiled to
 * Wasm and a proxy-wasm filter (built with the official Rust SDK) in its chain; then the
 * configuration file is changed and reloaded while a consumer keeps calling.
 *
 * <p>The demo runs in phases, one method each ({@link #nativeCodec()}, ...), against one running
 * proxy; a phase makes its calls through {@link #call}, each with what it should do
 * ({@link Expected}). The exit code is 0 only when every call did: a newcomer (or a script) can
 * trust a demo that ends with 0.
 */
public final class Demo {
  /** The Wasm modules the demo's jar carries (see demo/app/pom.xml). */
  private static final String[] WASM_MODULES = {"dubbo.wasm", "deny_method_filter.wasm"};
  /** The configuration file, written beside the modules (the live-reload phase rewrites it). */
  private static final String CONFIG_FILE = "protean-demo.yaml";

  private final PrintStream out;
  private final DubboProvider v1;
  private final DubboProvider v2;
  /** Consumers by "port/version": a Dubbo consumer takes a while to start, so each is made once. */
  private final Map<String, DubboConsumer> consumers = new LinkedHashMap<>();
  private final int nativePort;
  private final int wasmPort;
  private final int adminPort;
  private int calls;
  /** One line per call that did not go as expected. */
  private final List<String> unexpected = new ArrayList<>();
  /** Where the Wasm modules were extracted to, while {@link #run()} runs. */
  private Path wasmDir;
  private Proxy proxy;
  /** The file the proxy runs from (rewritten by the live-reload phase). */
  private Path configFile;

  /**
   * A demo in front of {@code v1} and {@code v2} (the providers of versions 1.0.0 and 2.0.0),
   * printing to {@code out}. It starts no provider itself: tests hand it one that cannot be reached.
   */
  Demo(PrintStream out, DubboProvider v1, DubboProvider v2) throws IOException {
    this.out = out;
    this.v1 = v1;
    this.v2 = v2;
    this.nativePort = freePort();
    this.wasmPort = freePort();
    this.adminPort = freePort();
  }

  /** {@code protean demo} (the launcher runs this jar for it). */
  public static void main(String[] args) throws Exception {
    if (args.length > 0) {
      boolean help = args[0].equals("-h") || args[0].equals("--help");
      (help ? System.out : System.err).println("Usage: protean demo\n"
          + "Real Dubbo providers and consumers through the proxy, via its native Dubbo codec and"
          + " via the Rust Dubbo codec in Wasm with a proxy-wasm filter.\n"
          + "Exit code: 0 if every call went as shown, 1 if one did not, 2 on an error.");
      System.exit(help ? 0 : 2);
    }
    Main.productionDefaults();
    // Keep the demo's output about routing: Dubbo's own start-up chatter goes to warnings only,
    // and its complaint about the IPv4-mapped loopback host it needs here is silenced.
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.dubbo", "off");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("dubbo.application.logger", "slf4j");
    defaultProperty("dubbo.application.qos-enable", "false");
    defaultProperty("dubbo.service.shutdown.wait", "0");
    int code;
    try {
      code = run(System.out);
    } catch (Exception e) {
      e.printStackTrace();
      code = 2;
    }
    // Explicitly: Dubbo leaves non-daemon threads behind.
    System.exit(code);
  }

  /**
   * Starts the two providers, runs the demo in front of them and returns the exit code: 0 when
   * every call went as expected, 1 when one did not.
   */
  public static int run(PrintStream out) throws Exception {
    int v1Port = freePort();
    int v2Port = freePort();
    try (DubboProvider v1 = new DubboProvider("provider-v1@127.0.0.1:" + v1Port, v1Port, "1.0.0", null);
        DubboProvider v2 = new DubboProvider("provider-v2@127.0.0.1:" + v2Port, v2Port, "2.0.0", null)) {
      return new Demo(out, v1, v2).run();
    }
  }

  /** Starts the proxy, runs every phase, stops the proxy and the consumers; the exit code. */
  int run() throws Exception {
    wasmDir = extractWasmModules();
    try {
      String yaml = configuration();
      out.println("== Protean demo: configuration ==");
      out.println(yaml);
      configFile = wasmDir.resolve(CONFIG_FILE);
      configFile.toFile().deleteOnExit();
      Files.writeString(configFile, yaml);
      try (Proxy started = Proxy.start(configFile)) {
        proxy = started;
        nativeCodec();
        wasmCodecAndFilter();
        liveReload(yaml);
        stats();
      } finally {
        consumers.values().forEach(DubboConsumer::close);
        consumers.clear();
      }
    } finally {
      deleteWasmModules(wasmDir);
    }
    return verdict();
  }

  /** Phase: routing by service version, through the native Dubbo codec. */
  private void nativeCodec() {
    out.println("== Native Dubbo codec: listener dubbo_native at 127.0.0.1:" + nativePort + " ==");
    versionCalls(nativePort);
  }

  /**
   * Phase: the same calls through the Rust Dubbo codec in Wasm; its routes need the attachment the
   * proxy-wasm filter adds, so each answer shows the filter ran; a call the filter denies.
   */
  private void wasmCodecAndFilter() {
    out.println("== Rust Dubbo codec (Wasm) + proxy-wasm filter: listener dubbo_wasm at 127.0.0.1:"
        + wasmPort + " ==");
    versionCalls(wasmPort);
    call("slow(10)         version 1.0.0", wasmPort, "1.0.0", s -> s.slow(10),
        Expected.refusedWith("method slow is denied"));
  }

  /** Versions 1.0.0 and 2.0.0 go to their providers; 3.0.0 has no route. */
  private void versionCalls(int port) {
    for (int i = 1; i <= 3; i++) {
      String alice = "alice-" + i;
      String bob = "bob-" + i;
      call("greet(\"" + alice + "\") version 1.0.0", port, "1.0.0", s -> s.greet(alice),
          Expected.answeredBy(v1.name()));
      call("greet(\"" + bob + "\")   version 2.0.0", port, "2.0.0", s -> s.greet(bob),
          Expected.answeredBy(v2.name()));
    }
    call("greet(\"carol\")   version 3.0.0", port, "3.0.0", s -> s.greet("carol"),
        Expected.refusedWith("protean: no route matches"));
  }

  /**
   * Phase: the configuration changes under traffic. A canary provider of version 1.0.0 starts; a
   * consumer keeps calling while the file is rewritten — a cluster for the canary added and the
   * v1 route flipped to it, then back — and {@code POST /reload} applies it: the answers move,
   * and not one call fails.
   */
  private void liveReload(String yaml) throws Exception {
    int canaryPort = freePort();
    try (DubboProvider canary = new DubboProvider("provider-v1-canary@127.0.0.1:" + canaryPort,
        canaryPort, "1.0.0", null)) {
      out.println("== Live reload: the route of version 1.0.0 flipped to a canary and back, while a"
          + " consumer keeps calling ==");
      DemoService service = consumers.computeIfAbsent(nativePort + "/1.0.0",
          k -> new DubboConsumer(nativePort, "1.0.0", null, 5000)).service();
      AtomicBoolean calling = new AtomicBoolean(true);
      AtomicInteger background = new AtomicInteger();
      List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      Thread caller = new Thread(() -> {
        while (calling.get()) {
          try {
            service.greet("dave");
            background.incrementAndGet();
          } catch (RuntimeException e) {
            failures.add(describe(e));
          }
        }
      }, "demo-caller");
      caller.start();
      try {
        // dubbo_native's v1 route is the first "cluster: provider_v1" of the file.
        String flipped = yaml.replaceFirst("cluster: provider_v1\n", "cluster: canary\n")
            + "  - name: canary\n    codec: dubbo\n    endpoints: [\"127.0.0.1:" + canaryPort + "\"]\n";
        reload(flipped, "cluster canary added, v1 route -> canary");
        call("greet(\"erin\")    version 1.0.0", nativePort, "1.0.0", s -> s.greet("erin"),
            Expected.answeredBy(canary.name()));
        reload(yaml, "v1 route -> provider_v1 again, canary removed");
        call("greet(\"frank\")   version 1.0.0", nativePort, "1.0.0", s -> s.greet("frank"),
            Expected.answeredBy(v1.name()));
      } finally {
        calling.set(false);
        caller.join(10_000);
      }
      calls += background.get() + failures.size();
      out.println("meanwhile, " + (background.get() + failures.size())
          + " calls by another consumer: " + failures.size() + " failed");
      failures.stream().limit(5).forEach(f -> unexpected.add("call during a reload: " + f));
      if (failures.size() > 5) {
        unexpected.add("... and " + (failures.size() - 5) + " more calls during the reloads");
      }
    }
  }

  /** Writes {@code yaml} to the proxy's file and reloads it as an operator would (curl). */
  private void reload(String yaml, String what) throws Exception {
    Files.writeString(configFile, yaml);
    HttpRequest post = HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + adminPort + "/reload"))
        .POST(HttpRequest.BodyPublishers.noBody()).build();
    HttpResponse<String> r = HttpClient.newHttpClient().send(post, HttpResponse.BodyHandlers.ofString());
    String result = r.body().replaceAll("\\s+", " ").trim();
    out.println("curl -X POST http://127.0.0.1:" + adminPort + "/reload  (" + what + ")  ->  "
        + r.statusCode() + " " + result);
    if (r.statusCode() != 200 || !result.contains("\"applied\"")) {
      unexpected.add("reload (" + what + "): " + r.statusCode() + " " + result);
    }
  }

  private void stats() {
    out.println("== Admin: http://127.0.0.1:" + adminPort + "/stats (excerpt) ==");
    proxy.stats().prometheus().lines()
        .filter(l -> l.startsWith("protean_listener_responses_total")
            || l.startsWith("protean_listener_local_replies_total")
            || l.startsWith("protean_cluster_requests_total"))
        .filter(l -> !l.endsWith(" 0"))
        .forEach(out::println);
  }

  /**
   * One call by a consumer of {@code version} through the listener on {@code port}, printed with
   * its outcome and checked against {@code expected}.
   */
  private void call(String what, int port, String version, Function<DemoService, String> call,
      Expected expected) {
    DemoService service = consumers.computeIfAbsent(port + "/" + version,
        k -> new DubboConsumer(port, version, null, 5000)).service();
    String answer = null;
    RuntimeException failure = null;
    try {
      answer = call.apply(service);
    } catch (RuntimeException e) {
      failure = e;
    }
    calls++;
    String mismatch = expected.mismatch(answer, failure);
    String line = what + "  ->  " + (failure == null ? answer : describe(failure));
    if (mismatch != null) {
      unexpected.add(what + ": " + mismatch);
      out.println(line + "  [NOT AS EXPECTED: " + mismatch + "]");
    } else {
      out.println(failure == null ? line : line + "  [refused, as expected]");
    }
  }

  /** Prints the outcome of all calls and returns the exit code. */
  private int verdict() {
    if (unexpected.isEmpty()) {
      out.println("== " + calls + " calls, all as expected ==");
      return 0;
    }
    out.println("== " + unexpected.size() + " of " + calls + " calls did not go as expected ==");
    unexpected.forEach(out::println);
    return 1;
  }

  /** Dubbo wraps the proxy's message in a long invocation report; shows the proxy's part. */
  private static String describe(RuntimeException e) {
    String message = firstLine(e.getMessage());
    int proxyPart = message.indexOf("protean: ");
    return "Dubbo " + e.getClass().getSimpleName() + ": "
        + (proxyPart < 0 ? message : message.substring(proxyPart));
  }

  /** demo.yaml with this run's ports and module directory. */
  private String configuration() throws IOException {
    return template()
        .replace("${WASM_DIR}", wasmDir.toString())
        .replace("${ADMIN_PORT}", Integer.toString(adminPort))
        .replace("${NATIVE_PORT}", Integer.toString(nativePort))
        .replace("${WASM_PORT}", Integer.toString(wasmPort))
        .replace("${PROVIDER_V1_PORT}", Integer.toString(v1.port()))
        .replace("${PROVIDER_V2_PORT}", Integer.toString(v2.port()));
  }

  /**
   * Copies the Wasm modules out of the jar into a new temporary directory: the demo finds them
   * wherever it runs from, and the proxy reads modules from files.
   */
  private static Path extractWasmModules() throws IOException {
    Path dir = Files.createTempDirectory("protean-demo-wasm");
    // Also removed when the demo is interrupted (deleteOnExit runs in reverse order: files first).
    dir.toFile().deleteOnExit();
    for (String module : WASM_MODULES) {
      dir.resolve(module).toFile().deleteOnExit();
      try (InputStream in = Demo.class.getResourceAsStream("/wasm/" + module)) {
        if (in == null) {
          throw new IOException("the demo's jar lacks wasm/" + module);
        }
        Files.copy(in, dir.resolve(module), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return dir;
  }

  private static void deleteWasmModules(Path dir) throws IOException {
    for (String module : WASM_MODULES) {
      Files.deleteIfExists(dir.resolve(module));
    }
    Files.deleteIfExists(dir.resolve(CONFIG_FILE));
    Files.deleteIfExists(dir);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static String template() throws IOException {
    try (InputStream in = Demo.class.getResourceAsStream("/demo.yaml")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }

  private static void defaultProperty(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
