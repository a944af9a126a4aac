package io.protean.proxy.config.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.ProxyConfig;
import io.protean.proxy.config.model.ProxyConfig.HashPolicy;
import io.protean.proxy.config.model.ProxyConfig.LbPolicy;
import io.protean.proxy.config.model.ProxyConfig.MaglevConfig;
import io.protean.proxy.config.model.ProxyConfig.RingHashConfig;
import io.protean.proxy.config.model.ProxyConfig.RouteConfig;
import io.protean.proxy.config.model.ProxyConfig.WeightedCluster;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Routes' weighted clusters and hash policies, clusters' ring_hash and maglev options. */
class WeightedClustersAndHashingConfigTest {
  private final ConfigLoader loader = new ConfigLoader(Set.of("dubbo", "thrift")::contains, f -> false);

  private static final String VALID = """
      listeners:
        - name: in
          address: 127.0.0.1:20880
          codec: dubbo
          routes:
            - name: split
              match: {metadata: [{key: method, exact: greet}]}
              clusters:
                - {name: stable, weight: 90}
                - {name: canary, weight: 10}
                - {name: dark, weight: 0}
            - name: sticky
              hash_policy:
                - {key: x-session, terminal: true}
                - x-user
              cluster: ring
            - name: table
              hash_policy: [x-user]
              cluster: table
      clusters:
        - {name: stable, endpoints: ["127.0.0.1:1"]}
        - {name: canary, endpoints: ["127.0.0.1:2"]}
        - {name: dark, endpoints: ["127.0.0.1:3"]}
        - name: ring
          lb: ring_hash
          ring_hash_lb_config: {minimum_ring_size: 2048, maximum_ring_size: 65536}
          endpoints: ["127.0.0.1:4", "127.0.0.1:5"]
        - name: table
          lb: maglev
          maglev_lb_config: {table_size: 131071}
          endpoints: ["127.0.0.1:4", "127.0.0.1:5"]
        - {name: defaults_ring, lb: ring_hash, endpoints: ["127.0.0.1:4"]}
        - {name: defaults_maglev, lb: maglev, endpoints: ["127.0.0.1:4"]}
      """;

