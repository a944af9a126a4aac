package io.protean.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.ProxyConfig;
import io.protean.proxy.config.model.ProxyConfig.CircuitBreakersConfig;
import io.protean.proxy.config.model.ProxyConfig.ClusterConfig;
import io.protean.proxy.config.model.ProxyConfig.SuccessRateConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The cluster's circuit_breakers, outlier_detection and upstream_keepalive: defaults (Envoy's),
 * and every bad field refused with its path.
 */
class ClusterResilienceConfigTest {

  private static ProxyConfig parse(String codec, String clusterFields) {
    return Proxy.configLoader().parse("""
        listeners:
          - name: in
            address: 127.0.0.1:0
            codec: %s
            routes: [{cluster: a}]
        clusters:
          - name: a
            endpoints: ["127.0.0.1:1"]
        %s
        """.formatted(codec, clusterFields.indent(4)));
  }

  private static ClusterConfig cluster(String fields) {
    ProxyConfig c = parse("dubbo", fields);
    Proxy.validate(c);
    return c.clusters().get(0);
  }

  @Test
  void defaultsAreEnvoys() {
    ClusterConfig c = cluster("");
    assertThat(c.circuitBreakers()).isEqualTo(CircuitBreakersConfig.DEFAULT);
    assertThat(c.circuitBreakers().maxRequests()).isEqualTo(1024);
    assertThat(c.outlierDetection()).isNull();
    assertThat(c.keepalive()).isNull();

    var o = cluster("outlier_detection: {}").outlierDetection();
    assertThat(o.consecutive5xx()).isEqualTo(5);
    assertThat(o.consecutiveGatewayFailure()).isZero();
    assertThat(o.interval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(o.baseEjectionTime()).isEqualTo(Duration.ofSeconds(30));
    assertThat(o.maxEjectionTime()).isEqualTo(Duration.ofSeconds(300));
    assertThat(o.maxEjectionPercent()).isEqualTo(10);
    assertThat(o.successRate()).isNull();
    assertThat(cluster("outlier_detection: {success_rate: {}}").outlierDetection().successRate())
        .isEqualTo(new SuccessRateConfig(5, 100, 1900));

    var k = cluster("upstream_keepalive: {interval: 30s}").keepalive();
    assertThat(k.interval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(k.options()).isEmpty();
  }

  @Test
  void acceptsEveryField() {
    ClusterConfig c = cluster("""
        circuit_breakers: {max_connections: 4, max_pending_requests: 0, max_requests: 8, max_retries: 2}
        outlier_detection:
          consecutive_5xx: 3
          consecutive_gateway_failure: 2
          interval: 1s
          base_ejection_time: 2s
          max_ejection_time: 20s
          max_ejection_percent: 50
          success_rate: {minimum_hosts: 3, request_volume: 10, stdev_factor: 1000}
        upstream_keepalive: {interval: 15s}
        """);
    assertThat(c.circuitBreakers()).isEqualTo(new CircuitBreakersConfig(4, 0, 8, 2));
    assertThat(c.outlierDetection().successRate()).isEqualTo(new SuccessRateConfig(3, 10, 1000));
    assertThat(c.outlierDetection().maxEjectionTime()).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void namesTheBadField() {
    assertThatThrownBy(() -> cluster("max_pending_requests: 10"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("clusters[0].max_pending_requests: moved to circuit_breakers");
    assertThatThrownBy(() -> cluster("circuit_breakers: {max_request: 1}"))
        .hasMessageStartingWith("clusters[0].circuit_breakers.max_request: unknown field");
    assertThatThrownBy(() -> cluster("circuit_breakers: {max_requests: 0}"))
        .hasMessageStartingWith("clusters[0].circuit_breakers.max_requests: must be between 1 and");
    assertThatThrownBy(() -> cluster("circuit_breakers: {max_connections: \"2\"}"))
        .hasMessageStartingWith("clusters[0].circuit_breakers.max_connections: expected an integer");
    assertThatThrownBy(() -> cluster("outlier_detection: {consecutive_5xxx: 1}"))
        .hasMessageStartingWith("clusters[0].outlier_detection.consecutive_5xxx: unknown field");
    assertThatThrownBy(() -> cluster("outlier_detection: {max_ejection_percent: 101}"))
        .hasMessageStartingWith("clusters[0].outlier_detection.max_ejection_percent: must be between 0 and 100");
    assertThatThrownBy(() -> cluster("outlier_detection: {interval: 0s}"))
        .hasMessageStartingWith("clusters[0].outlier_detection.interval: must be greater than zero");
    assertThatThrownBy(() -> cluster("outlier_detection: {base_ejection_time: 10s, max_ejection_time: 5s}"))
        .hasMessageStartingWith("clusters[0].outlier_detection.max_ejection_time: must be at least"
            + " base_ejection_time");
    assertThatThrownBy(() -> cluster("outlier_detection: {success_rate: {stdev: 1}}"))
        .hasMessageStartingWith("clusters[0].outlier_detection.success_rate.stdev: unknown field");
    assertThatThrownBy(() -> cluster("upstream_keepalive: {}"))
        .hasMessageStartingWith("clusters[0].upstream_keepalive.interval: required field is missing");
    assertThatThrownBy(() -> cluster("upstream_keepalive: 30s"))
        .hasMessageStartingWith("clusters[0].upstream_keepalive: expected a mapping");
    assertThatThrownBy(() -> cluster("upstream_keepalive: {interval: 30s, method_name: ping}"))
        .hasMessageStartingWith("clusters[0].upstream_keepalive: method_name: unknown option");
  }

  @Test
  void strictDnsTypeAndItsRefreshRate() {
    assertThat(cluster("").strictDns()).isNull();
    assertThat(cluster("type: static").strictDns()).isNull();
    assertThat(cluster("type: strict_dns").strictDns().refreshRate())
        .isEqualTo(Duration.ofSeconds(5));
    assertThat(cluster("type: strict_dns\ndns_refresh_rate: 30s").strictDns().refreshRate())
        .isEqualTo(Duration.ofSeconds(30));
    assertThatThrownBy(() -> cluster("type: eds"))
        .hasMessageStartingWith("clusters[0].type: expected one of");
    assertThatThrownBy(() -> cluster("dns_refresh_rate: 1s"))
        .hasMessageStartingWith("clusters[0].dns_refresh_rate: applies only to type: strict_dns");
    assertThatThrownBy(() -> cluster("type: strict_dns\ndns_refresh_rate: 0s"))
        .hasMessageStartingWith("clusters[0].dns_refresh_rate: must be greater than zero");
    assertThatThrownBy(() -> cluster("type: strict_dns\nlb: maglev"))
        .hasMessageStartingWith("clusters[0].type: strict_dns works with lb round_robin");
  }

  @Test
  void thriftKeepaliveTakesTheHealthCheckOptions() {
    String thrift = "{thrift: {transport: framed, protocol: binary}}";
    ProxyConfig ok = parse(thrift, "upstream_keepalive: {interval: 30s, method_name: ping}");
    Proxy.validate(ok);
    assertThat(ok.clusters().get(0).keepalive().options()).isEqualTo(Map.of("method_name", "ping"));
    assertThatThrownBy(() -> Proxy.validate(parse(thrift, "upstream_keepalive: {interval: 30s}")))
        .hasMessageStartingWith("clusters[0].upstream_keepalive: method_name: required");
  }
}
