package io.protean.proxy.server;

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
}
