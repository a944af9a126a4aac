package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.protean.demo.peers.DemoService;
import io.protean.proxy.codec.dubbo.DubboCapture;
import io.protean.proxy.server.Proxy;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.dubbo.config.ApplicationConfig;
import org.apache.dubbo.config.ReferenceConfig;
import org.apache.dubbo.config.RegistryConfig;
import org.apache.dubbo.config.bootstrap.DubboBootstrap;
import org.apache.dubbo.rpc.RpcException;
import org.apache.dubbo.rpc.model.FrameworkModel;
import org.apache.dubbo.rpc.service.GenericService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * What a default Dubbo deployment sends through the proxy: a real Dubbo 3.2.19 provider (child JVM)
 * and real Dubbo 3.3 consumers (this JVM), all defaults, discovering each other in a real
 * ZooKeeper (curator-test's TestingServer, in this JVM) where the provider registers the proxy's
 * address. The 3.2 provider advertises {@code prefer.serialization=fastjson2,hessian2}, so the
 * consumers write fastjson2; application-level discovery fetches the provider's metadata through
 * the proxy (Dubbo's MetadataService, routed by its documented route).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RegistryDubboEndToEndTest {
  private static final String SERVICE = DemoService.class.getName();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private String registry;
  private DubboCapture capture;
  private AdminClient admin;
  private int proxyPort;

  /** The listener's {@code codec:} value: the native codec or a Wasm module. */
  abstract String codec();

  @BeforeAll
  void start() throws Exception {
    File data = Files.createTempDirectory("zk").toFile();
    // ZooKeeper on loopback only (its clientPortAddress), on a free port.
    TestingServer zk = new TestingServer(new InstanceSpec(data, -1, -1, -1, true, -1, -1, -1,
        Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1"), true);
    closeables.add(zk);
    registry = "127.0.0.1:" + zk.getPort();
    proxyPort = Ports.free();
    int providerPort = Ports.free();
    // The proxy reaches the provider through a recording relay: the test sees what was sent.
    capture = new DubboCapture(providerPort);
    closeables.add(capture);
    String yaml = """
        workers: 1
        admin: {address: "127.0.0.1:0"}
        listeners:
          - name: dubbo
            address: 127.0.0.1:%d
            codec: %s
            routes:
              - name: demo
                match: {metadata: [{key: interface, exact: %s}, {key: method, regex: "greet|fail|inspect"}]}
                cluster: dubbo32
              # Application-level discovery asks each provider application for its metadata.
              - name: dubbo32-metadata
                match: {metadata: [{key: interface, exact: org.apache.dubbo.metadata.MetadataService},
                                   {key: group, exact: %s}]}
                cluster: dubbo32_metadata
        clusters:
          - {name: dubbo32, endpoints: ["127.0.0.1:%d"]}
          - {name: dubbo32_metadata, endpoints: ["127.0.0.1:%d"]}
        """.formatted(proxyPort, codec(), SERVICE, Dubbo32Provider.APPLICATION, capture.port(),
        capture.port());
    Proxy proxy = Proxy.start(Proxy.configLoader().parse(yaml));
    closeables.add(proxy);
    admin = new AdminClient(proxy.adminAddress());
    closeables.add(new Dubbo32Provider(registry, providerPort, proxyPort));
  }

  @AfterAll
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** A Dubbo 3.3 consumer of DemoService through the registry; {@code migration} null: default. */
  private <T> T reference(Class<T> type, String migration) {
    FrameworkModel framework = new FrameworkModel();
    ApplicationConfig app = new ApplicationConfig("protean-registry-consumer");
    app.setQosEnable(false);
    ReferenceConfig<T> ref = new ReferenceConfig<>();
    if (type == GenericService.class) {
      ref.setInterface(SERVICE);
      ref.setGeneric("true");
    } else {
      ref.setInterface(type);
    }
    ref.setVersion("1.0.0");
    ref.setTimeout(15_000);
    if (migration != null) {
      ref.setParameters(Map.of("migration.step", migration));
    }
    DubboBootstrap bootstrap = DubboBootstrap.newInstance(framework)
        .application(app)
        .registry(new RegistryConfig("zookeeper://" + registry))
        .reference(ref)
        .start();
    closeables.add(() -> {
      bootstrap.destroy();
      framework.destroy();
    });
    return ref.get();
  }

  @Test
  void aDefaultConsumerCallsTheDubbo32ProviderThroughTheProxy() {
    long unrouted = routeNotFound();
    DemoService service = reference(DemoService.class, null);
    for (int i = 0; i < 8; i++) {
      assertThat(service.greet("ann" + i)).isEqualTo("hello ann" + i + " from dubbo 3.2.19");
    }
    // What the 3.2 provider's registration made the consumer write: fastjson2 (id 23).
    List<Integer> serializations = capture.requestFrames().stream()
        .filter(f -> (f[2] & 0x20) == 0) // not heartbeats
        .map(f -> f[2] & 0x1f).distinct().toList();
    assertThat(serializations).containsExactly(23);
    // Application-level discovery's metadata call found its route too.
    assertThat(routeNotFound()).isEqualTo(unrouted);
  }

  private long routeNotFound() {
    return admin.counter("protean_listener_local_replies_total{listener=\"dubbo\","
        + "reason=\"route_not_found\"}");
  }

  /** The proxy's own error reaches a fastjson2 consumer as Dubbo's error, not a time-out. */
  @Test
  void aFastjson2ConsumerGetsTheProxysErrorReply() {
    DemoService service = reference(DemoService.class, null);
    assertThatThrownBy(() -> service.echo("unrouted")).isInstanceOf(RpcException.class)
        .hasMessageContaining("protean: no route matches").hasMessageContaining("echo");
  }

  /**
   * A call in a serialization the codec cannot read (a real fastjson2 call relabelled kryo, id 8)
   * gets a BAD_REQUEST naming it, and the connection goes on serving.
   */
  @Test
  void anUnreadableSerializationIsAnsweredAndTheConnectionStays() throws Exception {
    assertThat(reference(DemoService.class, null).greet("cid")).endsWith("from dubbo 3.2.19");
    byte[] call = capture.requestFrames().stream().filter(f -> (f[2] & 0x20) == 0)
        .reduce((a, b) -> b).orElseThrow();
    byte[] kryo = call.clone();
    kryo[2] = (byte) ((kryo[2] & 0xe0) | 8);
    try (Socket socket = new Socket("127.0.0.1", proxyPort)) {
      socket.setSoTimeout(15_000);
      socket.getOutputStream().write(kryo);
      byte[] refused = readFrame(socket.getInputStream());
      assertThat(refused[3]).as("status BAD_REQUEST").isEqualTo((byte) 40);
      assertThat(new String(refused, 16, refused.length - 16, StandardCharsets.UTF_8))
          .contains("protean: request serialization kryo (id 8) is not supported");
      socket.getOutputStream().write(call);
      assertThat(readFrame(socket.getInputStream())[3]).as("status OK").isEqualTo((byte) 20);
    }
    assertThat(admin.counter("protean_listener_unreadable_requests_total{listener=\"dubbo\"}"))
        .isEqualTo(1);
  }

  private static byte[] readFrame(InputStream in) throws IOException {
    byte[] header = in.readNBytes(16);
    int length = ByteBuffer.wrap(header, 12, 4).getInt();
    byte[] frame = Arrays.copyOf(header, 16 + length);
    System.arraycopy(in.readNBytes(length), 0, frame, 16, length);
    return frame;
  }

  @Test
  void applicationLevelDiscoveryFetchesMetadataThroughTheProxy() {
    DemoService service = reference(DemoService.class, "FORCE_APPLICATION");
    assertThat(service.greet("bea")).isEqualTo("hello bea from dubbo 3.2.19");
    // Only application-level addresses: the consumer had the metadata, through its route.
    assertThat(admin.sum("protean_cluster_requests_total", "cluster=\"dubbo32_metadata\""))
        .isPositive();
  }

  @Test
  void aGenericCallIsRoutedByItsRealMethod() {
    GenericService service = reference(GenericService.class, null);
    assertThat(service.$invoke("greet", new String[] {String.class.getName()},
        new Object[] {"gen"})).isEqualTo("hello gen from dubbo 3.2.19");
  }
}
