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

  private static final String RESPONSE_MUTATION =
      "[{set_metadata: {request: {rename: {a: b}}, response: {set: {x: y}, remove: [z], rename: {p: q}}}}]";
  private static final String THRIFT_REFUSAL = "listeners[0].filters[0].set_metadata.response: "
      + "codec 'thrift' cannot re-encode responses (Thrift without THeader carries no response headers)";

  @Test
  void acceptsRequestAndResponseSectionsOnDubbo() {
    assertThatCode(() -> Proxy.validate(parse(RESPONSE_MUTATION, "dubbo")))
        .doesNotThrowAnyException();
    // The original shape is the request section.
    assertThatCode(() -> Proxy.validate(parse("[{set_metadata: {remove: [a]}}]", "thrift")))
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
