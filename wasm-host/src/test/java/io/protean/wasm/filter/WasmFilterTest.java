package io.protean.wasm.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.protean.abi.ExtensionContext;
import io.protean.abi.Metrics;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Metadata;
import io.protean.abi.filter.Filter;
import io.protean.abi.filter.FilterContext;
import io.protean.abi.filter.FilterStatus;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.engine.Engine;
import io.protean.wasm.module.ModuleSource;
import io.protean.testing.RecordingMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The proxy-wasm host on both engines, with a filter built by the official Rust SDK
 * (example-codecs-rust/filters/deny_method) and a hostile WAT filter. The filter context here is
 * the SPI boundary the proxy implements (ActiveRequest); the proxy's end-to-end tests run the same
 * filter on real requests.
 */
class WasmFilterTest {
  static final Path DENY = Path.of("../example-codecs-rust/wasm/deny_method_filter.wasm");
  static final ExtensionContext CONTEXT = ExtensionContext.of(new RecordingMetrics());
  static final Path HOSTILE = Path.of("src/test/resources/wasm/filters/hostile_filter.wasm");

  /**
   * What a filter did to one request. Like the proxy's, it refuses request metadata changes once
   * the request was forwarded (the response phase).
   */
  static final class Request implements FilterContext {
    final Frame frame;
    Frame response;
    ErrorType replied;
    String message;
    int resumed;
    /** The loop the request lives on. */
    EventExecutor executor = ImmediateEventExecutor.INSTANCE;
    /** When it was read (request.time). */
    static final long RECEIVED = 1_700_000_000_123_456_789L;

    Request(String... kv) {
      this(new byte[0], kv);
    }

    /** A request whose frame's bytes are {@code bytes}. */
    Request(byte[] bytes, String... kv) {
      Metadata m = new Metadata();
      for (int i = 0; i < kv.length; i += 2) {
        m.put(kv[i], kv[i + 1]);
      }
      frame = new Frame(Unpooled.wrappedBuffer(bytes), MessageType.REQUEST, 1, m, null, 0, 0);
    }

    @Override
    public String listener() {
      return "test";
    }

    @Override
    public java.net.InetSocketAddress downstreamAddress() {
      return new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 40000);
    }

    @Override
    public Frame request() {
      return frame;
    }

    /** The response arrives: the response phase begins. */
    Request respond(String... kv) {
      return respond(new byte[0], kv);
    }

    /** The response, with {@code bytes} as its frame's bytes, arrives. */
    Request respond(byte[] bytes, String... kv) {
      Metadata m = new Metadata();
      for (int i = 0; i < kv.length; i += 2) {
        m.put(kv[i], kv[i + 1]);
      }
      response = new Frame(Unpooled.wrappedBuffer(bytes), MessageType.RESPONSE, 1, m, "OK", 0, 0);
      return this;
    }

    @Override
    public Frame response() {
      return response;
    }

    @Override
    public void setRequestMetadata(String key, String value) {
      if (response != null) {
        throw new IllegalStateException("request metadata cannot change once it was forwarded");
      }
      if (value == null) {
        frame.metadata().remove(key);
      } else {
        frame.metadata().put(key, value);
      }
    }

    @Override
    public void setResponseMetadata(String key, String value) {
      if (response == null) {
        throw new IllegalStateException("response metadata can change only in onResponse");
      }
      if (value == null) {
        response.metadata().remove(key);
      } else {
        response.metadata().put(key, value);
      }
    }

    @Override
    public void sendLocalReply(ErrorType error, String message) {
      replied = error;
      this.message = message;
    }

    @Override
    public void resume() {
      resumed++;
    }

    @Override
    public EventExecutor executor() {
      return executor;
    }

