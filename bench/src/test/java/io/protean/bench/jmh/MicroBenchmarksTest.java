package io.protean.bench.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Mutation;
import io.protean.proxy.upstream.UpstreamConnection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The micro-benchmarks measure what they claim: real frames that every codec decodes alike,
 * encodes that come back decodable, the route the target names, a pick that returns a connection.
 * No timing is checked here.
 */
class MicroBenchmarksTest {

  private static Frame decode(Codec codec, byte[] bytes) {
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    Frame f = codec.decode(in);
    assertThat(f).isNotNull();
    assertThat(f.length()).isEqualTo(bytes.length);
    in.release();
    return f;
  }

  @ParameterizedTest
  @CsvSource({"dubbo, native", "dubbo, wasm-compiler", "dubbo, wasm-interpreter",
      "thrift, native", "thrift, wasm-compiler", "thrift, wasm-interpreter"})
  void everyCodecDecodesAndEncodesTheRealFrames(String protocol, String codec) {
    boolean dubbo = protocol.equals("dubbo");
    Codec c = CodecBenchmark.factory(protocol, codec).newCodec();
    Frame request = decode(c, dubbo ? BenchFrames.dubboRequest(256) : BenchFrames.thriftCall(256));
    assertThat(request.type()).isEqualTo(MessageType.REQUEST);
    assertThat(request.metadata().get("method")).isEqualTo("echo");
    assertThat(request.length()).isBetween(250, 262);

    Frame response = decode(CodecBenchmark.factory(protocol, codec).newCodec(),
        dubbo ? BenchFrames.dubboResponse(256) : BenchFrames.thriftReply(256));
    assertThat(response.type()).isEqualTo(MessageType.RESPONSE);
    assertThat(response.responseStatus()).isEqualTo("OK");
    assertThat(response.length()).isBetween(250, 262);
    response.release();

    // What the encode benchmark encodes decodes again, with the mutation applied.
    Mutation mutation = dubbo ? new Mutation().set("x-tenant", "blue") : new Mutation();
    ByteBuf encoded = c.encode(request, mutation, ByteBufAllocator.DEFAULT);
    byte[] bytes = new byte[encoded.readableBytes()];
    encoded.readBytes(bytes).release();
    Frame again = decode(CodecBenchmark.factory(protocol, codec).newCodec(), bytes);
    Map<String, String> expected = request.metadata().toMap();
    if (dubbo) {
      expected.put("x-tenant", "blue");
    }
    assertThat(again.metadata().toMap()).isEqualTo(expected);
    again.release();

    ByteBuf reply = c.errorReply(request, ErrorType.ROUTE_NOT_FOUND, "no route", ByteBufAllocator.DEFAULT);
    bytes = new byte[reply.readableBytes()];
    reply.readBytes(bytes).release();
    Frame error = decode(CodecBenchmark.factory(protocol, codec).newCodec(), bytes);
    assertThat(error.type()).isEqualTo(MessageType.ERROR);
    error.release();
    request.release();
  }

  @Test
  void theWasmCodecsExtractTheNativeCodecsMetadata() {
    for (String protocol : new String[] {"dubbo", "thrift"}) {
      byte[] frame = protocol.equals("dubbo") ? BenchFrames.dubboRequest(256) : BenchFrames.thriftCall(256);
      Frame expected = decode(CodecBenchmark.factory(protocol, "native").newCodec(), frame);
      Frame actual = decode(CodecBenchmark.factory(protocol, "wasm-compiler").newCodec(), frame);
      assertThat(actual.metadata().toMap()).isEqualTo(expected.metadata().toMap());
      assertThat(actual.requestId()).isEqualTo(expected.requestId());
      expected.release();
      actual.release();
    }
  }

  @Test
  void theCodecBenchmarkRunsEveryOperation() {
    CodecBenchmark b = new CodecBenchmark();
    b.protocol = "thrift";
    b.codec = "native";
    b.frameBytes = 256;
    b.setup();
    assertThat(b.decodeRequest()).isPositive();
    assertThat(b.decodeResponse()).isPositive();
    assertThat(b.decodeResponseWithMetadata()).isPositive();
    assertThat(b.encodeRequest()).isPositive();
    assertThat(b.errorReply()).isPositive();
    b.tearDown();
  }

  @ParameterizedTest
  @CsvSource({"first, route-0", "middle, route-500", "last, route-999", "miss, "})
  void theRequestHitsTheTargetRoute(String target, String route) {
    RouteMatchBenchmark b = new RouteMatchBenchmark();
    b.routes = 1000;
    b.target = target;
    b.setup();
    if (route == null) {
      assertThat(b.match()).isNull();
    } else {
      assertThat(b.match().name()).isEqualTo(route);
    }
  }

