package io.protean.demo;

import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.cli.Main;
import io.protean.proxy.config.model.ProxyConfig;
import io.protean.proxy.server.Proxy;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;

/**
 * {@code protean demo}: two real Dubbo providers (versions 1.0.0 and 2.0.0) behind two clusters,
 * the proxy routing by service version, and a real Dubbo consumer calling through it.
 */
public final class Demo {
  private Demo() {}

  /** {@code protean demo} (the launcher runs this jar for it). */
  public static void main(String[] args) throws Exception {
    Main.productionDefaults();
    // Keep the demo's output about routing: Dubbo's own start-up chatter goes to warnings only,
    // and its complaint about the IPv4-mapped loopback host it needs here is silenced.
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.dubbo", "off");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("dubbo.application.logger", "slf4j");
    defaultProperty("dubbo.application.qos-enable", "false");
    defaultProperty("dubbo.service.shutdown.wait", "0");
    System.exit(run(System.out));
  }

  private static void defaultProperty(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  public static int run(PrintStream out) throws Exception {
    int v1Port = freePort();
    int v2Port = freePort();
    int listenerPort = freePort();
    int adminPort = freePort();
    String yaml = template()
        .replace("${ADMIN_PORT}", Integer.toString(adminPort))
        .replace("${LISTENER_PORT}", Integer.toString(listenerPort))
        .replace("${PROVIDER_V1_PORT}", Integer.toString(v1Port))
        .replace("${PROVIDER_V2_PORT}", Integer.toString(v2Port));
    out.println("== Protean demo: configuration ==");
    out.println(yaml);
    ProxyConfig config = Proxy.configLoader().parse(yaml);
    try (DubboProvider v1 = new DubboProvider("provider-v1@127.0.0.1:" + v1Port, v1Port, "1.0.0", null);
        DubboProvider v2 = new DubboProvider("provider-v2@127.0.0.1:" + v2Port, v2Port, "2.0.0", null);
        Proxy proxy = Proxy.start(config);
        DubboConsumer c1 = new DubboConsumer(listenerPort, "1.0.0", null, 5000);
        DubboConsumer c2 = new DubboConsumer(listenerPort, "2.0.0", null, 5000);
        DubboConsumer c3 = new DubboConsumer(listenerPort, "3.0.0", null, 5000)) {
      out.println("== Calls through Protean at 127.0.0.1:" + listenerPort + " ==");
      for (int i = 1; i <= 3; i++) {
        String alice = "alice-" + i;
        String bob = "bob-" + i;
        call(out, "greet(\"" + alice + "\") version 1.0.0", () -> c1.service().greet(alice));
        call(out, "greet(\"" + bob + "\")   version 2.0.0", () -> c2.service().greet(bob));
      }
      call(out, "greet(\"carol\")   version 3.0.0", () -> c3.service().greet("carol"));
      out.println("== Admin: http://127.0.0.1:" + adminPort + "/stats (excerpt) ==");
      proxy.stats().prometheus().lines()
          .filter(l -> l.startsWith("protean_listener_responses_total")
              || l.startsWith("protean_listener_local_replies_total{listener=\"dubbo_demo\",reason=\"route_not_found\"}")
              || l.startsWith("protean_cluster_requests_total"))
          .forEach(out::println);
    }
    return 0;
  }

  private interface Call {
    String invoke();
  }

  private static void call(PrintStream out, String what, Call call) {
    try {
      out.println(what + "  ->  " + call.invoke());
    } catch (RuntimeException e) {
      // Dubbo wraps the proxy's message in a long invocation report; show the proxy's part.
      String message = firstLine(e.getMessage());
      int proxyPart = message.indexOf("protean: ");
      out.println(what + "  ->  Dubbo " + e.getClass().getSimpleName() + ": "
          + (proxyPart < 0 ? message : message.substring(proxyPart)));
    }
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
}
