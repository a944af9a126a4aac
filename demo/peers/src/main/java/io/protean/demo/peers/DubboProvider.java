package io.protean.demo.peers;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.dubbo.config.ApplicationConfig;
import org.apache.dubbo.config.ProtocolConfig;
import org.apache.dubbo.config.RegistryConfig;
import org.apache.dubbo.config.ServiceConfig;
import org.apache.dubbo.config.bootstrap.DubboBootstrap;
import org.apache.dubbo.rpc.RpcContext;
import org.apache.dubbo.rpc.model.FrameworkModel;

/**
 * A real Apache Dubbo provider of {@link DemoService} on 127.0.0.1, isolated in its own
 * {@link FrameworkModel} so several can run in one JVM. Its answers name it, so a caller can see
 * which provider served a call.
 */
public final class DubboProvider implements AutoCloseable {
  private final String name;
  private final int port;
  private final FrameworkModel framework = new FrameworkModel();
  private final DubboBootstrap bootstrap;
  private final List<String> notes = new CopyOnWriteArrayList<>();
  private final List<java.util.Map<String, Object>> attachments = new CopyOnWriteArrayList<>();

  /**
   * Exports {@link DemoService} with {@code version} (and {@code group}, may be null) on
   * {@code port} and returns once it accepts calls.
   */
  public DubboProvider(String name, int port, String version, String group) {
    this(name, port, version, group, 0);
  }

  /**
   * As {@link #DubboProvider(String, int, String, String)}, with at most {@code threads} calls
   * served at once (0: Dubbo's default); a call beyond them is refused by Dubbo with status
   * SERVER_THREADPOOL_EXHAUSTED_ERROR.
   */
  public DubboProvider(String name, int port, String version, String group, int threads) {
    this.name = name;
    this.port = port;
    // Dubbo accepts only letters, digits, '-', '_' and '.' in an application name.
    ApplicationConfig app = new ApplicationConfig(
        "protean-demo-" + name.replaceAll("[^A-Za-z0-9_.-]", "-"));
    app.setQosEnable(false);
    // The Dubbo host for a loopback-only provider (an IPv4 literal is refused on this platform).
    ProtocolConfig protocol = new ProtocolConfig("dubbo", port);
    protocol.setHost("::ffff:127.0.0.1");
    if (threads > 0) {
      protocol.setThreads(threads);
      protocol.setQueues(0);
    }
    ServiceConfig<DemoService> service = new ServiceConfig<>();
    service.setInterface(DemoService.class);
    service.setRef(new Impl());
    service.setVersion(version);
    if (group != null) {
      service.setGroup(group);
    }
    bootstrap = DubboBootstrap.newInstance(framework)
        .application(app)
        .registry(new RegistryConfig(RegistryConfig.NO_AVAILABLE))
        .protocol(protocol)
        .service(service)
        .start();
  }

  public String name() {
    return name;
  }

  public int port() {
    return port;
  }

  /** The notes received by one-way calls, in arrival order. */
  public List<String> notes() {
    return notes;
  }

  /**
   * The attachments of every {@code greet} call this provider served. A call with an
   * {@code x-reply: k=v,...} attachment gets those attachments on its response (greet and fail).
   */
  public List<java.util.Map<String, Object>> attachments() {
    return attachments;
  }

  @Override
  public void close() {
    bootstrap.destroy();
    // The bootstrap alone leaves the model's protocol servers and clients open (a closed provider
    // kept accepting connections on its port); destroying the model closes them.
    framework.destroy();
  }

  /**
   * A caller's {@code x-reply: k=v,k2=v2} attachment asks for those response attachments (which a
   * Dubbo consumer reads from {@code RpcContext.getServerContext()} after the call).
   */
  private static void replyAttachments() {
    String reply = RpcContext.getServerAttachment().getAttachment("x-reply");
    if (reply == null || reply.isEmpty()) {
      return;
    }
    for (String pair : reply.split(",")) {
      int eq = pair.indexOf('=');
      RpcContext.getServerContext().setAttachment(pair.substring(0, eq), pair.substring(eq + 1));
    }
  }

  private final class Impl implements DemoService {
    @Override
    public String greet(String who) {
      attachments.add(new java.util.HashMap<>(RpcContext.getServerAttachment().getObjectAttachments()));
      replyAttachments();
      return "hello " + who + " from " + name;
    }

    @Override
    public String echo(String payload) {
      return payload;
    }

    @Override
    public void note(String note) {
      notes.add(note);
    }

    @Override
    public String inspect(Order order, java.util.Map<String, Object> extra, long[] ids) {
      return order.id + ":" + order.items.size() + " items, " + extra.size() + " extras, "
          + ids.length + " ids";
    }

    @Override
    public String fail(String why) {
      replyAttachments();
      throw new IllegalStateException(why);
    }

    @Override
    public String slow(int millis) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return name + " slept " + millis + " ms";
    }
  }
}
