package io.protean.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.abi.codec.Metadata;
import io.protean.proxy.config.ConfigLoader;
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
}
