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
      "'lb: least_request'|'lb: fastest'|clusters[1].lb: expected one of round_robin, random, least_request, ring_hash, maglev, found 'fastest'",
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
    assertThatThrownBy(() -> loader.parse("# only a comment\n")).hasMessageContaining("empty");
    assertThatThrownBy(() -> loader.parse("listeners: [")).isInstanceOf(ConfigException.class)
        .hasMessage("line 1, column 13: expected the node content, but found '<stream end>' "
            + "(while parsing a flow node)");
    assertThatThrownBy(() -> loader.parse("workers: 1")).hasMessage("listeners: required field is missing");
  }

  @Test
  void aTabSaysSoAtItsLineAndColumnOnce() {
    // Before: "(yaml): while scanning ... in 'reader', line 2, column 1: ... at line 1".
    assertThatThrownBy(() -> loader.parse("listeners:\n\t- name: in\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("line 2, column 1: a tab character; tabs are not allowed for indentation in "
            + "YAML, indent with spaces");
    assertThatThrownBy(() -> loader.parse(VALID.replace("    codec: dubbo", "  \tcodec: dubbo")))
        .hasMessageStartingWith("line 7, column 3: a tab character; tabs are not allowed for indentation");
    assertThatThrownBy(() -> loader.parse("workers:\t3\n"))
        .hasMessage("line 1, column 9: a tab character; YAML does not allow tabs here, use spaces");
  }

  @Test
  void syntaxErrorsGiveOneLineWithWhereTheConstructStarted() {
    assertThatThrownBy(() -> loader.parse("clusters: [{name: a,\n  endpoints: [x]\nworkers: 2\n"))
        .hasMessageStartingWith("line 3, column 1: expected ',' or '}', but got <scalar> ")
        .hasMessageContaining("(while parsing a flow mapping that starts at line 1, column 12)")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    assertThatThrownBy(() -> loader.parse("listeners:\n  - name: a\n   codec: dubbo\n"))
        .hasMessage("line 3, column 4: expected <block end>, but found '<block mapping start>' "
            + "(while parsing a block collection that starts at line 2, column 3); check the indentation");
    assertThatThrownBy(() -> loader.parse("listeners:\n  - name: a: b\n"))
        .hasMessage("line 2, column 12: mapping values are not allowed here; quote a value that "
            + "contains ': ', or check the indentation");
  }

  @Test
  void aKeyGivenTwiceIsRefusedNotSilentlyTheLastOne() {
    // Jackson's readTree keeps the last value: the first routes list silently disappeared.
    assertThat(VALID).contains("      - cluster: a\n");
    String twice = VALID.replace("      - cluster: a\n", "      - cluster: a\n    routes: [{cluster: b}]\n");
    assertThatThrownBy(() -> loader.parse(twice)).isInstanceOf(ConfigException.class)
        .hasMessage("listeners[0].routes: given twice, at line 10 and at line 20 (a key may appear "
            + "only once in a mapping)");
    assertThatThrownBy(() -> loader.parse("workers: 1\nworkers: 2\n"))
        .hasMessage("workers: given twice, at line 1 and at line 2 (a key may appear only once in a mapping)");
    assertThatThrownBy(() -> loader.parse(VALID.replace("{key: version, exact: \"2.0.0\"}",
        "{key: version, exact: \"2.0.0\", key: v}")))
        .hasMessageStartingWith("listeners[0].routes[0].match.metadata[0].key: given twice");
  }

  @Test
  void aSecondDocumentIsRefusedNotIgnored() {
    assertThatThrownBy(() -> loader.parse(VALID + "---\nworkers: 9\n"))
        .hasMessage("line " + (VALID.lines().count() + 2) + ", column 1: a second YAML document (after '---') is not supported; "
            + "the configuration is one document");
    assertThat(loader.parse("---\n" + VALID).workers()).isEqualTo(3);
  }

  @Test
  void aliasesAndMergeKeysRepeatAMappingOrAList() {
    ProxyConfig c = loader.parse("""
        listeners:
          - {name: in, address: "127.0.0.1:0", codec: dubbo, routes: [{cluster: a}, {cluster: b}]}
        clusters:
          - &base {name: a, connect_timeout: 2s, endpoints: &eps ["127.0.0.1:1", "127.0.0.1:2"]}
          - <<: *base
            name: b
          - {name: c, endpoints: *eps}
        """);
    assertThat(c.clusters().get(1).name()).isEqualTo("b");
    assertThat(c.clusters().get(1).connectTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.clusters().get(2).endpoints()).isEqualTo(c.clusters().get(0).endpoints());
    // Jackson's tree gave the alias's name as a string; the parser does not report anchors on
    // single values, so an alias to one is an error rather than a wrong value.
    assertThatThrownBy(() -> loader.parse("workers: &w 2\nlisteners: *w\n"))
        .hasMessageStartingWith("line 2, column 12: unknown alias *w (an alias must name a mapping "
            + "or list anchored &w earlier in the file;");
    assertThatThrownBy(() -> loader.parse("clusters:\n  - <<: 3\n"))
        .hasMessage("clusters[0].<<: a merge key (<<) takes a mapping or a list of mappings, found '3'");
  }

  @Test
  void aliasesCannotExpandWithoutBound() {
    StringBuilder laughs = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 9; i++) {
      laughs.append("a").append(i).append(": &a").append(i).append(" [")
          .append(String.join(", ", java.util.Collections.nCopies(10, "*a" + (i - 1)))).append("]\n");
    }
    assertThatThrownBy(() -> loader.parse(laughs.toString()))
        .hasMessageEndingWith("aliases expand the document beyond 1000000 values");
  }

  @Test
  void plainScalarsKeepTheTextWrittenUnlessTheNumberOrBooleanPrintsTheSame() {
    // YAML 1.1 read 1.10 as 1.1, no as false, 010 as 8, 0x1F as 31: a route on version 1.10
    // compared "1.1", one on "no" compared "false".
    ProxyConfig c = loader.parse("""
        listeners:
          - name: in
            address: 127.0.0.1:0
            codec: dubbo
            routes:
              - match:
                  metadata:
                    - {key: version, exact: 1.10}
                    - {key: gray, exact: no}
                    - {key: id, exact: 010}
                    - {key: h, exact: 0x1F}
                    - {key: n, exact: 1_000}
                    - {key: f, exact: 2.5}
                    - {key: i, exact: 7}
                    - {key: t, exact: true}
                cluster: a
        clusters: [{name: a, endpoints: ["127.0.0.1:1"]}]
        """);
    assertThat(c.listeners().get(0).routes().get(0).match()).extracting(ProxyConfig.MatchConfig::value)
        .containsExactly("1.10", "no", "010", "0x1F", "1_000", "2.5", "7", "true");
    assertThatThrownBy(() -> loader.parse(VALID.replace("workers: 3", "workers: 0x10")))
        .hasMessage("workers: expected an integer, found '0x10'");
    assertThatThrownBy(() -> loader.parse(VALID.replace("address: 127.0.0.1:0",
        "address: 127.0.0.1:0\n  enabled: yes")))
        .hasMessage("admin.enabled: expected true or false, found 'yes'");
    assertThat(loader.parse(VALID.replace("address: 127.0.0.1:0",
        "address: 127.0.0.1:0\n  enabled: False")).admin()).isNull();
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(delimiter = '|', value = {
      // huge numbers are out of range, not "not an integer"
      "'workers: 3'|'workers: 99999999999'|workers: must be between 1 and 1024, found 99999999999",
      "'workers: 3'|'workers: \"3\"'|workers: expected an integer, found '3' (a quoted string: remove the quotes)",
      // a number for a duration: say the unit is missing; huge durations are refused, not a NumberFormatException
      "'timeout: 250ms'|'timeout: 5'|listeners[0].routes[0].timeout: expected a duration like 250ms, 3s, 1m, found '5' (a duration needs its unit)",
      "'timeout: 250ms'|'timeout: 99999999999999999999s'|listeners[0].routes[0].timeout: must be at most 365 days, found '99999999999999999999s'",
      "'timeout: 250ms'|'timeout: 9000h'|listeners[0].routes[0].timeout: must be at most 365 days, found '9000h'",
      // endpoints: port 0 and impossible hosts are refused; names are not resolved
      "'[127.0.0.1:3]'|'[127.0.0.1:0]'|clusters[1].endpoints[0]: port 0 cannot be connected to; give the port the server listens on (1-65535)",
      "'{address: \"[::1]:2\"}'|'{address: \"[::1]:0\"}'|clusters[0].endpoints[1].address: port 0 cannot be connected to",
      "'[127.0.0.1:3]'|'[\":3\"]'|clusters[1].endpoints[0]: expected host:port, found ':3' (the host is missing)",
      "'[127.0.0.1:3]'|'[\"my host:3\"]'|clusters[1].endpoints[0]: invalid host 'my host' (expected a host name or an IP address)",
      "'[127.0.0.1:3]'|'[\"http://10.0.0.1:3\"]'|clusters[1].endpoints[0]: expected host:port, found 'http://10.0.0.1:3' (an address, not a URL: no scheme)",
      "'[127.0.0.1:3]'|'[\"10.0.0.256:3\"]'|clusters[1].endpoints[0]: '10.0.0.256' is not a valid IPv4 address (four numbers 0-255, like 10.0.0.1)",
      "'[127.0.0.1:3]'|'[\"10.1:3\"]'|clusters[1].endpoints[0]: '10.1' is not a valid IPv4 address",
      "'[127.0.0.1:3]'|'[\"fe80::zz:3\"]'|clusters[1].endpoints[0]: expected host:port, found 'fe80::zz:3' (IPv6 is written [::1]:20880)",
      "'[127.0.0.1:3]'|'[\"[fe80::zz]:3\"]'|clusters[1].endpoints[0]: 'fe80::zz' is not a valid IPv6 address",
      "'[127.0.0.1:3]'|'[\"a..b:3\"]'|clusters[1].endpoints[0]: invalid host 'a..b'",
      // listeners: a missing host gets the wildcard spelled out
      "'address: 127.0.0.1:20880'|'address: \":20880\"'|listeners[0].address: expected host:port, found ':20880' (to listen on every address write 0.0.0.0:20880, or [::]:20880 for IPv6 too)",
      "'address: 127.0.0.1:20880'|'address: \"*:20880\"'|listeners[0].address: expected host:port, found '*:20880' (to listen on every address",
      "'address: 127.0.0.1:20880'|'address: \"bad host:20880\"'|listeners[0].address: invalid host 'bad host'",
  })
  void numbersDurationsAndAddresses(String from, String to, String expected) {
    assertThat(VALID).contains(from);
    assertThatThrownBy(() -> loader.parse(VALID.replace(from, to)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(expected);
  }

  @Test
  void endpointNamesAreNotResolvedAtLoad() {
    ProxyConfig c = loader.parse(VALID.replace("[127.0.0.1:3]",
        "[not-in-dns-yet.invalid:3, orders_v1.svc.cluster.local.:4, \"[::ffff:10.0.0.1]:5\"]"));
    assertThat(c.clusters().get(1).endpoints()).extracting(HostPort::host)
        .containsExactly("not-in-dns-yet.invalid", "orders_v1.svc.cluster.local.", "::ffff:10.0.0.1");
  }

  /** A configuration whose listeners (named l0, l1, ...) listen on these addresses. */
  private static String listeningOn(String admin, String... addresses) {
    StringBuilder y = new StringBuilder(admin == null ? "" : "admin: {address: \"" + admin + "\"}\n");
    y.append("listeners:\n");
    for (int i = 0; i < addresses.length; i++) {
      y.append("  - {name: l").append(i).append(", address: \"").append(addresses[i])
          .append("\", codec: dubbo, routes: [{cluster: c}]}\n");
    }
    return y.append("clusters: [{name: c, endpoints: [\"127.0.0.1:1\"]}]\n").toString();
  }

  @ParameterizedTest(name = "{0} then {1}")
  @CsvSource(delimiter = '|', value = {
      "127.0.0.1:20880|127.0.0.1:20880|listeners[1].address: 127.0.0.1:20880 is already used by listener 'l0'",
      "0.0.0.0:20880|127.0.0.1:20880|listeners[1].address: 127.0.0.1:20880 is already used by listener 'l0' (on 0.0.0.0:20880; 0.0.0.0 and :: take the port on every address)",
      "127.0.0.1:20880|0.0.0.0:20880|listeners[1].address: 0.0.0.0:20880 is already used by listener 'l0' (on 127.0.0.1:20880; 0.0.0.0 and :: take the port on every address)",
      "[::]:20880|10.0.0.1:20880|listeners[1].address: 10.0.0.1:20880 is already used by listener 'l0' (on [::]:20880;",
      "127.0.0.1:20880|[::]:20880|listeners[1].address: [::]:20880 is already used by listener 'l0' (on 127.0.0.1:20880;",
      "0.0.0.0:20880|[::1]:20880|listeners[1].address: [::1]:20880 is already used by listener 'l0' (on 0.0.0.0:20880;",
      "[::ffff:127.0.0.1]:20880|127.0.0.1:20880|listeners[1].address: 127.0.0.1:20880 is already used by listener 'l0' (on [::ffff:127.0.0.1]:20880)",
      "Proxy.Example:20880|proxy.example.:20880|listeners[1].address: proxy.example.:20880 is already used by listener 'l0' (on Proxy.Example:20880)",
      "0.0.0.0:20880|proxy.example:20880|listeners[1].address: proxy.example:20880 is already used by listener 'l0' (on 0.0.0.0:20880;",
  })
  void twoListenersTheOsWouldNotLetShareAPort(String first, String second, String expected) {
    assertThatThrownBy(() -> loader.parse(listeningOn("127.0.0.1:0", first, second)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(expected);
  }

  @Test
  void listenersMayShareAPortOnDifferentAddressesAndPortZeroNeverCollides() {
    assertThat(loader.parse(listeningOn("127.0.0.1:0", "127.0.0.1:20880", "127.0.0.2:20880",
        "[::1]:20880", "127.0.0.1:20881", "127.0.0.1:0", "127.0.0.1:0", "0.0.0.0:0", "[::]:0"))
        .listeners()).hasSize(8);
  }

  @Test
  void theAdminCannotListenOnAListenersAddress() {
    assertThatThrownBy(() -> loader.parse(listeningOn("127.0.0.1:20880", "127.0.0.1:20880")))
        .hasMessage("admin.address: 127.0.0.1:20880 is already used by listener 'l0'");
    assertThatThrownBy(() -> loader.parse(listeningOn("0.0.0.0:20880", "127.0.0.1:1", "127.0.0.1:20880")))
        .hasMessageStartingWith("admin.address: 0.0.0.0:20880 is already used by listener 'l1' (on 127.0.0.1:20880;");
    // the default admin address is easy to forget
    assertThatThrownBy(() -> loader.parse(listeningOn(null, "127.0.0.1:9901")))
        .hasMessage("admin.address: 127.0.0.1:9901 is already used by listener 'l0' (the admin's "
            + "default address; set admin.address, or admin.enabled: false)");
    assertThat(loader.parse(listeningOn("127.0.0.1:0", "127.0.0.1:0")).admin()).isNotNull();
    assertThat(loader.parse("admin: {enabled: false}\n" + listeningOn(null, "127.0.0.1:9901"))
        .admin()).isNull();
  }

  @Test
  void anUnreadableFileSaysWhy(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    assertThatThrownBy(() -> loader.load(dir.resolve("proxy.yaml")))
        .hasMessage("(file): cannot read " + dir.resolve("proxy.yaml") + ": no such file");
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

  private static final String TRAFFIC = """
      listeners:
        - name: in
          address: 127.0.0.1:0
          codec: dubbo
          routes:
            - cluster: a
              timeout: 2s
              retry:
                attempts: 2
                on: [connect_failure, reset, server_error]
                per_try_timeout: 500ms
                backoff: {base_interval: 10ms, max_interval: 80ms}
                budget: {percent: 25, min_concurrency: 5}
              mirror: [{cluster: shadow, fraction: 0.25}]
            - cluster: a
              retry: {on: [timeout]}
              mirror: [{cluster: shadow}]
      clusters:
        - {name: a, endpoints: [127.0.0.1:1]}
        - {name: shadow, endpoints: [127.0.0.1:2]}
      """;

  @Test
  void parsesRetryAndMirror() {
    var routes = loader.parse(TRAFFIC).listeners().get(0).routes();
    var retry = routes.get(0).retry();
    assertThat(retry.attempts()).isEqualTo(2);
    assertThat(retry.on()).containsExactly(ProxyConfig.RetryOn.CONNECT_FAILURE,
        ProxyConfig.RetryOn.RESET, ProxyConfig.RetryOn.SERVER_ERROR);
    assertThat(retry.perTryTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(retry.backoffBase()).isEqualTo(Duration.ofMillis(10));
    assertThat(retry.backoffMax()).isEqualTo(Duration.ofMillis(80));
    assertThat(retry.budgetPercent()).isEqualTo(25);
    assertThat(retry.minConcurrency()).isEqualTo(5);
    assertThat(routes.get(0).mirror()).containsExactly(new ProxyConfig.MirrorConfig("shadow", 0.25));
    // Envoy's defaults.
    var defaults = routes.get(1).retry();
    assertThat(defaults.attempts()).isEqualTo(1);
    assertThat(defaults.perTryTimeout()).isNull();
    assertThat(defaults.backoffBase()).isEqualTo(Duration.ofMillis(25));
    assertThat(defaults.backoffMax()).isEqualTo(Duration.ofMillis(250));
    assertThat(defaults.budgetPercent()).isEqualTo(20);
    assertThat(defaults.minConcurrency()).isEqualTo(3);
    assertThat(routes.get(1).mirror()).containsExactly(new ProxyConfig.MirrorConfig("shadow", 1));
    // Records compare by value: a reload of the same text changes nothing.
    assertThat(loader.parse(TRAFFIC)).isEqualTo(loader.parse(TRAFFIC));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "'server_error]'|'foo]'|listeners[0].routes[0].retry.on[2]: unknown retry condition 'foo'; expected one of connect_failure, reset, timeout, overloaded, server_error, server_timeout",
      "'reset, server_error]'|'reset, reset]'|listeners[0].routes[0].retry.on[2]: retry condition 'reset' is given twice",
      "'on: [timeout]'|'on: []'|listeners[0].routes[1].retry.on: at least one retry condition is required",
      "'{on: [timeout]}'|'{attempts: 1}'|listeners[0].routes[1].retry.on: required field is missing",
      "'attempts: 2'|'attempts: -1'|listeners[0].routes[0].retry.attempts: must be between 0 and 100, found -1",
      "'per_try_timeout: 500ms'|'per_try_timeout: 0ms'|listeners[0].routes[0].retry.per_try_timeout: must be greater than zero",
      "'max_interval: 80ms'|'max_interval: 5ms'|listeners[0].routes[0].retry.backoff.max_interval: must not be less than base_interval (10 ms)",
      "'percent: 25'|'percent: 125'|listeners[0].routes[0].retry.budget.percent: must be between 0 and 100, found 125",
      "'percent: 25'|'percent: 25%'|listeners[0].routes[0].retry.budget.percent: expected a number between 0 and 100, found '25%'",
      "'min_concurrency: 5'|'max_concurrency: 5'|listeners[0].routes[0].retry.budget.max_concurrency: unknown field (expected one of percent, min_concurrency)",
      "'retry: {on: [timeout]}'|'retry: {on: [timeout], tries: 3}'|listeners[0].routes[1].retry.tries: unknown field",
      "'fraction: 0.25'|'fraction: 25'|listeners[0].routes[0].mirror[0].fraction: must be between 0 and 1, found 25",
      "'{cluster: shadow}'|'{cluster: shadw}'|listeners[0].routes[1].mirror[0].cluster: no cluster named 'shadw'",
  })
  void retryAndMirrorErrorsNameTheField(String from, String to, String expected) {
    assertThat(TRAFFIC).contains(from);
    assertThatThrownBy(() -> loader.parse(TRAFFIC.replace(from, to)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(expected);
  }

  @Test
  void aMirrorSpeaksTheListenersProtocol() {
    ConfigLoader two = new ConfigLoader(Set.of("dubbo", "thrift")::contains, n -> false);
    String yaml = TRAFFIC.replace("{name: shadow, endpoints: [127.0.0.1:2]}",
        "{name: shadow, codec: thrift, endpoints: [127.0.0.1:2]}");
    assertThatThrownBy(() -> two.parse(yaml)).hasMessage("listeners[0].routes[0].mirror[0].cluster:"
        + " cluster 'shadow' speaks codec 'thrift', but listener 'in' speaks 'dubbo'");
  }

  private ProxyConfig.DownstreamLimits limits(String fields) {
    return loader.parse("""
        listeners:
          - {name: in, address: 127.0.0.1:0, codec: dubbo, routes: [{cluster: a}]%s}
        clusters: [{name: a, endpoints: ["127.0.0.1:1"]}]
        """.formatted(fields)).listeners().get(0).limits();
  }

  @Test
  void readsTheDownstreamLimitsAndNamesABadOne() {
    assertThat(limits("")).isEqualTo(ProxyConfig.DownstreamLimits.DEFAULT);
    assertThat(limits(", max_connections: 100, idle_timeout: 30s, max_requests_per_connection: 5,"
        + " max_pending_requests_per_connection: 64, request_read_timeout: 2s"))
        .isEqualTo(new ProxyConfig.DownstreamLimits(100, Duration.ofSeconds(30), 5, 64,
            Duration.ofSeconds(2)));
    assertThatThrownBy(() -> limits(", request_read_timeout: 0s"))
        .hasMessage("listeners[0].request_read_timeout: must be greater than zero");
    assertThatThrownBy(() -> loader.parse("""
        max_buffered_request_bytes: 10
        listeners: [{name: in, address: 127.0.0.1:0, codec: dubbo, routes: [{cluster: a}]}]
        clusters: [{name: a, endpoints: ["127.0.0.1:1"]}]
        """)).hasMessage("max_buffered_request_bytes: must be between 65536 and 2147483647, found 10");
    assertThatThrownBy(() -> limits(", max_connections: 0"))
        .hasMessage("listeners[0].max_connections: must be between 1 and 2147483647, found 0");
    assertThatThrownBy(() -> limits(", idle_timeout: 30"))
        .hasMessageStartingWith("listeners[0].idle_timeout: ");
    assertThatThrownBy(() -> limits(", max_pending_requests_per_connection: 0"))
        .hasMessage("listeners[0].max_pending_requests_per_connection: must be between 1 and"
            + " 1048576, found 0");
    assertThatThrownBy(() -> limits(", max_requests_per_conection: 5"))
        .hasMessageStartingWith("listeners[0].max_requests_per_conection: unknown field");
  }
}
