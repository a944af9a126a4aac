package io.protean.proxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.abi.codec.Metadata;
import io.protean.proxy.cluster.lb.LoadBalancer;
import io.protean.proxy.config.model.ProxyConfig.HashPolicy;
import io.protean.proxy.config.model.ProxyConfig.RouteConfig;
import io.protean.proxy.config.model.ProxyConfig.WeightedCluster;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.openhft.hashing.LongHashFunction;
import org.junit.jupiter.api.Test;

/** A route's weighted cluster draw and its hash policy (Envoy's semantics). */
class RouteChoiceTest {

  private static Route route(List<WeightedCluster> clusters, List<HashPolicy> hash) {
    return new Route(new RouteConfig("r", List.of(), clusters.isEmpty() ? "only" : null,
        Duration.ofSeconds(1), clusters, hash, null, List.of()));
  }

  private static long xx(String value) {
    return LongHashFunction.xx().hashChars(value);
  }

  @Test
  void weightedClustersAreDrawnInProportionAndWeightZeroNever() {
    Route r = route(List.of(new WeightedCluster("a", 3), new WeightedCluster("off", 0),
        new WeightedCluster("b", 1)), List.of());
    assertThat(r.cluster()).isNull();
    Map<String, Integer> drawn = new HashMap<>();
    for (int i = 0; i < 40_000; i++) {
      drawn.merge(r.pickCluster(), 1, Integer::sum);
    }
    assertThat(drawn).containsOnlyKeys("a", "b");
    // 30 000 expected; outside 29 000..31 000 has a probability under 1e-20 for a fair draw.
    assertThat(drawn.get("a")).isBetween(29_000, 31_000);
  }

  @Test
  void aSingleClusterRouteAlwaysPicksIt() {
    Route r = route(List.of(), List.of());
    assertThat(r.cluster()).isEqualTo("only");
    assertThat(r.pickCluster()).isEqualTo("only");
  }

  @Test
  void noPolicyOrNoKeyPresentIsNoHash() {
    assertThat(route(List.of(), List.of()).hash(new Metadata().put("x-user", "u"))).isEqualTo(LoadBalancer.NO_HASH);
    Route r = route(List.of(), List.of(new HashPolicy("x-user", false)));
    assertThat(r.hash(new Metadata().put("other", "u"))).isEqualTo(LoadBalancer.NO_HASH);
    assertThat(r.hash(new Metadata().put("x-user", "u"))).isEqualTo(xx("u"));
  }

  @Test
  void presentKeysCombineInOrderAndATerminalOneEndsTheList() {
    Route combined = route(List.of(), List.of(new HashPolicy("a", false), new HashPolicy("b", false)));
    Metadata both = new Metadata().put("a", "1").put("b", "2");
    assertThat(combined.hash(both)).isEqualTo(Long.rotateLeft(xx("1"), 1) ^ xx("2"));
    // An absent key is skipped: the next one decides alone.
    assertThat(combined.hash(new Metadata().put("b", "2"))).isEqualTo(xx("2"));

    Route terminal = route(List.of(), List.of(new HashPolicy("a", true), new HashPolicy("b", false)));
    assertThat(terminal.hash(both)).isEqualTo(xx("1"));
    assertThat(terminal.hash(new Metadata().put("b", "2"))).isEqualTo(xx("2"));
    // The same value always hashes the same, other values differently.
    assertThat(terminal.hash(new Metadata().put("a", "1"))).isEqualTo(terminal.hash(both))
        .isNotEqualTo(terminal.hash(new Metadata().put("a", "3")));
  }
}
