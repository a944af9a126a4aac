package io.protean.proxy.e2e;

import io.protean.demo.peers.DemoService;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.server.Proxy;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Consumer;

/**
 * A real Dubbo provider ("steady", version 1.0.0) behind a one-loop proxy whose listeners route
 * to it (cluster {@code p}), with the requests a real consumer sent it for some calls, captured
 * for raw-socket clients. For tests of the proxy's downstream limits.
 */
final class ProxiedProvider implements AutoCloseable {
  final List<byte[]> captured;
  final Proxy proxy;
  final AdminClient admin;
  private final DubboProvider provider;

  /**
   * @param calls     the calls whose requests are captured, in order
   * @param count     how many requests they make
   * @param topLevel  YAML top-level fields besides workers, admin, listeners, clusters ("" for none)
   * @param listeners the YAML list of listeners, each routing to cluster {@code p}
   */
  ProxiedProvider(Consumer<DemoService> calls, int count, String topLevel, String listeners)
      throws Exception {
    int port = Ports.free();
    provider = new DubboProvider("steady", port, "1.0.0", null);
    try {
      captured = RawDubbo.capture(port, count, calls);
      proxy = Proxy.start(Proxy.configLoader().parse("workers: 1\n"
          + "admin: {address: \"127.0.0.1:0\"}\n" + topLevel + "listeners:\n" + listeners
          + "clusters:\n  - {name: p, endpoints: [\"127.0.0.1:" + port + "\"]}\n"));
    } catch (Exception | Error e) {
      provider.close();
      throw e;
    }
    admin = new AdminClient(proxy.adminAddress());
  }

  InetSocketAddress listener(String name) {
    return proxy.listenerAddress(name);
  }

  /** A raw Dubbo client of listener {@code name}. */
  RawDubbo client(String name) throws Exception {
    return new RawDubbo(listener(name));
  }

  /** A counter of listener {@code name} (summed over its series). */
  long count(String family, String name) {
    return admin.sum(family, "listener=\"" + name + "\"");
  }

  @Override
  public void close() {
    proxy.close();
    provider.close();
  }
}
