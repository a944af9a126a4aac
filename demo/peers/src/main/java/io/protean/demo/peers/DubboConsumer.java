package io.protean.demo.peers;

import org.apache.dubbo.config.ApplicationConfig;
import org.apache.dubbo.config.MethodConfig;
import org.apache.dubbo.config.ReferenceConfig;
import org.apache.dubbo.config.RegistryConfig;
import org.apache.dubbo.config.bootstrap.DubboBootstrap;
import org.apache.dubbo.rpc.model.FrameworkModel;

/**
 * A real Apache Dubbo consumer of {@link DemoService} connected directly to one address (the
 * proxy's listener), isolated in its own {@link FrameworkModel}.
 */
public final class DubboConsumer implements AutoCloseable {
  private final FrameworkModel framework = new FrameworkModel();
  private final DubboBootstrap bootstrap;
  private final DemoService service;

  /**
   * @param port      the port on 127.0.0.1 to call
   * @param version   the service version to ask for
   * @param group     the service group, or null
   * @param timeoutMs the consumer-side call timeout
   */
  public DubboConsumer(int port, String version, String group, int timeoutMs) {
    this(java.util.List.of(port), version, group, timeoutMs, null);
  }

  /**
   * As {@link #DubboConsumer(int, String, String, int)}, writing its calls in {@code serialization}
   * ({@code fastjson2}...; null: Dubbo's default, hessian2).
   */
  public DubboConsumer(int port, String version, String group, int timeoutMs,
      String serialization) {
    this(java.util.List.of(port), version, group, timeoutMs, serialization);
  }

  /**
   * A consumer of several addresses (a direct URL list): Dubbo balances its calls over them, and
   * stops calling one that sent its READONLY event (a provider, or a proxy, shutting down).
   *
   * @param ports the ports on 127.0.0.1 to call
   */
  public DubboConsumer(java.util.List<Integer> ports, String version, String group, int timeoutMs) {
    this(ports, version, group, timeoutMs, null);
  }

  private DubboConsumer(java.util.List<Integer> ports, String version, String group,
      int timeoutMs, String serialization) {
    ApplicationConfig app = new ApplicationConfig("protean-demo-consumer");
    app.setQosEnable(false);
    ReferenceConfig<DemoService> ref = new ReferenceConfig<>();
    ref.setInterface(DemoService.class);
    String query = serialization == null ? "" : "?serialization=" + serialization;
    ref.setUrl(String.join(";",
        ports.stream().map(p -> "dubbo://[::ffff:127.0.0.1]:" + p + query).toList()));
    ref.setVersion(version);
    if (group != null) {
      ref.setGroup(group);
    }
    ref.setTimeout(timeoutMs);
    ref.setRetries(0);
    ref.setCheck(false);
    MethodConfig note = new MethodConfig();
    note.setName("note");
    note.setReturn(false);
    ref.setMethods(java.util.List.of(note));
    bootstrap = DubboBootstrap.newInstance(framework)
        .application(app)
        .registry(new RegistryConfig(RegistryConfig.NO_AVAILABLE))
        .reference(ref)
        .start();
    service = ref.get();
  }

  public DemoService service() {
    return service;
  }

  @Override
  public void close() {
    bootstrap.destroy();
    // The bootstrap alone leaves the model's protocol servers and clients open (a closed provider
    // kept accepting connections on its port); destroying the model closes them.
    framework.destroy();
  }
}
