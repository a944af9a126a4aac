package io.protean.bench.jmh;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.protean.abi.ExtensionContext;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Metadata;
import io.protean.abi.filter.FilterContext;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterProvider;
import io.protean.abi.filter.FilterStatus;
import io.protean.proxy.filter.FaultFilterProvider;
import io.protean.proxy.filter.LocalRateLimitFilterProvider;
import io.protean.proxy.filter.RbacFilterProvider;
import io.protean.proxy.observability.Stats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-request decision of the traffic filters, through their public factories as the proxy
 * runs them ({@code newFilter()} then {@code onRequest}), on the metadata the native Dubbo codec
 * extracts from a real request (interface {@code io.protean.bench.EchoService}, method
 * {@code echo}, ...) from peer 10.1.2.3:
 * <ul>
 *   <li>{@code fault-miss}: 4 rules, none matches (the cost every request pays);
 *   <li>{@code fault-sample}: the last of 4 rules matches and draws its abort (one in a million
 *       fires);
 *   <li>{@code ratelimit}: the second of 2 rules matches and takes a token (a bucket too big to
 *       empty: the lock-free acquire, with its clock read);
 *   <li>{@code rbac-metadata}: ALLOW, 3 policies, the third matches on interface and method;
 *   <li>{@code rbac-cidr}: ALLOW, the peer is matched against IPv4 and IPv6 CIDR ranges;
 *   <li>{@code rbac-shadow}: the rbac-metadata rules enforced plus the same as shadow rules.
 * </ul>
 *
 * <pre>java -cp bench/target/protean-bench.jar org.openjdk.jmh.Main TrafficFilterBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
public class TrafficFilterBenchmark {
  @Param({"fault-miss", "fault-sample", "ratelimit", "rbac-metadata", "rbac-cidr", "rbac-shadow"})
  public String decision;

  private FilterFactory factory;
  private Request request;

  static final String RBAC_POLICIES = """
        action: allow
        policies:
          admins:
            permissions: [{any: true}]
            principals: [{metadata: [{key: x-role, exact: admin}]}]
          other-service:
            permissions: [{metadata: [{key: interface, exact: com.example.Other}]}]
            principals: [{any: true}]
          echo-callers:
            permissions: [{metadata: [{key: interface, exact: io.protean.bench.EchoService}, {key: method, exact: echo}]}]
            principals: [{any: true}]
      """;

  /** The filter config (YAML) for each {@code decision}. */
  static String config(String decision) {
    return switch (decision) {
      case "fault-miss", "fault-sample" -> """
          rules:
            - {match: [{key: x-fault, exact: a}], abort: {error: overloaded, percent: 50}}
            - {match: [{key: x-fault, exact: b}], delay: {fixed: 1s, percent: 50}}
            - {match: [{key: method, exact: other}], abort: {error: internal, percent: 50}}
            - {match: [{key: method, exact: MATCH}], abort: {error: internal, percent: 0.0001}}
          """.replace("MATCH", decision.equals("fault-sample") ? "echo" : "nothing");
      case "ratelimit" -> """
          rules:
            - {match: [{key: method, exact: other}], token_bucket: {max_tokens: 10, fill_interval: 1s}}
            - {match: [{key: method, exact: echo}], token_bucket: {max_tokens: 16000000, tokens_per_fill: 16000000, fill_interval: 50ms}}
          """;
      case "rbac-metadata" -> "rules:\n" + RBAC_POLICIES;
      case "rbac-shadow" -> "rules:\n" + RBAC_POLICIES + "shadow_rules:\n" + RBAC_POLICIES;
      case "rbac-cidr" -> """
          rules:
            action: allow
            policies:
              internal:
                permissions: [{any: true}]
                principals: [{direct_remote_ip: "fd00::/8"}, {direct_remote_ip: 192.168.0.0/16}, {direct_remote_ip: 10.0.0.0/8}]
          """;
      default -> throw new IllegalArgumentException(decision);
    };
  }

  static FilterProvider provider(String decision) {
    return decision.startsWith("fault") ? new FaultFilterProvider()
        : decision.equals("ratelimit") ? new LocalRateLimitFilterProvider() : new RbacFilterProvider();
  }

  /** The factory for {@code decision}, from {@code yaml} (its {@link #config}), counting in {@code stats}. */
  @SuppressWarnings("unchecked")
  static FilterFactory factory(String decision, String yaml, Stats stats) {
    try {
      Map<String, Object> config = new ObjectMapper(new YAMLFactory()).readValue(yaml, Map.class);
      return provider(decision).create(config, ExtensionContext.of(stats));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Setup
  public void setup() {
    factory = factory(decision, config(decision), new Stats());
    request = new Request(RouteMatchBenchmark.requestMetadata());
  }

  @Benchmark
  public FilterStatus decide() {
    return factory.newFilter().onRequest(request);
  }

  /** One request's context: the real request's metadata, a fixed peer; counts local replies. */
  static final class Request implements FilterContext {
    private final Frame frame;
    private final InetSocketAddress peer = new InetSocketAddress("10.1.2.3", 40000);
    ErrorType replied;

    Request(Metadata metadata) {
      frame = new Frame(Unpooled.EMPTY_BUFFER, MessageType.REQUEST, 1, metadata, null, 0, 0);
    }

    @Override
    public String listener() {
      return "bench";
    }

    @Override
    public InetSocketAddress downstreamAddress() {
      return peer;
    }

    @Override
    public Frame request() {
      return frame;
    }

    @Override
    public Frame response() {
      return null;
    }

    @Override
    public void setRequestMetadata(String key, String value) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void setResponseMetadata(String key, String value) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void sendLocalReply(ErrorType error, String message) {
      replied = error;
    }

    @Override
    public void resume() {}

    @Override
    public EventExecutor executor() {
      return ImmediateEventExecutor.INSTANCE;
    }
  }
}
