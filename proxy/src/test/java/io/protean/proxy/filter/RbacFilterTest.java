package io.protean.proxy.filter;

import static io.protean.proxy.filter.TestRequest.factory;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.protean.abi.codec.ErrorType;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterStatus;
import io.protean.proxy.observability.Stats;
import org.junit.jupiter.api.Test;

class RbacFilterTest {
  private final Stats stats = new Stats();

  private FilterFactory rbac(String yaml) {
    return factory(new RbacFilterProvider(), stats, yaml);
  }

  private static boolean allowed(FilterFactory f, TestRequest r) {
    FilterStatus s = r.through(f.newFilter());
    if (s == FilterStatus.STOP) {
      assertThat(r.replied).isEqualTo(ErrorType.PERMISSION_DENIED);
      return false;
    }
    assertThat(r.replied).isNull();
    return true;
  }

  private long count(String policy, String decision) {
    String series = "protean_rbac_decisions_total{stat_prefix=\"rbac\",policy=\"" + policy
        + "\",decision=\"" + decision + "\"} ";
    return stats.prometheus().lines().filter(l -> l.startsWith(series))
        .mapToLong(l -> Long.parseLong(l.substring(series.length()))).findFirst().orElse(-1);
  }

  @Test
  void allowLetsThroughOnlyWhatAPolicyMatches() {
    FilterFactory f = rbac("""
        rules:
          action: allow
          policies:
            internal-readers:
              permissions: [{metadata: [{key: method, prefix: get}]}]
              principals: [{direct_remote_ip: 10.0.0.0/8}, {direct_remote_ip: "fd00::/8"}]
            admins:
              permissions: [{any: true}]
              principals: [{metadata: [{key: x-role, exact: admin}]}]
        """);
    assertThat(allowed(f, new TestRequest("method", "getUser").from("10.1.2.3"))).isTrue();
    assertThat(allowed(f, new TestRequest("method", "getUser").from("fd12::1"))).isTrue();
    assertThat(allowed(f, new TestRequest("method", "getUser").from("::ffff:10.9.9.9"))).isTrue();
    assertThat(allowed(f, new TestRequest("method", "getUser").from("11.0.0.1"))).isFalse();
    assertThat(allowed(f, new TestRequest("method", "getUser").from("fe80::1"))).isFalse();
    assertThat(allowed(f, new TestRequest("method", "setUser").from("10.1.2.3"))).isFalse();
    assertThat(allowed(f, new TestRequest("method", "setUser", "x-role", "admin").from("1.2.3.4")))
        .isTrue();
    assertThat(count("internal-readers", "allowed")).isEqualTo(3);
    assertThat(count("admins", "allowed")).isEqualTo(1);
    assertThat(count("none", "denied")).isEqualTo(3);
    assertThat(count("none", "allowed")).isEqualTo(-1); // ALLOW never allows by no policy
  }

  @Test
  void denyRefusesWhatAPolicyMatchesWithComposedRules() {
    FilterFactory f = rbac("""
        message: not for you
        rules:
          action: deny
          policies:
            no-writes-from-outside:
              permissions:
                - and_rules:
                    rules:
                      - metadata: [{key: interface, exact: com.example.Users}]
                      - not_rule: {metadata: [{key: method, prefix: get}]}
              principals:
                - not_id: {or_ids: {ids: [{direct_remote_ip: {address_prefix: 127.0.0.0, prefix_len: 8}}, {direct_remote_ip: "::1"}]}}
        """);
    TestRequest outsideWrite = new TestRequest("interface", "com.example.Users", "method", "delete")
        .from("192.0.2.7");
    assertThat(allowed(f, outsideWrite)).isFalse();
    assertThat(outsideWrite.message).isEqualTo("not for you");
    assertThat(allowed(f, new TestRequest("interface", "com.example.Users", "method", "getX")
        .from("192.0.2.7"))).isTrue();
    assertThat(allowed(f, new TestRequest("interface", "com.example.Users", "method", "delete")
        .from("127.0.0.1"))).isTrue();
    assertThat(allowed(f, new TestRequest("interface", "com.example.Users", "method", "delete")
        .from("::1"))).isTrue();
    assertThat(count("no-writes-from-outside", "denied")).isEqualTo(1);
    assertThat(count("none", "allowed")).isEqualTo(3);
  }

  @Test
  void shadowRulesOnlyCount() {
    FilterFactory f = rbac("""
        shadow_rules:
          action: deny
          policies:
            block-greet:
              permissions: [{metadata: [{key: method, exact: greet}]}]
              principals: [{any: true}]
        """);
    assertThat(allowed(f, new TestRequest("method", "greet"))).isTrue();
    assertThat(allowed(f, new TestRequest("method", "other"))).isTrue();
    assertThat(count("block-greet", "shadow_denied")).isEqualTo(1);
    assertThat(count("none", "shadow_allowed")).isEqualTo(1);
  }

  @Test
  void anAllowWithoutPoliciesDeniesEverything() {
    FilterFactory f = rbac("rules: {action: allow}");
    assertThat(allowed(f, new TestRequest("method", "greet"))).isFalse();
  }

  @Test
  void invalidConfigNamesTheField() {
    assertThatThrownBy(() -> rbac("rules: {action: permit}"))
        .hasMessage("rules.action: expected allow or deny, found 'permit'");
    assertThatThrownBy(() -> rbac("""
        rules: {action: allow, policies: {p: {permissions: [{any: true}], principals: [{direct_remote_ip: 10.0.0.0/33}]}}}
        """)).hasMessage("rules.policies.p.principals[0].direct_remote_ip: prefix length must be "
            + "between 0 and 32 for 10.0.0.0, found 33");
    assertThatThrownBy(() -> rbac("""
        rules: {action: allow, policies: {p: {permissions: [{any: true}], principals: [{direct_remote_ip: example.com/8}]}}}
        """)).hasMessage("rules.policies.p.principals[0].direct_remote_ip: 'example.com' is not an "
            + "IPv4 or IPv6 address");
    assertThatThrownBy(() -> rbac("""
        rules: {action: allow, policies: {p: {permissions: [{any: true}], principals: [{authenticated: {principal_name: {exact: x}}}]}}}
        """)).hasMessageStartingWith("rules.policies.p.principals[0].authenticated: needs the peer "
            + "certificate");
    assertThatThrownBy(() -> rbac("""
        rules: {action: allow, policies: {p: {permissions: [{any: true, metadata: []}], principals: [{any: true}]}}}
        """)).hasMessage("rules.policies.p.permissions[0]: a permission is a mapping with exactly "
            + "one key");
    assertThatThrownBy(() -> rbac("""
        rules: {action: allow, policies: {p: {permissions: [{header: x}], principals: [{any: true}]}}}
        """)).hasMessageStartingWith("rules.policies.p.permissions[0].header: unknown field");
    assertThatThrownBy(() -> rbac("""
        rules: {action: allow, policies: {p: {permissions: [], principals: [{any: true}]}}}
        """)).hasMessageStartingWith("rules.policies.p.permissions: at least one permission");
    assertThatThrownBy(() -> rbac("stat_prefix: x"))
        .hasMessage("(root): give rules, shadow_rules or both");
  }
}
