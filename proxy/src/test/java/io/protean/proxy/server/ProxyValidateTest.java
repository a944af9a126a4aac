package io.protean.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.ProxyConfig;
import io.protean.proxy.server.Proxy;
import org.junit.jupiter.api.Test;

/** Codec and filter options are checked with the real registries, and errors name the field. */
class ProxyValidateTest {

  private static ProxyConfig parse(String filters, String codec) {
    return Proxy.configLoader().parse("""
        listeners:
          - name: in
            address: 127.0.0.1:0
            codec: %s
            filters: %s
            routes: [{cluster: a}]
        clusters: [{name: a, endpoints: ["127.0.0.1:1"]}]
        """.formatted(codec, filters));
  }

  @Test
  void acceptsValidOptions() {
    assertThatCode(() -> Proxy.validate(parse(
        "[{deny: {match: [{key: method, exact: x}]}}, {set_metadata: {set: {a: b}}}]",
        "{dubbo: {max_body_size: 1048576}}"))).doesNotThrowAnyException();
  }

  @Test
  void namesTheBadFilterOption() {
    assertThatThrownBy(() -> Proxy.validate(parse("[{deny: {match: [{key: method, exakt: x}]}}]", "dubbo")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("listeners[0].filters[0].deny: match[0].exakt: unknown field");
    assertThatThrownBy(() -> Proxy.validate(parse("[{set_metadata: {sett: {a: b}}}]", "dubbo")))
        .hasMessageStartingWith("listeners[0].filters[0].set_metadata: sett: unknown field");
  }

  @Test
  void namesTheBadCodecOption() {
    assertThatThrownBy(() -> Proxy.validate(parse("[]", "{dubbo: {max_body_size: -1}}")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("listeners[0].codec.dubbo: max_body_size: expected a positive number of bytes, found '-1'");
    assertThatThrownBy(() -> parse("[]", "{nosuch: {}}"))
        .hasMessageStartingWith("listeners[0].codec: unknown codec 'nosuch'");
  }

  private static ProxyConfig withHealthCheck(String codec, String healthCheck) {
    return Proxy.configLoader().parse("""
        listeners:
          - name: in
            address: 127.0.0.1:0
            codec: %s
            routes: [{cluster: a}]
        clusters:
          - name: a
            endpoints: ["127.0.0.1:1"]
            health_checks: [%s]
        """.formatted(codec, healthCheck));
  }

  @Test
  void acceptsEachHealthCheckType() {
    assertThatCode(() -> Proxy.validate(withHealthCheck("dubbo", "{tcp_health_check: {}}")))
        .doesNotThrowAnyException();
    assertThatCode(() -> Proxy.validate(withHealthCheck("dubbo", "{protocol_health_check: {}}")))
        .doesNotThrowAnyException();
    assertThatCode(() -> Proxy.validate(withHealthCheck("{thrift: {transport: framed}}",
        "{interval: 2s, timeout: 500ms, unhealthy_threshold: 1, healthy_threshold: 1,"
            + " no_traffic_interval: 10s, interval_jitter: 0s,"
            + " protocol_health_check: {method_name: ping, expect: any, protocol: compact}}")))
        .doesNotThrowAnyException();
  }

  private static final String RESPONSE_MUTATION =
      "[{set_metadata: {request: {rename: {a: b}}, response: {set: {x: y}, remove: [z], rename: {p: q}}}}]";
  private static final String THRIFT_REFUSAL = "listeners[0].filters[0].set_metadata.response: "
      + "codec 'thrift' cannot re-encode responses (Thrift responses carry headers only with the"
      + " THeader transport; set the codec's transport: header)";

  @Test
  void acceptsRequestAndResponseSectionsOnDubbo() {
    assertThatCode(() -> Proxy.validate(parse(RESPONSE_MUTATION, "dubbo")))
        .doesNotThrowAnyException();
    // The original shape is the request section.
    assertThatCode(() -> Proxy.validate(parse("[{set_metadata: {remove: [a]}}]", "thrift")))
        .doesNotThrowAnyException();
  }

  @Test
  void namesTheBadHealthCheckField() {
    assertThatThrownBy(() -> withHealthCheck("dubbo", "{http_health_check: {}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("clusters[0].health_checks[0].http_health_check: unknown field");
    assertThatThrownBy(() -> withHealthCheck("dubbo", "{interval: 1s}"))
        .hasMessageStartingWith("clusters[0].health_checks[0]: a health check needs its type");
    assertThatThrownBy(() -> withHealthCheck("dubbo",
        "{tcp_health_check: {}, protocol_health_check: {}}"))
        .hasMessageStartingWith("clusters[0].health_checks[0]: only one of");
    assertThatThrownBy(() -> withHealthCheck("dubbo", "{timeout: 5, tcp_health_check: {}}"))
        .hasMessageStartingWith("clusters[0].health_checks[0].timeout: ");
    assertThatThrownBy(() -> withHealthCheck("dubbo",
        "{unhealthy_threshold: 0, tcp_health_check: {}}"))
        .hasMessageStartingWith("clusters[0].health_checks[0].unhealthy_threshold: must be between");
    assertThatThrownBy(() -> withHealthCheck("dubbo",
        "{tcp_health_check: {}}, {tcp_health_check: {}}"))
        .hasMessageStartingWith("clusters[0].health_checks[1]: one health check per cluster");
  }

  @Test
  void namesTheBadProtocolHealthCheckOption() {
    assertThatThrownBy(() -> Proxy.validate(withHealthCheck("{thrift: {transport: framed, "
        + "protocol: binary}}", "{protocol_health_check: {}}")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("clusters[0].health_checks[0].protocol_health_check: method_name: required (the"
            + " method the check calls with no arguments)");
    assertThatThrownBy(() -> Proxy.validate(withHealthCheck("thrift",
        "{protocol_health_check: {method_name: ping}}")))
        .hasMessageStartingWith("clusters[0].health_checks[0].protocol_health_check: transport: "
            + "required");
    assertThatThrownBy(() -> Proxy.validate(withHealthCheck("{thrift: {transport: framed}}",
        "{protocol_health_check: {method_name: ping, expect: maybe}}")))
        .hasMessage("clusters[0].health_checks[0].protocol_health_check: expect: expected one of"
            + " success, reply, any, found 'maybe'");
    assertThatThrownBy(() -> Proxy.validate(withHealthCheck("dubbo",
        "{protocol_health_check: {method_name: ping}}")))
        .hasMessageStartingWith("clusters[0].health_checks[0].protocol_health_check: method_name: "
            + "unknown option");
  }

  @Test
  void refusesAProtocolCheckForACodecThatCannotBuildOne() {
    // TinyRPC has no health-check export; the Dubbo modules do (WasmHealthCheckDubboTest).
    String wasm = "{wasm: {module: ../example-codecs-rust/wasm/tinyrpc.wasm}}";
    assertThatThrownBy(() -> Proxy.validate(withHealthCheck(wasm, "{protocol_health_check: {}}")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("clusters[0].health_checks[0].protocol_health_check: codec '")
        .hasMessageContaining("cannot build a health-check request; use tcp_health_check: {}");
    assertThatCode(() -> Proxy.validate(withHealthCheck(wasm, "{tcp_health_check: {}}")))
        .doesNotThrowAnyException();
  }

  @Test
  void refusesResponseMutationOnACodecThatCannotReencodeResponses() {
    assertThatThrownBy(() -> Proxy.validate(parse(RESPONSE_MUTATION, "thrift")))
        .isInstanceOf(ConfigException.class).hasMessage(THRIFT_REFUSAL);
    assertThatCode(() -> Proxy.validate(parse("[{set_metadata: {request: {set: {a: b}}}}]",
        "thrift"))).doesNotThrowAnyException();
  }

  @Test
  void aReloadThatWouldMutateThriftResponsesIsRefused() throws Exception {
    try (Proxy proxy = Proxy.start(parse("[]", "thrift"))) {
      long version = proxy.version();
      ReloadResult r = proxy.apply(parse(RESPONSE_MUTATION, "thrift"));
      assertThat(r.outcome()).isEqualTo(ReloadResult.Outcome.REFUSED);
      assertThat(r.field() + ": " + r.reason()).isEqualTo(THRIFT_REFUSAL);
      assertThat(proxy.version()).isEqualTo(version);
    }
  }

  @Test
  void namesTheBadMutationField() {
    assertThatThrownBy(() -> Proxy.validate(parse(
        "[{set_metadata: {set: {a: b}, request: {set: {c: d}}}}]", "dubbo")))
        .hasMessageStartingWith("listeners[0].filters[0].set_metadata: request: give set/remove");
    assertThatThrownBy(() -> Proxy.validate(parse(
        "[{set_metadata: {response: {renam: {a: b}}}}]", "dubbo")))
        .hasMessageStartingWith("listeners[0].filters[0].set_metadata: response.renam: unknown field");
    assertThatThrownBy(() -> Proxy.validate(parse(
        "[{set_metadata: {response: {rename: [a]}}}]", "dubbo")))
        .hasMessageStartingWith("listeners[0].filters[0].set_metadata: response.rename: expected a mapping");
    assertThatThrownBy(() -> Proxy.validate(parse("[{set_metadata: {request: {}}}]", "dubbo")))
        .hasMessageContaining("nothing to do");
  }
}
