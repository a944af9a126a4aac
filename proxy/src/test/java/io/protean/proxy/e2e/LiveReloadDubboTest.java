package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link LiveReloadTest} with Apache Dubbo's own consumers and providers: 12 consumers on the
 * native codec, 4 on the Rust Wasm codec, whose module file is replaced by the Go build and back
 * (the last 4 of the 20 reloads).
 */
class LiveReloadDubboTest extends LiveReloadTest {
  private static final String RUST = "../example-codecs-rust/wasm/dubbo.wasm";
  private static final String GO = "../example-codecs-tinygo/wasm/dubbo.wasm";
  private Path module;

  @Override
  int startUpstream(String name, List<AutoCloseable> closeables) {
    DubboProvider p = new DubboProvider(name, Ports.free(), "1.0.0", null);
    closeables.add(p);
    return p.port();
  }

  @Override
  String codec() {
    return "dubbo";
  }

  @Override
  String everyCall() {
    return "{key: version, prefix: \"1.\"}";
  }

  @Override
  Call client(String listener, List<AutoCloseable> closeables) {
    DubboConsumer c = new DubboConsumer(proxy.listenerAddress(listener).getPort(), "1.0.0", null,
        10_000);
    closeables.add(c);
    return () -> {
      String reply = c.service().slow(0); // "u1 slept 0 ms"
      return reply.substring(0, reply.indexOf(' '));
    };
  }

  private Path module() {
    if (module == null) {
      module = dir.resolve("codec.wasm");
      copy(RUST);
    }
    return module;
  }

  private void copy(String from) {
    try {
      Files.copy(Path.of(from), module, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  String extraListeners() {
    return "  - name: extra\n    address: 127.0.0.1:0\n    codec: {wasm: {module: " + module()
        + "}}\n    routes: [{cluster: wasm_c1}]\n";
  }

  @Override
  String extraClusters() {
    return "  - {name: wasm_c1, endpoints: [" + ep("u1") + "]}\n";
  }

  @Override
  int extraClients() {
    return 4;
  }

  @Override
  List<Runnable> extraChanges() {
    List<Runnable> swaps = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String next = i % 2 == 0 ? GO : RUST;
      swaps.add(() -> copy(next));
    }
    return swaps;
  }

  @Override
  long extraFigure() {
    return admin.sum("protean_wasm_instances_created_total", "codec.wasm");
  }

  /** Each of the two loops instantiates the new module at its next frame. */
  @Override
  void awaitExtraChange(int index, long before) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    while (extraFigure() < before + 2 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(extraFigure()).as("instances of the new module").isGreaterThanOrEqualTo(before + 2);
  }
}
