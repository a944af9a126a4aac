package io.protean.bench.jmh;

import io.protean.abi.codec.Metadata;
import io.protean.proxy.config.yaml.ConfigLoader;
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
 * What the router does per request besides matching: {@link Route#pickCluster()}, the weighted
 * cluster draw ({@code clusters} weighted clusters, 90/10 for two, else equal weights), and
 * {@link Route#hash}, the request's hash by a hash policy of two keys of which the request has
 * the second ({@code x-user}, as a Dubbo attachment): the first is looked up and absent, the
 * second hashed with xxHash64. The route comes from YAML through {@link ConfigLoader}; the
 * metadata is what the native Dubbo codec extracts from a real request.
 *
 * <pre>java -cp bench/target/protean-bench.jar org.openjdk.jmh.Main RouteChoiceBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
public class RouteChoiceBenchmark {
  @Param({"1", "2", "10"})
  public int clusters;

  private Route route;
  private Metadata metadata;

  @Setup
  public void setup() {
    StringBuilder yaml = new StringBuilder("admin: {enabled: false}\nclusters:\n");
    for (int i = 0; i < clusters; i++) {
      yaml.append("  - {name: c").append(i).append(", endpoints: [\"127.0.0.1:20880\"]}\n");
    }
    yaml.append("""
        listeners:
          - name: dubbo
            address: 127.0.0.1:20881
            codec: dubbo
            routes:
              - name: weighted
                hash_policy: [{key: x-session, terminal: true}, x-user]
        """);
    if (clusters == 1) {
      yaml.append("        cluster: c0\n");
    } else {
      yaml.append("        clusters:\n");
      for (int i = 0; i < clusters; i++) {
        int weight = clusters == 2 ? (i == 0 ? 90 : 10) : 1;
        yaml.append("          - {name: c").append(i).append(", weight: ").append(weight)
            .append("}\n");
      }
    }
    RouteTable table = new RouteTable(new ConfigLoader(c -> c.equals("dubbo"), f -> false)
        .parse(yaml.toString()).listeners().get(0).routes());
    metadata = RouteMatchBenchmark.requestMetadata();
    metadata.put("x-user", "user-4711");
    route = table.match(metadata);
  }

  /** The route (for the benchmark's test). */
  Route route() {
    return route;
  }

  @Benchmark
  public String pickCluster() {
    return route.pickCluster();
  }

  @Benchmark
  public long hash() {
    return route.hash(metadata);
  }
}