  @Test
  void parsesWeightedClustersHashPoliciesAndTheirClusters() {
    ProxyConfig c = loader.parse(VALID);
    List<RouteConfig> routes = c.listeners().get(0).routes();
    assertThat(routes.get(0).cluster()).isNull();
    assertThat(routes.get(0).clusters()).containsExactly(new WeightedCluster("stable", 90),
        new WeightedCluster("canary", 10), new WeightedCluster("dark", 0));
    assertThat(routes.get(0).hashPolicy()).isEmpty();
    assertThat(routes.get(0).sendsTo("canary")).isTrue();
    assertThat(routes.get(0).sendsTo("ring")).isFalse();
    assertThat(routes.get(1).cluster()).isEqualTo("ring");
    assertThat(routes.get(1).clusters()).isEmpty();
    assertThat(routes.get(1).hashPolicy()).containsExactly(new HashPolicy("x-session", true),
        new HashPolicy("x-user", false));
    var ring = c.clusters().get(3);
    assertThat(ring.lb()).isEqualTo(LbPolicy.RING_HASH);
    assertThat(ring.ringHash()).isEqualTo(new RingHashConfig(2048, 65536));
    assertThat(ring.maglev()).isNull();
    var table = c.clusters().get(4);
    assertThat(table.lb()).isEqualTo(LbPolicy.MAGLEV);
    assertThat(table.maglev()).isEqualTo(new MaglevConfig(131071));
    assertThat(table.ringHash()).isNull();
    assertThat(c.clusters().get(5).ringHash()).isEqualTo(new RingHashConfig(1024, 8 * 1024 * 1024));
    assertThat(c.clusters().get(6).maglev()).isEqualTo(new MaglevConfig(65537));
    assertThat(c.clusters().get(0).ringHash()).isNull();
    assertThat(c.clusters().get(0).maglev()).isNull();
    // A weight change is a different configuration (a reload applies it), equal ones are equal.
    assertThat(loader.parse(VALID)).isEqualTo(c);
    assertThat(loader.parse(VALID.replace("weight: 90", "weight: 80"))).isNotEqualTo(c);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "'exact: greet}]}'|'exact: greet}]}\n        cluster: stable'|listeners[0].routes[0].clusters: give either cluster or clusters, not both",
      "'- {name: canary, weight: 10}'|'- {name: canary2, weight: 10}'|listeners[0].routes[0].clusters[1].name: no cluster named 'canary2'",
      "'- {name: canary, weight: 10}'|'- {name: stable, weight: 10}'|listeners[0].routes[0].clusters[1].name: cluster 'stable' is listed twice",
      "'- {name: canary, weight: 10}'|'- {name: canary, weight: -1}'|listeners[0].routes[0].clusters[1].weight: must be between 0 and 1000000, found -1",
      "'- {name: canary, weight: 10}'|'- {name: canary, weight: 1.5}'|listeners[0].routes[0].clusters[1].weight: expected an integer, found '1.5'",
      "'- {name: canary, weight: 10}'|'- {name: canary}'|listeners[0].routes[0].clusters[1].weight: required field is missing",
      "'- {name: canary, weight: 10}'|'- {name: canary, weight: 10, wieght: 3}'|listeners[0].routes[0].clusters[1].wieght: unknown field (expected one of name, weight)",
      "'cluster: ring'|'clusterr: ring'|listeners[0].routes[1].clusterr: unknown field (expected one of name, match, cluster, timeout, clusters, hash_policy, retry, mirror, request_mutation, response_mutation)",
      "'- x-user\n'|'- {key: x-user, terminal: maybe}\n'|listeners[0].routes[1].hash_policy[1].terminal: expected true or false",
      "'- x-user\n'|'- {header: x-user}\n'|listeners[0].routes[1].hash_policy[1].header: unknown field (expected one of key, terminal)",
      "'hash_policy: [x-user]'|'hash_policy: x-user'|listeners[0].routes[2].hash_policy: expected a list",
      "'minimum_ring_size: 2048'|'minimum_ring_size: 0'|clusters[3].ring_hash_lb_config.minimum_ring_size: must be between 1 and 8388608, found 0",
      "'maximum_ring_size: 65536'|'maximum_ring_size: 1024'|clusters[3].ring_hash_lb_config.maximum_ring_size: must be at least minimum_ring_size (2048), found 1024",
      "'table_size: 131071'|'table_size: 65536'|clusters[4].maglev_lb_config.table_size: must be a prime (65537, 131071, 1000003, ...), found 65536",
      "'table_size: 131071'|'table_size: 5000012'|clusters[4].maglev_lb_config.table_size: must be between 2 and 5000011, found 5000012",
      "'lb: maglev, endpoints: [\"127.0.0.1:4\"]'|'lb: maglev, maglev_lb_config: {table_size: 2}, endpoints: [\"127.0.0.1:4\", \"127.0.0.1:5\", \"127.0.0.1:6\"]'|clusters[6].maglev_lb_config.table_size: must be at least the number of endpoints (3), found 2",
      "'lb: maglev'|'lb: random'|clusters[4].maglev_lb_config: applies only to lb: maglev (lb is random)",
      "'ring_hash_lb_config: {'|'ring_hash_lb_config: {max: 3, '|clusters[3].ring_hash_lb_config.max: unknown field (expected one of minimum_ring_size, maximum_ring_size)",
  })
  void namesTheFieldAndTheValue(String from, String to, String expected) {
    assertThat(VALID).contains(from);
    assertThatThrownBy(() -> loader.parse(VALID.replace(from, to)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(expected);
  }

  @Test
  void weightsMayNotAllBeZeroNorTheListEmpty() {
    assertThatThrownBy(() -> loader.parse(VALID.replace("weight: 90", "weight: 0")
        .replace("weight: 10", "weight: 0")))
        .hasMessage("listeners[0].routes[0].clusters: the weights add up to 0: at least one must be positive");
    String empty = VALID.replaceAll("(?s)        clusters:\n.*?weight: 0}\n", "        clusters: []\n");
    assertThat(empty).contains("clusters: []");
    assertThatThrownBy(() -> loader.parse(empty))
        .hasMessage("listeners[0].routes[0].clusters: at least one weighted cluster is required");
  }

  @Test
  void aRouteNeedsACluster() {
    assertThatThrownBy(() -> loader.parse("""
        listeners: [{name: d, address: "127.0.0.1:1", codec: dubbo, routes: [{name: r}]}]
        clusters: [{name: x, endpoints: ["127.0.0.1:3"]}]
        """)).hasMessage("listeners[0].routes[0].cluster: required field is missing (or give "
            + "weighted clusters: clusters)");
  }

  @Test
  void aWeightedClusterSpeaksTheListenersProtocolAndTakesItsCodec() {
    String yaml = """
        listeners:
          - {name: d, address: "127.0.0.1:1", codec: dubbo, routes: [{cluster: a}]}
          - name: t
            address: "127.0.0.1:2"
            codec: thrift
            routes: [{clusters: [{name: b, weight: 1}, {name: a, weight: 1}]}]
        clusters:
          - {name: a, codec: dubbo, endpoints: ["127.0.0.1:3"]}
          - {name: b, endpoints: ["127.0.0.1:4"]}
        """;
    assertThatThrownBy(() -> loader.parse(yaml)).hasMessage("listeners[1].routes[0].clusters[1].name:"
        + " cluster 'a' speaks codec 'dubbo', but listener 't' speaks 'thrift'");
    ProxyConfig ok = loader.parse(yaml.replace("{name: a, weight: 1}]", "{name: b2, weight: 1}]")
        .replace("  - {name: b, endpoints", "  - {name: b2, endpoints: [\"127.0.0.1:5\"]}\n  - {name: b, endpoints"));
    assertThat(ok.clusters().get(1).codec().name()).isEqualTo("thrift");
    assertThat(ok.clusters().get(2).codec().name()).isEqualTo("thrift");
  }
}