    @Override
    public long receivedEpochNanos() {
      return RECEIVED;
    }
  }

  static WasmFilterFactory deny(Engine engine) {
    return new WasmFilterFactory(ModuleSource.file(DENY, engine, WasmLimits.DEFAULT),
        "{\"deny\": [\"slow\"], \"header\": \"x-filtered-by\", \"value\": \"protean\"}".getBytes(),
        false, new RecordingMetrics());
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void officialRustSdkFilterDeniesAndAddsHeaders(Engine engine) throws Exception {
    WasmFilterFactory factory = deny(engine);

    Request allowed = new Request("method", "greet", "interface", "a.B");
    Filter f1 = factory.newFilter();
    assertThat(f1.onRequest(allowed)).isEqualTo(FilterStatus.CONTINUE);
    assertThat(allowed.frame.metadata().get("x-filtered-by")).isEqualTo("protean");
    f1.onComplete(allowed);

    Request denied = new Request("method", "slow");
    Filter f2 = factory.newFilter();
    assertThat(f2.onRequest(denied)).isEqualTo(FilterStatus.STOP);
    assertThat(denied.replied).isEqualTo(ErrorType.LOCAL_REPLY);
    assertThat(denied.message).isEqualTo("method slow is denied");
    f2.onComplete(denied);

    // Many requests on the same instance: contexts are created and deleted cleanly.
    for (int i = 0; i < 200; i++) {
      Request r = new Request("method", "m" + i);
      Filter f = factory.newFilter();
      assertThat(f.onRequest(r)).isEqualTo(FilterStatus.CONTINUE);
      f.onComplete(r);
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void refusesModulesThatAreNotProxyWasm(Engine engine) throws Exception {
    byte[] codec = Files.readAllBytes(Path.of("src/test/resources/wasm/lenprefix.wasm"));
    assertThatThrownBy(() -> new WasmFilterFactory(ModuleSource.of("lenprefix.wasm", codec, engine,
        WasmLimits.DEFAULT), new byte[0], false, new RecordingMetrics())).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("lenprefix.wasm is not a proxy-wasm module: it exports neither "
            + "proxy_abi_version_0_2_1 nor proxy_abi_version_0_2_0");
  }

  static WasmFilterFactory hostile(Engine engine, boolean failOpen) {
    return hostile(engine, failOpen, new RecordingMetrics());
  }

  static WasmFilterFactory hostile(Engine engine, boolean failOpen, Metrics metrics) {
    return new WasmFilterFactory(ModuleSource.file(HOSTILE, engine, WasmLimits.DEFAULT), new byte[0],
        failOpen, metrics);
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void aTrappingFilterFailsClosedOrOpenAndIsReplaced(Engine engine) throws Exception {
    RecordingMetrics metrics = new RecordingMetrics();
    WasmFilterFactory closed = hostile(engine, false, metrics);
    Request r = new Request("method", "x"); // one header: the guest traps
    assertThat(closed.newFilter().onRequest(r)).isEqualTo(FilterStatus.STOP);
    assertThat(r.replied).isEqualTo(ErrorType.INTERNAL);
    assertThat(r.message).startsWith("wasm filter hostile_filter.wasm failed: ");
    assertThat(metrics.value("protean_wasm_instance_failures_total", "module", "hostile_filter.wasm",
        "reason", "trap")).isEqualTo(1);
    assertThat(closed.instanceFailures()).isEqualTo(1);

    Request next = new Request(); // no headers: a new instance continues
    assertThat(closed.newFilter().onRequest(next)).isEqualTo(FilterStatus.CONTINUE);

    WasmFilterFactory open = hostile(engine, true);
    Request tolerated = new Request("method", "x");
    assertThat(open.newFilter().onRequest(tolerated)).isEqualTo(FilterStatus.CONTINUE);
    assertThat(tolerated.replied).isNull();
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void anEndlessFilterIsStopped(Engine engine) throws Exception {
    Request r = new Request("a", "1", "b", "2"); // two headers: the guest loops
    assertThat(hostile(engine, false).newFilter().onRequest(r)).isEqualTo(FilterStatus.STOP);
    assertThat(r.message).contains("exceeded its time limit");
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void badPointersGetInvalidMemoryAccess(Engine engine) throws Exception {
    Request r = new Request("a", "1", "b", "2", "c", "3"); // three headers: bad pointers
    assertThat(hostile(engine, false).newFilter().onRequest(r)).isEqualTo(FilterStatus.CONTINUE);
    assertThat(r.replied).isNull();
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void filtersRunUnderTheLimitsTheirOptionsSet(Engine engine) {
    String name = engine.name().toLowerCase(Locale.ROOT);
    Filter timed = new WasmFilterProvider().create(Map.of("module", HOSTILE.toString(), "engine", name,
        "max_call_time", "50ms"), CONTEXT).newFilter();
    Request endless = new Request("a", "1", "b", "2"); // two headers: the guest loops
    assertThat(timed.onRequest(endless)).isEqualTo(FilterStatus.STOP);
    assertThat(endless.message).contains("exceeded its time limit of 50 ms");

    // Four headers: the guest grows its memory by 2 pages and pauses if that worked.
    Filter small = new WasmFilterProvider().create(Map.of("module", HOSTILE.toString(), "engine", name,
        "max_memory_pages", 3), CONTEXT).newFilter();
    assertThat(small.onRequest(new Request("a", "1", "b", "2", "c", "3", "d", "4")))
        .as("refused past 3 pages").isEqualTo(FilterStatus.CONTINUE);
    Filter large = new WasmFilterProvider().create(Map.of("module", HOSTILE.toString(), "engine", name),
        CONTEXT).newFilter();
    assertThat(large.onRequest(new Request("a", "1", "b", "2", "c", "3", "d", "4")))
        .as("allowed by the default limit").isEqualTo(FilterStatus.STOP);
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void hostFunctionsCheckStringsAgainstTheConfiguredLimit(Engine engine) {
    // Five headers: the guest logs a 100-byte message and pauses unless it is refused.
    WasmLimits d = WasmLimits.DEFAULT;
    WasmLimits small = new WasmLimits(d.maxMemoryPages(), d.maxCallTime(), d.maxBlockBytes(), d.maxPairs(), 64);
    Request five = new Request("a", "1", "b", "2", "c", "3", "d", "4", "e", "5");
    Filter limited = new WasmFilterFactory(ModuleSource.file(HOSTILE, engine, small), new byte[0], false,
        new RecordingMetrics())
        .newFilter();
    assertThat(limited.onRequest(five)).isEqualTo(FilterStatus.CONTINUE);
    assertThat(hostile(engine, false).newFilter().onRequest(five)).as("accepted under the default")
        .isEqualTo(FilterStatus.STOP);
    Filter configured = new WasmFilterProvider().create(Map.of("module", HOSTILE.toString(), "engine",
        engine.name().toLowerCase(Locale.ROOT), "max_string_bytes", 64), CONTEXT).newFilter();
    assertThat(configured.onRequest(five)).isEqualTo(FilterStatus.CONTINUE);
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void requestHeadersChangedAfterForwardingAreIgnoredNotFatal(Engine engine) {
    RecordingMetrics metrics = new RecordingMetrics();
    WasmFilterFactory factory = new WasmFilterFactory(ModuleSource.file(Path.of(
        "src/test/resources/wasm/filters/response_mutator.wasm"), engine, WasmLimits.DEFAULT),
        new byte[0], false, metrics); // fail_closed: a failure here would turn into INTERNAL
    for (int i = 0; i < 3; i++) {
      Filter filter = factory.newFilter();
      Request r = new Request("method", "greet");
      assertThat(filter.onRequest(r)).isEqualTo(FilterStatus.CONTINUE);
      assertThat(r.frame.metadata().get("k")).as("changed before forwarding").isEqualTo("v");

      assertThat(filter.onResponse(r.respond("status", "ok"))).isEqualTo(FilterStatus.CONTINUE);
      assertThat(r.replied).as(r.message).isNull();
      // Ok (0), as Envoy answers: the Rust SDK panics on anything else.
      assertThat(r.response.metadata().toMap()).as("each change got Ok (0), and was ignored")
          .containsEntry("replace", "0").containsEntry("add", "0").containsEntry("remove", "0");
      assertThat(r.frame.metadata().get("k")).as("the request is as it was forwarded").isEqualTo("v");
      filter.onComplete(r);
    }
    assertThat(factory.instanceFailures()).isZero();
    assertThat(metrics.value("protean_wasm_instances_created_total", "module", "response_mutator.wasm"))
        .as("the instance lives on").isEqualTo(1);
  }
}
