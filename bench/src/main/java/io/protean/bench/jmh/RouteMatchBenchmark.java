package io.protean.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.Metadata;
import io.protean.proxy.codec.dubbo.DubboCodecFactory;
import io.protean.proxy.config.yaml.ConfigLoader;
import io.protean.proxy.config.model.ProxyConfig;
import io.protean.proxy.route.Route;
import io.protean.proxy.route.RouteTable;
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
 * Route matching on the proxy's {@link RouteTable}, loaded from YAML by {@link ConfigLoader} as
 * the proxy loads it: {@code routes} routes, route {@code k} matching
 * {@code interface: com.example.svc.Service<k>} (exact) and {@code version: 0.0.0} (exact), as
 * a listener routing many Dubbo services to their own clusters would. The request's metadata is
 * what the native Dubbo codec extracts from a real request (interface, method, version, dubbo,
 * path, timeout...), with its {@code interface} set to the target route's service ({@code miss}:
 * a service no route names). Ten routes are tried in order, so the cost is that of the routes
 * before the hit; a thousand are indexed on {@code interface} ({@code RouteTable}).
 *
 * <pre>java -cp bench/target/protean-bench.jar org.openjdk.jmh.Main RouteMatchBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
public class RouteMatchBenchmark {
  @Param({"10", "1000"})
  public int routes;

  /** Which route the request hits: the first, the middle one, the last, or none. */
  @Param({"first", "middle", "last", "miss"})
  public String target;

  private RouteTable table;
  private Metadata metadata;

  @Setup
  public void setup() {
    table = new RouteTable(config(routes).listeners().get(0).routes());
    metadata = requestMetadata();
    metadata.put("interface", service(switch (target) {
      case "first" -> 0;
      case "middle" -> routes / 2;
      case "last" -> routes - 1;
      case "miss" -> routes; // no route names it
      default -> throw new IllegalArgumentException(target);
    }));
  }

  static String service(int k) {
    return "com.example.svc.Service" + k;
  }

  /** A one-listener configuration with {@code n} routes, parsed and validated by ConfigLoader. */
  static ProxyConfig config(int n) {
    StringBuilder yaml = new StringBuilder("""
        admin: {enabled: false}
        clusters:
          - name: services
            endpoints: ["127.0.0.1:20880"]
        listeners:
          - name: dubbo
            address: 127.0.0.1:20881
            codec: dubbo
            routes:
        """);
    for (int k = 0; k < n; k++) {
      yaml.append("      - name: route-").append(k).append('\n')
          .append("        match:\n")
          .append("          metadata:\n")
          .append("            - {key: interface, exact: ").append(service(k)).append("}\n")
          .append("            - {key: version, exact: \"0.0.0\"}\n")
          .append("        cluster: services\n")
          .append("        timeout: 3s\n");
    }
    return new ConfigLoader(c -> c.equals("dubbo"), f -> false).parse(yaml.toString());
  }

  /** The metadata the native Dubbo codec extracts from a real EchoService.echo request. */
  static Metadata requestMetadata() {
    ByteBuf in = Unpooled.wrappedBuffer(BenchFrames.dubboRequest(256));
    Frame f = new DubboCodecFactory().newCodec().decode(in);
    Metadata m = f.metadata();
    f.release();
    in.release();
    return m;
  }

  @Benchmark
  public Route match() {
    return table.match(metadata);
  }
}