  @Test
  void theRouteTableHoldsTheRealRequestsMetadata() {
    assertThat(RouteMatchBenchmark.requestMetadata().toMap())
        .containsEntry("interface", "io.protean.bench.EchoService")
        .containsEntry("method", "echo")
        .containsEntry("version", "0.0.0");
    assertThat(RouteMatchBenchmark.config(10).listeners().get(0).routes()).hasSize(10);
  }

  @ParameterizedTest
  @ValueSource(strings = {"round_robin", "random", "least_request", "ring_hash", "maglev"})
  void everyPolicyPicksAConnection(String lb) throws Exception {
    LbPickBenchmark b = new LbPickBenchmark();
    b.lb = lb;
    b.endpoints = 3;
    b.setup();
    try {
      Set<UpstreamConnection> seen = new HashSet<>();
      for (int i = 0; i < 300; i++) {
        UpstreamConnection c = b.pick();
        assertThat(c).isNotNull();
        seen.add(c);
      }
      // Every endpoint's one connection was opened in setup and is reused, never a new one.
      assertThat(seen).hasSizeBetween(1, 3);
      if (!lb.equals("least_request")) {
        assertThat(seen).hasSize(3);
      }
    } finally {
      b.tearDown();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 10})
  void theRouteDrawsItsWeightedClustersAndHashesTheAttachment(int clusters) {
    RouteChoiceBenchmark b = new RouteChoiceBenchmark();
    b.clusters = clusters;
    b.setup();
    Map<String, Integer> drawn = new java.util.TreeMap<>();
    for (int i = 0; i < 10_000; i++) {
      drawn.merge(b.pickCluster(), 1, Integer::sum);
    }
    assertThat(drawn).hasSize(clusters);
    if (clusters == 2) {
      // 9 000 expected; outside 8 700..9 300 has a probability under 1e-20 for a fair draw.
      assertThat(drawn.get("c0")).isBetween(8_700, 9_300);
    }
    long hash = b.hash();
    assertThat(hash).isNotEqualTo(io.protean.proxy.cluster.lb.LoadBalancer.NO_HASH)
        .isEqualTo(b.hash());
  }

  @ParameterizedTest
  @CsvSource({"rust-dubbo, compiler, wasm-host", "rust-dubbo, compiler, endive",
      "go-thrift, compiler, wasm-host", "go-thrift, compiler, endive",
      "rust-dubbo, interpreter, wasm-host", "go-thrift, interpreter, endive"})
  void theGuestCallReachesTheNoOpExport(String module, String engine, String api) {
    GuestCallBenchmark b = new GuestCallBenchmark();
    b.module = module;
    b.engine = engine;
    b.api = api;
    b.setup();
    try {
      long[] results = b.call(); // protean_codec_abi_v1 returns nothing (Endive: null)
      assertThat(results == null || results.length == 0).isTrue();
    } finally {
      b.tearDown();
    }
  }

  /** Each traffic-filter decision takes the path it is named for, on the benchmark's request. */
  @ParameterizedTest
  @CsvSource({
      "fault-miss, ",
      "fault-sample, 'protean_fault_aborts_injected_total{stat_prefix=\"fault\",rule=\"3\"} 1'",
      "ratelimit, 'protean_local_ratelimit_requests_total{stat_prefix=\"local_ratelimit\",rule=\"1\",decision=\"ok\"} 1'",
      "rbac-metadata, 'protean_rbac_decisions_total{stat_prefix=\"rbac\",policy=\"echo-callers\",decision=\"allowed\"} 1'",
      "rbac-cidr, 'protean_rbac_decisions_total{stat_prefix=\"rbac\",policy=\"internal\",decision=\"allowed\"} 1'",
      "rbac-shadow, 'protean_rbac_decisions_total{stat_prefix=\"rbac\",policy=\"echo-callers\",decision=\"shadow_allowed\"} 1'"})
  void theTrafficFilterDecisionsTakeTheirPath(String decision, String counted) {
    io.protean.proxy.observability.Stats stats = new io.protean.proxy.observability.Stats();
    // The fault rule's share raised to 100 %: the benchmark's rule is the one that matches.
    String yaml = TrafficFilterBenchmark.config(decision).replace("percent: 0.0001", "percent: 100");
    TrafficFilterBenchmark.Request request =
        new TrafficFilterBenchmark.Request(RouteMatchBenchmark.requestMetadata());
    io.protean.abi.filter.FilterStatus status =
        TrafficFilterBenchmark.factory(decision, yaml, stats).newFilter().onRequest(request);
    if (decision.equals("fault-sample")) {
      assertThat(status).isEqualTo(io.protean.abi.filter.FilterStatus.STOP);
      assertThat(request.replied).isEqualTo(ErrorType.INTERNAL);
    } else {
      assertThat(status).isEqualTo(io.protean.abi.filter.FilterStatus.CONTINUE);
      assertThat(request.replied).isNull();
    }
    if (counted != null) {
      assertThat(stats.prometheus()).contains(counted + "\n");
    } else {
      assertThat(stats.prometheus()).doesNotContain("} 1\n");
    }
  }
}
