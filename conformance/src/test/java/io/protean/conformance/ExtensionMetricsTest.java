package io.protean.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.abi.ExtensionContext;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.filter.FilterFactory;
import io.protean.proxy.codec.CodecRegistry;
import io.protean.proxy.config.model.ProxyConfig.CodecConfig;
import io.protean.proxy.config.model.ProxyConfig.FilterConfig;
import io.protean.proxy.filter.FilterRegistry;
import io.protean.proxy.observability.Stats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wasm codecs and filters count into the registry the proxy hands its registries (one registry,
 * rendered whole by {@code /stats}), with their module's file name as a label value, escaped.
 * Here, where the proxy, the registries and the Wasm host meet.
 */
class ExtensionMetricsTest {
  @TempDir
  Path dir;

  @Test
  void wasmExtensionsCountIntoTheProxysRegistryWithEscapedLabels() throws Exception {
    // File names may hold what Prometheus label values must escape: quote, backslash, newline.
    Path codecModule = Files.copy(Path.of("../example-codecs-rust/wasm/tinyrpc.wasm"),
        dir.resolve("tiny\"rpc\\v2\n.wasm"));
    Path filterModule = Files.copy(Path.of("../example-codecs-rust/wasm/deny_method_filter.wasm"),
        dir.resolve("deny \"all\".wasm"));
    Stats stats = new Stats();
    ExtensionContext context = ExtensionContext.of(stats);

    CodecFactory codec = new CodecRegistry(context).create(new CodecConfig("wasm",
        Map.of("module", codecModule.toString())), "listeners[0].codec");
    FilterFactory filter = new FilterRegistry(context).create(new FilterConfig("wasm",
        Map.of("module", filterModule.toString())), "listeners[0].filters[0]");
    codec.prepareThread();
    filter.prepareThread();

    String text = stats.prometheus();
    assertThat(text)
        .contains("protean_wasm_instances_created_total{module=\"tiny\\\"rpc\\\\v2\\n.wasm\"} 1\n")
        .contains("protean_wasm_instances{module=\"tiny\\\"rpc\\\\v2\\n.wasm\"} 1\n")
        .contains("protean_wasm_instance_failures_total{module=\"tiny\\\"rpc\\\\v2\\n.wasm\",reason=\"trap\"} 0\n")
        .contains("protean_wasm_instances_created_total{module=\"deny \\\"all\\\".wasm\"} 1\n")
        .contains("# TYPE protean_wasm_instances gauge\n");
    // Each family once: the host's metrics and the proxy's are one exposition.
    assertThat(text.split("# TYPE protean_wasm_instances_created_total ", -1)).hasSize(2);

    codec.releaseThread();
    filter.releaseThread();
    assertThat(stats.prometheus())
        .contains("protean_wasm_instances{module=\"tiny\\\"rpc\\\\v2\\n.wasm\"} 0\n")
        .contains("protean_wasm_instances{module=\"deny \\\"all\\\".wasm\"} 0\n");
  }
}
