package io.protean.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.abi.codec.Metadata;
import io.protean.proxy.config.yaml.ConfigLoader;
import io.protean.proxy.config.model.ProxyConfig.MatchConfig;
import io.protean.proxy.config.model.ProxyConfig.MatchKind;
import io.protean.proxy.config.model.ProxyConfig.RouteConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteTableTest {
  private final RouteTable table = new RouteTable(new ConfigLoader(Set.of("dubbo")::contains,
      f -> false).parse("""
      listeners:
        - name: in
          address: 127.0.0.1:1
          codec: dubbo
          routes:
            - name: canary
              match: {metadata: [{key: x-canary, present: true}]}
              cluster: c
            - name: admin-methods
              match: {metadata: [{key: method, prefix: admin}, {key: interface, exact: a.B}]}
              cluster: b
            - name: not-v1
              match: {metadata: [{key: version, regex: "1\\\\..*", invert: true}]}
              cluster: b
            - name: rest
              cluster: a
      clusters:
        - {name: a, endpoints: ["127.0.0.1:2"]}
        - {name: b, endpoints: ["127.0.0.1:3"]}
        - {name: c, endpoints: ["127.0.0.1:4"]}
      """).listeners().get(0).routes());

  private String route(String... kv) {
    Metadata m = new Metadata();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    Route r = table.match(m);
    return r == null ? null : r.name();
  }

  @Test
  void firstMatchingRouteWins() {
    assertThat(route("x-canary", "", "method", "adminX", "interface", "a.B")).isEqualTo("canary");
    assertThat(route("method", "adminReset", "interface", "a.B", "version", "1.0")).isEqualTo("admin-methods");
    assertThat(route("method", "adminReset", "interface", "a.C", "version", "1.0")).isEqualTo("rest");
    assertThat(route("method", "get", "version", "2.0")).isEqualTo("not-v1");
    assertThat(route("method", "get")).isEqualTo("not-v1");
    assertThat(route("method", "get", "version", "1.2")).isEqualTo("rest");
  }

  @Test
  void noRouteWhenNothingMatches() {
    RouteTable onlyExact = new RouteTable(new ConfigLoader(Set.of("dubbo")::contains, f -> false)
        .parse("""
            listeners:
              - name: in
                address: 127.0.0.1:1
                codec: dubbo
                routes: [{match: {metadata: [{key: method, exact: a}]}, cluster: a}]
            clusters: [{name: a, endpoints: ["127.0.0.1:2"]}]
            """).listeners().get(0).routes());
    assertThat(onlyExact.match(new Metadata().put("method", "b"))).isNull();
    assertThat(onlyExact.match(new Metadata())).isNull();
    assertThat(onlyExact.match(new Metadata().put("method", "a"))).isNotNull();
  }

  /**
   * An indexed table picks the same route as a scan: random tables over a few keys and values with
   * every kind of condition (inverted too), and random requests, checked against a plain scan.
   */
  @Test
  void anIndexedTableAgreesWithAScan() {
    java.util.Random random = new java.util.Random(7);
    String[] keys = {"interface", "method", "version"};
    String[] values = {"a", "b", "c", "ab", ""};
    MatchKind[] kinds = MatchKind.values();
    for (int table = 0; table < 200; table++) {
      List<RouteConfig> configs = new ArrayList<>();
      int n = RouteTable.INDEX_FROM + random.nextInt(40);
      for (int i = 0; i < n; i++) {
        List<MatchConfig> match = new ArrayList<>();
        for (int c = random.nextInt(3); c > 0; c--) {
          MatchKind kind = random.nextInt(3) == 0 ? kinds[random.nextInt(kinds.length)] : MatchKind.EXACT;
          String value = kind == MatchKind.REGEX ? "a.*" : values[random.nextInt(values.length)];
          match.add(new MatchConfig(keys[random.nextInt(keys.length)], kind, value, random.nextInt(8) == 0));
        }
        configs.add(new RouteConfig("r" + i, match, "a", Duration.ofSeconds(1)));
      }
      RouteTable indexed = new RouteTable(configs);
      List<Route> scan = configs.stream().map(Route::new).toList();
      for (int q = 0; q < 200; q++) {
        Metadata m = new Metadata();
        for (String k : keys) {
          if (random.nextInt(4) != 0) {
            m.put(k, values[random.nextInt(values.length)]);
          }
        }
        Route expected = scan.stream().filter(r -> r.matches(m)).findFirst().orElse(null);
        Route actual = indexed.match(m);
        assertThat(actual == null ? null : actual.name()).as("table %d, %s", table, m)
            .isEqualTo(expected == null ? null : expected.name());
      }
    }
  }
}
