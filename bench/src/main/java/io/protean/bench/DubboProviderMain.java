package io.protean.bench;

import java.io.IOException;
import java.io.InputStream;
import org.apache.dubbo.config.ApplicationConfig;
import org.apache.dubbo.config.ProtocolConfig;
import org.apache.dubbo.config.RegistryConfig;
import org.apache.dubbo.config.ServiceConfig;
import org.apache.dubbo.config.bootstrap.DubboBootstrap;
import org.apache.dubbo.rpc.model.FrameworkModel;

/**
 * A real Apache Dubbo 3 provider of {@link EchoService} on 127.0.0.1 (dubbo protocol, hessian2,
 * no registry, QoS off).
 *
 * <p>Usage: {@code DubboProviderMain PORT [--ignore-stdin] [--dispatcher all|direct|...]}. Prints {@code READY port=N} once the
 * service is exported, then runs until its standard input closes (unless {@code --ignore-stdin})
 * or it gets SIGTERM.
 */
public final class DubboProviderMain implements AutoCloseable {
  private final DubboBootstrap bootstrap;
  private final int port;

  /** Exports {@link EchoService} on {@code port} and returns once it accepts calls. */
  public DubboProviderMain(int port) {
    this(port, null);
  }

  /**
   * As {@link #DubboProviderMain(int)}, with a Dubbo dispatcher ({@code all}, Dubbo's default,
   * hands every call to a thread pool; {@code direct} runs it on the IO thread), null for the
   * default.
   */
  public DubboProviderMain(int port, String dispatcher) {
    this.port = port;
    ApplicationConfig app = new ApplicationConfig("protean-bench-provider");
    app.setQosEnable(false);
    ProtocolConfig protocol = new ProtocolConfig("dubbo", port);
    // Dubbo refuses an IPv4 loopback literal as its host; the v4-mapped form binds 127.0.0.1.
    protocol.setHost("::ffff:127.0.0.1");
    if (dispatcher != null) {
      protocol.setDispatcher(dispatcher);
    }
    ServiceConfig<EchoService> service = new ServiceConfig<>();
    service.setInterface(EchoService.class);
    service.setRef(new EchoServiceImpl());
    bootstrap = DubboBootstrap.newInstance(new FrameworkModel())
        .application(app)
        .registry(new RegistryConfig(RegistryConfig.NO_AVAILABLE))
        .protocol(protocol)
        .service(service)
        .start();
  }

  public int port() {
    return port;
  }

  @Override
  public void close() {
    bootstrap.destroy();
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: DubboProviderMain PORT [--ignore-stdin] [--dispatcher NAME]");
      System.exit(2);
    }
    System.setProperty("dubbo.application.qos-enable", "false");
    RpcLoad.quietLogs();
    if (System.getProperty("dubbo.service.shutdown.wait") == null) {
      System.setProperty("dubbo.service.shutdown.wait", "0");
    }
    int port = Integer.parseInt(args[0]);
    boolean ignoreStdin = false;
    String dispatcher = null;
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--ignore-stdin")) {
        ignoreStdin = true;
      } else if (args[i].equals("--dispatcher") && i + 1 < args.length) {
        dispatcher = args[++i];
      } else {
        System.err.println("unknown argument: " + args[i]);
        System.exit(2);
      }
    }
    DubboProviderMain provider = new DubboProviderMain(port, dispatcher);
    Runtime.getRuntime().addShutdownHook(new Thread(provider::close, "provider-shutdown"));
    System.out.println("READY port=" + port);
    System.out.flush();
    if (ignoreStdin) {
      while (true) {
        try {
          Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
          break;
        }
      }
    } else {
      InputStream in = System.in;
      byte[] buf = new byte[256];
      while (in.read(buf) >= 0) {
        // Wait for EOF: the parent closed our stdin (or died).
      }
    }
    System.exit(0);
  }
}
