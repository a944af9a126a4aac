package io.protean.wasm.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.EventExecutor;
import io.protean.abi.Reloadable.Staged;
import io.protean.abi.filter.Filter;
import io.protean.abi.filter.FilterStatus;
import io.protean.testing.RecordingMetrics;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.engine.Engine;
import io.protean.wasm.filter.WasmFilterTest.Request;
import io.protean.wasm.module.ModuleBytes;
import io.protean.wasm.module.ModuleSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A Wasm filter's reload and release, with the official Rust SDK's filter: a request that started
 * on an instance finishes on it (the SDK panics on a context id it never created, so a response
 * sent to another instance would fail the request), and an instance taken out of service closes
 * with its last request.
 */
class FilterReloadTest {
  static final byte[] CONFIG =
      "{\"deny\": [\"slow\"], \"header\": \"x-filtered-by\", \"value\": \"protean\"}".getBytes();

  @TempDir
  Path dir;
  final RecordingMetrics metrics = new RecordingMetrics();
  final List<EventExecutor> loops = new ArrayList<>();
  Path file;

  @AfterEach
  void stopLoops() {
    loops.forEach(l -> l.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly());
  }

  long created() {
    return metrics.value("protean_wasm_instances_created_total", "module", "filter.wasm");
  }

  long alive() {
    return metrics.value("protean_wasm_instances", "module", "filter.wasm");
  }

  WasmFilterFactory factory(Engine engine) throws Exception {
    file = Files.copy(WasmFilterTest.DENY, dir.resolve("filter.wasm"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return new WasmFilterFactory(ModuleSource.file(file, engine, WasmLimits.DEFAULT), CONFIG, false,
        metrics);
  }

  /** Runs a request to its end: request, response, completion. */
  static void complete(Filter filter, Request r) {
    assertThat(filter.onResponse(r.respond("status", "ok"))).isEqualTo(FilterStatus.CONTINUE);
    filter.onComplete(r);
    assertThat(r.replied).as(r.message).isNull();
  }

  <T> T on(EventExecutor loop, Callable<T> task) throws Exception {
    return loop.submit(task).get();
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void requestsInFlightFinishOnTheInstanceThatSawThem(Engine engine) throws Exception {
    WasmFilterFactory factory = factory(engine);
    assertThat(factory.stage()).isNull();
    // The Go SDK's filter refuses the deny filter's configuration: validated with it, refused.
    Files.copy(Path.of("../example-codecs-tinygo/wasm/tenant_guard_filter.wasm"), file,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(factory::stage).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("filter.wasm: proxy_on_configure returned false");

    Filter early = factory.newFilter();
    Request first = new Request("method", "greet");
    assertThat(early.onRequest(first)).isEqualTo(FilterStatus.CONTINUE);
    assertThat(first.frame.metadata().get("x-filtered-by")).isEqualTo("protean");

    Files.write(file, ModuleBytes.retagged(Files.readAllBytes(WasmFilterTest.DENY), "v2"));
    Staged staged = factory.stage();
    Filter stillOld = factory.newFilter();
    Request second = new Request("method", "greet");
    stillOld.onRequest(second);
    assertThat(created()).as("staged, not committed").isEqualTo(1);

    staged.commit();
    Filter late = factory.newFilter();
    Request third = new Request("method", "greet");
    assertThat(late.onRequest(third)).isEqualTo(FilterStatus.CONTINUE);
    assertThat(created()).isEqualTo(2);
    assertThat(alive()).as("the old instance has two requests in flight").isEqualTo(2);

    complete(early, first);
    assertThat(alive()).isEqualTo(2);
    complete(stillOld, second);
    assertThat(alive()).as("closed with its last request").isEqualTo(1);
    complete(late, third);
    assertThat(alive()).isEqualTo(1);
    assertThat(factory.instanceFailures()).isZero();
  }

  @Test
  void aReleasedLoopKeepsItsInstanceUntilItsLastRequestCompletes() throws Exception {
    WasmFilterFactory factory = factory(Engine.COMPILER);
    EventExecutor loop = new DefaultEventExecutor();
    loops.add(loop);
    Filter filter = factory.newFilter();
    Request r = new Request("method", "greet");
    on(loop, () -> {
      factory.prepareThread();
      return filter.onRequest(r);
    });
    on(loop, () -> {
      factory.releaseThread();
      return null;
    });
    assertThat(alive()).as("a request is in flight on it").isEqualTo(1);
    on(loop, () -> {
      complete(filter, r);
      return null;
    });
    assertThat(alive()).isZero();

    on(loop, () -> {
      factory.prepareThread();
      factory.releaseThread();
      return null;
    });
    assertThat(created()).isEqualTo(2);
    assertThat(alive()).as("nothing in flight: closed at once").isZero();
  }

  /** Reloads replace factories again and again: each loop's instance of each is closed. */
  @Test
  void factoriesReleasedOverAndOverLeaveNoInstanceBehind() throws Exception {
    List<EventExecutor> two = List.of(new DefaultEventExecutor(), new DefaultEventExecutor());
    loops.addAll(two);
    for (int round = 0; round < 25; round++) {
      WasmFilterFactory factory = factory(Engine.COMPILER);
      for (EventExecutor loop : two) {
        on(loop, () -> {
          factory.prepareThread();
          Filter done = factory.newFilter();
          Request quick = new Request("method", "a");
          done.onRequest(quick);
          complete(done, quick);
          Filter lingering = factory.newFilter();
          Request slow = new Request("method", "b");
          lingering.onRequest(slow);
          factory.releaseThread(); // a request still in flight
          complete(lingering, slow);
          return null;
        });
      }
      assertThat(alive()).as("round " + round).isZero();
    }
    assertThat(created()).isEqualTo(50);
    assertThat(metrics.value("protean_wasm_instance_failures_total", "module", "filter.wasm",
        "reason", "trap")).isZero();
  }
}
