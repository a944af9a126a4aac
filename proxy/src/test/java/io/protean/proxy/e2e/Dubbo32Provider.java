package io.protean.proxy.e2e;

import io.protean.demo.peers.DemoService;
import io.protean.demo.peers.Order;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.dubbo.config.ApplicationConfig;
import org.apache.dubbo.config.ProtocolConfig;
import org.apache.dubbo.config.RegistryConfig;
import org.apache.dubbo.config.ServiceConfig;
import org.apache.dubbo.config.bootstrap.DubboBootstrap;

/**
 * A real Apache Dubbo 3.2.19 provider of {@link DemoService} in a child JVM (a JVM holds one Dubbo
 * version; the tests' own is 3.3), registered in a ZooKeeper registry with all of Dubbo's defaults
 * (so it advertises {@code prefer.serialization=fastjson2,hessian2} and application-level
 * discovery), except the address it registers: the proxy's. Its classpath is the one the
 * interop/dubbo-3.2 module resolves ({@code protean.dubbo32.classpath}) plus this project's own
 * classes. The child prints READY once exported and exits when its stdin closes.
 */
final class Dubbo32Provider implements AutoCloseable {
  /** The provider's application name: the group its MetadataService is exported under. */
  static final String APPLICATION = "protean-dubbo32-provider";
  private final Process process;

  /**
   * @param registry     the ZooKeeper address, host:port
   * @param port         the port the provider listens on
   * @param proxyPort    the port it registers (the proxy's listener)
   */
  Dubbo32Provider(String registry, int port, int proxyPort) throws IOException {
    List<String> cmd = List.of(
        ProcessHandle.current().info().command().orElse("java"),
        "-cp", classpath(),
        "-Ddubbo.application.qos-enable=false", "-Ddubbo.service.shutdown.wait=0",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        // What the registry says: the proxy, not this provider (Dubbo's documented variables).
        // Loopback written as IPv6: Dubbo refuses "127.*" here (NetUtils.isInvalidLocalHost).
        "-DDUBBO_IP_TO_REGISTRY=::ffff:127.0.0.1", "-DDUBBO_PORT_TO_REGISTRY=" + proxyPort,
        Dubbo32Provider.class.getName(), registry, Integer.toString(port));
    process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    List<String> seen = new ArrayList<>();
    for (String line; (line = out.readLine()) != null; ) {
      if (line.equals("READY")) {
        Thread drain = new Thread(() -> out.lines().forEach(l -> { }), "dubbo32-output");
        drain.setDaemon(true);
        drain.start();
        return;
      }
      if (seen.size() < 40) {
        seen.add(line);
      }
      if (System.nanoTime() > deadline) {
        break;
      }
    }
    process.destroyForcibly();
    throw new IOException("the Dubbo 3.2 provider did not start:\n" + String.join("\n", seen));
  }

  /** Dubbo 3.2's jars, then this build's class directories and jars (not the local repository's). */
  private static String classpath() throws IOException {
    String file = System.getProperty("protean.dubbo32.classpath");
    if (file == null || !Files.isRegularFile(Path.of(file))) {
      throw new IOException("no Dubbo 3.2 classpath at " + file + " (the interop/dubbo-3.2 module "
          + "writes it; build with -am)");
    }
    StringBuilder cp = new StringBuilder(Files.readString(Path.of(file)).trim());
    Path project = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (Path.of(entry).toAbsolutePath().startsWith(project)) {
        cp.append(java.io.File.pathSeparator).append(entry);
      }
    }
    return cp.toString();
  }

  @Override
  public void close() {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  public static void main(String[] args) throws Exception {
    ApplicationConfig app = new ApplicationConfig(APPLICATION);
    app.setQosEnable(false);
    ProtocolConfig protocol = new ProtocolConfig("dubbo", Integer.parseInt(args[1]));
    protocol.setHost("::ffff:127.0.0.1"); // as DubboProvider: loopback, which "127.*" is not to Dubbo
    ServiceConfig<DemoService> service = new ServiceConfig<>();
    service.setInterface(DemoService.class);
    service.setRef(new Impl());
    service.setVersion("1.0.0");
    DubboBootstrap bootstrap = DubboBootstrap.getInstance()
        .application(app)
        .registry(new RegistryConfig("zookeeper://" + args[0]))
        .protocol(protocol)
        .service(service)
        .start();
    System.out.println("READY");
    System.out.flush();
    while (System.in.read() >= 0) {
      // Runs until the parent closes stdin or kills us.
    }
    bootstrap.stop();
    System.exit(0);
  }

  /** Its answers name the Dubbo version that served them. */
  static final class Impl implements DemoService {
    @Override
    public String greet(String who) {
      return "hello " + who + " from dubbo " + org.apache.dubbo.common.Version.getVersion();
    }

    @Override
    public String echo(String payload) {
      return payload;
    }

    @Override
    public void note(String note) {
    }

    @Override
    public String inspect(Order order, Map<String, Object> extra, long[] ids) {
      return order.id + ":" + order.items.size() + " items, " + extra.size() + " extras, "
          + ids.length + " ids";
    }

    @Override
    public String fail(String why) {
      throw new IllegalStateException(why);
    }

    @Override
    public String slow(int millis) {
      return "slept 0 ms";
    }
  }
}
