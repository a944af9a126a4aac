package io.protean.wasm.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.EventExecutor;
import io.protean.abi.filter.Filter;
import io.protean.abi.filter.FilterStatus;
import io.protean.testing.RecordingMetrics;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.engine.Engine;
import io.protean.wasm.filter.WasmFilterTest.Request;
import io.protean.wasm.module.ModuleSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The root-context host functions (ticks, metrics, shared data and queues, properties, on_log)
 * and root-only plugins, on real event loops: each loop gets its own instance, as in the proxy.
 * The guests are WAT modules in src/test/resources/wasm/filters that say what they do.
 */
class WasmFilterHostTest {
  static final Path FILTERS = Path.of("src/test/resources/wasm/filters");
  private final EventExecutor loopA = new DefaultEventExecutor();
  private final EventExecutor loopB = new DefaultEventExecutor();

  @AfterEach
  void stopLoops() throws Exception {
    loopA.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    loopB.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  static WasmFilterFactory factory(String module, Engine engine, RecordingMetrics metrics) {
    return new WasmFilterFactory(ModuleSource.file(FILTERS.resolve(module), engine,
        WasmLimits.DEFAULT), new byte[0], false, metrics);
  }

  static <T> T on(EventExecutor loop, Callable<T> task) throws Exception {
    return loop.submit(task).get(30, TimeUnit.SECONDS);
  }

  /** Runs one request through {@code factory}'s instance on {@code loop}, to completion. */
  static Request request(EventExecutor loop, WasmFilterFactory factory) throws Exception {
    Request r = new Request("method", "get");
    r.executor = loop;
    on(loop, () -> {
      Filter f = factory.newFilter();
      assertThat(f.onRequest(r)).isEqualTo(FilterStatus.CONTINUE);
      f.onComplete(r);
      return null;
    });
    return r;
  }

  /** Waits (bounded) until {@code value} reaches {@code expected}; returns the last value seen. */
  static long await(LongSupplier value, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (value.getAsLong() < expected && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    return value.getAsLong();
  }

  static long counter(RecordingMetrics m, String module, String name) {
    return m.value("protean_wasm_filter_counter_total", "module", module, "name", name);
  }

  static long gauge(RecordingMetrics m, String module, String name) {
    return m.value("protean_wasm_filter_gauge", "module", module, "name", name);
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void ticksRunOnTheFiltersLoopAndStopWhenTheLoopReleasesIt(Engine engine) throws Exception {
    RecordingMetrics metrics = new RecordingMetrics();
    WasmFilterFactory factory = factory("host_features.wasm", engine, metrics);
    assertThat(counter(metrics, "host_features.wasm", "ticks")).as("the validating instance never ticks")
        .isZero();
    on(loopA, () -> {
      factory.prepareThread();
      return null;
    });
    assertThat(await(() -> counter(metrics, "host_features.wasm", "ticks"), 3)).isGreaterThanOrEqualTo(3);

    long atRelease = on(loopA, () -> {
      factory.releaseThread();
      return counter(metrics, "host_features.wasm", "ticks");
    });
    // Ten periods later, on the same loop: no tick ran after the release.
    long later = loopA.schedule(() -> counter(metrics, "host_features.wasm", "ticks"), 50,
        TimeUnit.MILLISECONDS).get(30, TimeUnit.SECONDS);
    assertThat(later).isEqualTo(atRelease);
    assertThat(metrics.value("protean_wasm_instances", "module", "host_features.wasm")).isZero();
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void sharedDataAndQueuesSpanTheLoops(Engine engine) throws Exception {
    RecordingMetrics metrics = new RecordingMetrics();
    WasmFilterFactory factory = factory("host_features.wasm", engine, metrics);
    on(loopA, () -> {
      factory.prepareThread(); // registers "jobs": loop A owns it
      return null;
    });
    for (int i = 0; i < 10; i++) {
      Request r = request(i % 2 == 0 ? loopB : loopA, factory); // B's instance starts later
      assertThat(r.frame.metadata().get("stale")).as("a write with a stale cas").isEqualTo("8");
    }
    // Each request incremented shared "n" with compare-and-swap, on either loop.
    assertThat(gauge(metrics, "host_features.wasm", "count")).isEqualTo(10);
    // B's instance registered "jobs" when it started, so it owns the queue from then on: every
    // job reaches exactly one owner, on the owner's loop.
    assertThat(await(() -> counter(metrics, "host_features.wasm", "dequeued"), 10)).isEqualTo(10);
    assertThat(counter(metrics, "host_features.wasm", "logged")).as("on_log once per request")
        .isEqualTo(10);
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void propertiesAreSerializedAsEnvoySerializesThem(Engine engine) throws Exception {
    RecordingMetrics metrics = new RecordingMetrics();
    WasmFilterFactory factory = factory("host_features.wasm", engine, metrics);
    Request r = request(loopA, factory);
    assertThat(r.frame.metadata().get("x-source")).isEqualTo("127.0.0.1:40000");
    assertThat(r.frame.metadata().get("x-plugin")).isEqualTo("host_features.wasm");
    assertThat(gauge(metrics, "host_features.wasm", "port")).as("int64 little-endian").isEqualTo(40000);
    assertThat(gauge(metrics, "host_features.wasm", "time")).as("nanoseconds since the epoch")
        .isEqualTo(Request.RECEIVED);
    assertThat(metrics.has("protean_wasm_filter_histogram", "module", "host_features.wasm", "name",
        "sizes")).isTrue();
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void metricsAreBoundedPerModule(Engine engine) throws Exception {
    RecordingMetrics metrics = new RecordingMetrics();
    WasmFilterFactory factory = factory("metric_bomb.wasm", engine, metrics);
    Request r = request(loopA, factory);
    assertThat(r.frame.metadata().get("define")).as("BadArgument past the bound").isEqualTo("2");
    assertThat(metrics.has("protean_wasm_filter_counter_total", "module", "metric_bomb.wasm", "name",
        "c255")).isTrue();
    assertThat(metrics.has("protean_wasm_filter_counter_total", "module", "metric_bomb.wasm", "name",
        "c256")).isFalse();
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void aRootOnlyPluginLetsRequestsThroughWithoutTrapping(Engine engine) throws Exception {
    RecordingMetrics metrics = new RecordingMetrics();
    WasmFilterFactory factory = factory("root_only.wasm", engine, metrics);
    for (int i = 0; i < 3; i++) {
      Request r = request(loopA, factory);
      assertThat(r.replied).isNull();
    }
    assertThat(factory.instanceFailures()).isZero();
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void aModuleThatCannotMakeAnHttpContextIsRefusedAtLoad(Engine engine) {
    assertThatThrownBy(() -> factory("context_trap.wasm", engine, new RecordingMetrics()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("context_trap.wasm: proxy_on_context_create traps for an HTTP context");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void bodiesAreTheFramesBytesReadOnlyWhenTheFilterAsks(Engine engine) throws Exception {
    ModuleSource body = ModuleSource.file(FILTERS.resolve("body_filter.wasm"), engine, WasmLimits.DEFAULT);
    WasmFilterFactory on = new WasmFilterFactory(body, new byte[0], false, true, new RecordingMetrics(),
        io.protean.abi.HttpCallouts.NONE);
    Request r = new Request("PING and more".getBytes(StandardCharsets.UTF_8), "method", "get");
    Filter f = on.newFilter();
    assertThat(f.onRequest(r)).isEqualTo(FilterStatus.CONTINUE);
    assertThat(r.frame.metadata().get("x-body")).isEqualTo("PING");
    assertThat(f.onResponse(r.respond("PONG!".getBytes(StandardCharsets.UTF_8)))).isEqualTo(FilterStatus.CONTINUE);
    assertThat(r.response.metadata().get("x-body")).isEqualTo("PONG");
    f.onComplete(r);

    WasmFilterFactory off = new WasmFilterFactory(body, new byte[0], false, new RecordingMetrics());
    Request quiet = new Request("PING".getBytes(StandardCharsets.UTF_8), "method", "get");
    assertThat(off.newFilter().onRequest(quiet)).isEqualTo(FilterStatus.CONTINUE);
    assertThat(quiet.frame.metadata().get("x-body")).as("body: false (the default)").isNull();

    WasmLimits d = WasmLimits.DEFAULT;
    WasmLimits small = new WasmLimits(d.maxMemoryPages(), d.maxCallTime(), 16, d.maxPairs(), d.maxStringBytes());
    WasmFilterFactory bounded = new WasmFilterFactory(ModuleSource.file(FILTERS.resolve(
        "body_filter.wasm"), engine, small), new byte[0], false, true, new RecordingMetrics(),
        io.protean.abi.HttpCallouts.NONE);
    Request large = new Request("PING, seventeen b".getBytes(StandardCharsets.UTF_8), "method", "get");
    assertThat(bounded.newFilter().onRequest(large)).isEqualTo(FilterStatus.CONTINUE);
    assertThat(large.frame.metadata().get("x-body")).as("over max_block_bytes: not offered").isNull();
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void theBodyOptionIsABoolean(Engine engine) {
    assertThatThrownBy(() -> new WasmFilterProvider().create(java.util.Map.of("module",
        FILTERS.resolve("body_filter.wasm").toString(), "engine", engine.name().toLowerCase(
        java.util.Locale.ROOT), "body", "yes"), WasmFilterTest.CONTEXT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("body: expected true or false, found 'yes'");
  }
}
