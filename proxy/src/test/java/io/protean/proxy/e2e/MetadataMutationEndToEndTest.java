package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import io.protean.proxy.server.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.dubbo.rpc.RpcContext;
import org.apache.dubbo.rpc.RpcException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Metadata mutation both ways between Apache Dubbo 3.3's own consumer and provider: request
 * attachments set, removed and renamed by {@code set_metadata} arrive at the provider; response
 * attachments the provider sets arrive at the consumer, and those the filter sets, removes and
 * renames too; a proxy-wasm filter (official Rust SDK) adds a response attachment the consumer
 * reads. A consumer reads response attachments from {@code RpcContext.getServerContext()}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class MetadataMutationEndToEndTest {
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private DubboProvider provider;
  private Proxy proxy;
  private DubboConsumer plain;
  private DubboConsumer mutating;
  private DubboConsumer wasmFiltered;
  private DubboConsumer wrongVersion;

  /** The listeners' {@code codec:} value. */
  abstract String codec();

  @BeforeAll
  void start() throws Exception {
    provider = new DubboProvider("p1", Ports.free(), "1.0.0", null);
    closeables.add(provider);
    String cluster = "{cluster: p}";
    String yaml = """
        workers: 1
        admin: {address: "127.0.0.1:0"}
        listeners:
          - name: plain
            address: 127.0.0.1:0
            codec: CODEC
            routes: [CLUSTER]
          - name: mutating
            address: 127.0.0.1:0
            codec: CODEC
            filters:
              - set_metadata:
                  request:
                    set: {x-req-added: "yes"}
                    remove: [x-req-secret]
                    rename: {x-req-old: x-req-new}
                  response:
                    set: {x-resp-added: by-proxy}
                    remove: [x-resp-secret]
                    rename: {x-resp-old: x-resp-new}
            routes: [CLUSTER]
          - name: wasm_filtered
            address: 127.0.0.1:0
            codec: CODEC
            filters:
              - wasm:
                  module: ../example-codecs-rust/wasm/deny_method_filter.wasm
                  config: {deny: [], response_header: x-resp-wasm, response_value: from-rust-sdk}
            routes: [CLUSTER]
        clusters:
          - {name: p, endpoints: ["127.0.0.1:PORT"]}
        """.replace("CODEC", codec()).replace("CLUSTER", cluster)
        .replace("PORT", String.valueOf(provider.port()));
    proxy = Proxy.start(Proxy.configLoader().parse(yaml));
    closeables.add(proxy);
    plain = consumer("plain", "1.0.0");
    mutating = consumer("mutating", "1.0.0");
    wasmFiltered = consumer("wasm_filtered", "1.0.0");
    wrongVersion = consumer("mutating", "9.9.9");
  }

  private DubboConsumer consumer(String listener, String version) {
    DubboConsumer c = new DubboConsumer(proxy.listenerAddress(listener).getPort(), version, null,
        15_000);
    closeables.add(c);
    return c;
  }

  @AfterAll
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** The response attachments of the last call on this thread, as a Dubbo consumer sees them. */
  private static Map<String, Object> responseAttachments() {
    return RpcContext.getServerContext().getObjectAttachments();
  }

  @Test
  void requestAttachmentsAreSetRemovedAndRenamed() {
    RpcContext.getClientAttachment().setAttachment("x-req-secret", "s3cr3t");
    RpcContext.getClientAttachment().setAttachment("x-req-old", "moved");
    RpcContext.getClientAttachment().setAttachment("x-req-kept", "kept");
    String marker = "req-" + System.nanoTime();
    assertThat(mutating.service().greet(marker)).isEqualTo("hello " + marker + " from p1");
    assertThat(provider.attachments()).anySatisfy(a -> assertThat(a)
        .containsEntry("x-req-added", "yes").containsEntry("x-req-new", "moved")
        .containsEntry("x-req-kept", "kept")
        .doesNotContainKeys("x-req-secret", "x-req-old"));
  }

  @Test
  void theProvidersResponseAttachmentsReachTheConsumer() {
    RpcContext.getClientAttachment().setAttachment("x-reply", "x-from-provider=p1");
    plain.service().greet("ann");
    assertThat(responseAttachments()).containsEntry("x-from-provider", "p1");
  }

  @Test
  void responseAttachmentsAreSetRemovedAndRenamed() {
    RpcContext.getClientAttachment().setAttachment("x-reply",
        "x-resp-secret=hidden,x-resp-old=moved,x-resp-kept=kept");
    assertThat(mutating.service().greet("bob")).isEqualTo("hello bob from p1");
    assertThat(responseAttachments()).containsEntry("x-resp-added", "by-proxy")
        .containsEntry("x-resp-new", "moved").containsEntry("x-resp-kept", "kept")
        .doesNotContainKeys("x-resp-secret", "x-resp-old");
  }

  @Test
  void anExceptionResponseKeepsItsExceptionWhenItsAttachmentsChange() {
    RpcContext.getClientAttachment().setAttachment("x-reply", "x-resp-old=moved");
    Throwable t = catchThrowable(() -> mutating.service().fail("boom"));
    assertThat(t).hasMessageContaining("boom");
  }

  @Test
  void anErrorStatusResponseIsForwardedUnchangedAndCounted() {
    AdminClient admin = new AdminClient(proxy.adminAddress());
    String series = "protean_listener_response_mutations_refused_total{listener=\"mutating\"}";
    long before = admin.counter(series);
    // The provider exports no 9.9.9: it answers with an error status, which carries no attachments.
    Throwable t = catchThrowable(() -> wrongVersion.service().greet("x"));
    assertThat(t).isInstanceOf(RpcException.class).hasMessageContaining("9.9.9");
    assertThat(admin.counter(series)).isEqualTo(before + 1);
  }

  @Test
  void aProxyWasmFilterAddsAResponseAttachment() {
    RpcContext.getClientAttachment().setAttachment("x-reply", "x-from-provider=p1");
    assertThat(wasmFiltered.service().greet("cy")).isEqualTo("hello cy from p1");
    assertThat(responseAttachments()).containsEntry("x-resp-wasm", "from-rust-sdk")
        .containsEntry("x-from-provider", "p1");
  }
}
