package io.protean.demo.peers;

import org.apache.dubbo.config.ApplicationConfig;
import org.apache.dubbo.config.ReferenceConfig;
import org.apache.dubbo.config.RegistryConfig;
import org.apache.dubbo.config.bootstrap.DubboBootstrap;
import org.apache.dubbo.rpc.model.FrameworkModel;
import org.apache.dubbo.rpc.service.GenericService;

/**
 * A real Apache Dubbo generic consumer of {@link DemoService} (no interface class on its side:
 * {@code GenericService.$invoke(method, parameterTypes, args)}), connected directly to one
 * address, isolated in its own {@link FrameworkModel}.
 */
public final class DubboGenericConsumer implements AutoCloseable {
  private final FrameworkModel framework = new FrameworkModel();
  private final DubboBootstrap bootstrap;
  private final GenericService service;

  /**
   * @param port          the port on 127.0.0.1 to call
   * @param version       the service version to ask for
   * @param group         the service group, or null
   * @param timeoutMs     the consumer-side call timeout
   * @param serialization {@code fastjson2}..., or null for Dubbo's default (hessian2)
   */
  public DubboGenericConsumer(int port, String version, String group, int timeoutMs,
      String serialization) {
    ApplicationConfig app = new ApplicationConfig("protean-demo-generic-consumer");
    app.setQosEnable(false);
    ReferenceConfig<GenericService> ref = new ReferenceConfig<>();
    ref.setInterface(DemoService.class.getName());
    ref.setGeneric("true");
    ref.setUrl("dubbo://[::ffff:127.0.0.1]:" + port
        + (serialization == null ? "" : "?serialization=" + serialization));
    ref.setVersion(version);
    if (group != null) {
      ref.setGroup(group);
    }
    ref.setTimeout(timeoutMs);
    ref.setRetries(0);
    ref.setCheck(false);
    bootstrap = DubboBootstrap.newInstance(framework)
        .application(app)
        .registry(new RegistryConfig(RegistryConfig.NO_AVAILABLE))
        .reference(ref)
        .start();
    service = ref.get();
  }

  /** Calls {@code DemoService.greet(who)} generically. */
  public Object greet(String who) {
    return service.$invoke("greet", new String[] {String.class.getName()}, new Object[] {who});
  }

  public GenericService service() {
    return service;
  }

  @Override
  public void close() {
    bootstrap.destroy();
    framework.destroy();
  }
}
