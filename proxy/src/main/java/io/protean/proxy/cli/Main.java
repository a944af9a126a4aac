package io.protean.proxy.cli;

import io.protean.proxy.server.Addresses;
import io.protean.proxy.server.Proxy;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.ProxyConfig;
import io.protean.proxy.config.yaml.Node;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code protean} command line: run, validate. ({@code protean demo} is the demo module's jar,
 * which the launcher script runs; it keeps Apache Dubbo out of this one.)
 */
@Command(name = "protean", mixinStandardHelpOptions = true, version = "protean 0.1.0",
    description = "A layer-7 proxy for RPC protocols.",
    footer = {"", "The ./protean launcher also runs `demo` and `conformance` (jars of their own).%n"},
    subcommands = {Main.Run.class, Main.Validate.class})
public final class Main implements Runnable {

  public static void main(String[] args) {
    productionDefaults();
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /**
   * Netty defaults for serving, set before any Netty class is loaded; a {@code -D} on the command
   * line wins. Leak detection off: Netty's default samples one buffer in 128, and its wrapper
   * types made the JIT deoptimise the data path again and again (docs/performance.md). The test
   * suite runs with PARANOID detection instead (root pom).
   */
  public static void productionDefaults() {
    if (System.getProperty("io.netty.leakDetection.level") == null) {
      System.setProperty("io.netty.leakDetection.level", "disabled");
    }
  }

  @Command(name = "run", description = "Run the proxy with a configuration file.")
  static final class Run implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, description = "YAML configuration file")
    Path config;

    @Option(names = "--watch", description = "Reload the configuration when the file changes.")
    boolean watch;

    @Option(names = "--watch-debounce", defaultValue = "250ms", converter = DurationConverter.class,
        description = "How long the file must be quiet before a reload (default ${DEFAULT-VALUE}).")
    Duration debounce;

    @Override
    public Integer call() throws Exception {
      Proxy proxy;
      try {
        proxy = Proxy.start(config);
      } catch (ConfigException e) {
        System.err.println("invalid configuration " + config + ": " + e.getMessage());
        return 2;
      }
      if (watch) {
        proxy.watch(debounce);
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        proxy.close();
        stopped.countDown();
      }, "protean-shutdown"));
      stopped.await();
      return 0;
    }
  }

  /** A duration in the configuration's syntax ({@code 250ms}, {@code 2s}). */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration d = Node.parseDuration(value);
      if (d == null) {
        throw new CommandLine.TypeConversionException("expected a duration like 250ms or 2s, found '"
            + value + "'");
      }
      return d;
    }
  }

  @Command(name = "validate", description = "Check a configuration file and exit.")
  static final class Validate implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, description = "YAML configuration file")
    Path config;

    @Option(names = "--no-bind-check", description = "Check the file only: do not resolve the "
        + "listener and admin hosts nor try their ports (for a file meant for another machine).")
    boolean noBindCheck;

    @Override
    public Integer call() {
      try {
        ProxyConfig cfg = Proxy.configLoader().load(config);
        Proxy.validate(cfg);
        if (!noBindCheck) {
          Addresses.checkBindable(cfg, a -> false);
        }
        System.out.println(config + ": valid (" + cfg.listeners().size() + " listeners, "
            + cfg.clusters().size() + " clusters)");
        return 0;
      } catch (ConfigException e) {
        System.err.println("invalid configuration " + config + ": " + e.getMessage());
        return 2;
      }
    }
  }
}
