package io.protean.proxy.config.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.config.model.ProxyConfig;
import io.protean.proxy.config.model.ProxyConfig.LbPolicy;
import io.protean.proxy.config.model.ProxyConfig.MatchKind;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {
  private final ConfigLoader loader =
      new ConfigLoader(Set.of("dubbo")::contains, Set.of("deny")::contains);

  private static final String VALID = """
      workers: 3
      admin:
        address: 127.0.0.1:0
      listeners:
        - name: in
          address: 127.0.0.1:20880
          codec: dubbo
          filters:
            - deny: {method: drop}
          routes:
            - name: by-version
              match:
                metadata:
                  - {key: version, exact: "2.0.0"}
                  - {key: method, regex: "say.*"}
                  - {key: canary, present: true, invert: true}
              cluster: b
              timeout: 250ms
            - cluster: a
      clusters:
        - name: a
          endpoints: ["127.0.0.1:1", {address: "[::1]:2"}]
        - name: b
          lb: least_request
          connections_per_endpoint: 4
          connect_timeout: 2s
          endpoints: [127.0.0.1:3]
      """;

  @Test
  void parsesEveryField() {
    ProxyConfig c = loader.parse(VALID);
    assertThat(c.workers()).isEqualTo(3);
    assertThat(c.admin().address()).isEqualTo(new HostPort("127.0.0.1", 0));
    var l = c.listeners().get(0);
    assertThat(l.codec().name()).isEqualTo("dubbo");
    assertThat(l.filters().get(0).name()).isEqualTo("deny");
    assertThat(l.filters().get(0).config()).containsEntry("method", "drop");
    var r = l.routes().get(0);
    assertThat(r.timeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(r.match()).extracting(ProxyConfig.MatchConfig::kind)
        .containsExactly(MatchKind.EXACT, MatchKind.REGEX, MatchKind.PRESENT);
    assertThat(r.match().get(2).invert()).isTrue();
    assertThat(l.routes().get(1).match()).isEmpty();
    assertThat(l.routes().get(1).timeout()).isEqualTo(ConfigLoader.DEFAULT_ROUTE_TIMEOUT);
    var a = c.clusters().get(0);
    assertThat(a.lb()).isEqualTo(LbPolicy.ROUND_ROBIN);
    assertThat(a.endpoints()).containsExactly(new HostPort("127.0.0.1", 1), new HostPort("::1", 2));
    assertThat(a.endpoints().get(1).toString()).isEqualTo("[::1]:2");
    var b = c.clusters().get(1);
    assertThat(b.lb()).isEqualTo(LbPolicy.LEAST_REQUEST);
    assertThat(b.connectionsPerEndpoint()).isEqualTo(4);
    assertThat(b.connectTimeout()).isEqualTo(Duration.ofSeconds(2));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "'workers: 3'|'workers: x'|workers: expected an integer, found 'x'",
      "'address: 127.0.0.1:20880'|'address: 127.0.0.1:99999'|listeners[0].address: port must be between 0 and 65535, found 99999",
      "'codec: dubbo'|'codec: dubbbo'|listeners[0].codec: unknown codec 'dubbbo'",
      "'- deny: {method: drop}'|'- nope: {}'|listeners[0].filters[0]: unknown filter 'nope'",
      "'timeout: 250ms'|'timeout: 250'|listeners[0].routes[0].timeout: expected a duration like 250ms, 3s, 1m, found '250'",
      "'regex: \"say.*\"'|'regex: \"say(\"'|listeners[0].routes[0].match.metadata[1].regex: invalid regex 'say('",
      "'exact: \"2.0.0\"'|'exakt: \"2.0.0\"'|listeners[0].routes[0].match.metadata[0].exakt: unknown field (expected one of key, exact, prefix, regex, present, invert)",
      "'cluster: b'|'cluster: c'|listeners[0].routes[0].cluster: no cluster named 'c'",
      "'lb: least_request'|'lb: fastest'|clusters[1].lb: expected one of round_robin, random, least_request, found 'fastest'",
      "'connections_per_endpoint: 4'|'connections_per_endpoint: 0'|clusters[1].connections_per_endpoint: must be between 1 and 64, found 0",
      "'endpoints: [127.0.0.1:3]'|'endpoints: []'|clusters[1].endpoints: at least one endpoint is required",
      "'endpoints: [127.0.0.1:3]'|'endpoints: [localhost]'|clusters[1].endpoints[0]: expected host:port, found 'localhost'",
      "'- name: b'|'- name: a'|clusters[1].name: duplicate cluster name 'a'",
      "'connect_timeout: 2s'|'connect_timout: 2s'|clusters[1].connect_timout: unknown field",
  })
  void namesTheFieldAndTheValue(String from, String to, String expected) {
    assertThat(VALID).contains(from);
    assertThatThrownBy(() -> loader.parse(VALID.replace(from, to)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(expected);
  }

  @Test
  void refusesEmptyAndBrokenYaml() {
    assertThatThrownBy(() -> loader.parse("")).hasMessageContaining("empty");
    assertThatThrownBy(() -> loader.parse("listeners: [")).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("(yaml)");
    assertThatThrownBy(() -> loader.parse("workers: 1")).hasMessage("listeners: required field is missing");
  }

  @Test
  void aClusterSpeaksOneProtocol() {
    ConfigLoader two = new ConfigLoader(Set.of("dubbo", "thrift")::contains, f -> false);
    String yaml = """
        listeners:
          - {name: d, address: "127.0.0.1:1", codec: dubbo, routes: [{cluster: x}]}
          - {name: t, address: "127.0.0.1:2", codec: thrift, routes: [{cluster: x}]}
        clusters:
          - {name: x, endpoints: ["127.0.0.1:3"]}
        """;
    assertThatThrownBy(() -> two.parse(yaml)).hasMessage("clusters[0].codec: cluster 'x' needs a"
        + " codec: the listeners routing to it speak dubbo, thrift; a cluster speaks one protocol");
    assertThatThrownBy(() -> two.parse(yaml.replace("endpoints:", "codec: dubbo, endpoints:")))
        .hasMessage("listeners[1].routes[0].cluster: cluster 'x' speaks codec 'dubbo', but "
            + "listener 't' speaks 'thrift'");
  }

  @Test
  void aClusterNoRouteNamesIsKeptWithItsListenersCodec() {
    ConfigLoader two = new ConfigLoader(Set.of("dubbo", "thrift")::contains, f -> false);
    ProxyConfig c = two.parse("""
        listeners:
          - {name: d, address: "127.0.0.1:1", codec: {dubbo: {max_body_size: 1024}}, routes: [{cluster: x}]}
        clusters:
          - {name: x, endpoints: ["127.0.0.1:3"]}
          - {name: spare, endpoints: ["127.0.0.1:4"]}
          - {name: t, codec: thrift, endpoints: ["127.0.0.1:5"]}
        """);
    assertThat(c.clusters()).extracting(ProxyConfig.ClusterConfig::name).containsExactly("x", "spare", "t");
    assertThat(c.clusters().get(1).codec()).isEqualTo(c.listeners().get(0).codec());
    assertThat(c.clusters().get(2).codec().name()).isEqualTo("thrift");
    assertThatThrownBy(() -> two.parse("""
        listeners:
          - {name: d, address: "127.0.0.1:1", codec: dubbo, routes: [{cluster: x}]}
          - {name: t, address: "127.0.0.1:2", codec: thrift, routes: [{cluster: y}]}
        clusters:
          - {name: x, endpoints: ["127.0.0.1:3"]}
          - {name: y, endpoints: ["127.0.0.1:5"]}
          - {name: spare, endpoints: ["127.0.0.1:4"]}
        """)).hasMessageStartingWith("clusters[2].codec: cluster 'spare' needs a codec: no route names it");
  }
}
