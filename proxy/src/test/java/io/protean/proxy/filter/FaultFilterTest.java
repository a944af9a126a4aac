package io.protean.proxy.filter;

import static io.protean.proxy.filter.TestRequest.factory;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.embedded.EmbeddedChannel;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.filter.Filter;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterStatus;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.observability.Stats;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FaultFilterTest {
  private final Stats stats = new Stats();
  private final EmbeddedChannel loop = new EmbeddedChannel();

  {
    loop.freezeTime();
  }

  @AfterEach
  void close() {
    loop.finishAndReleaseAll();
  }

  private FilterFactory fault(String yaml) {
    return factory(new FaultFilterProvider(), stats, yaml);
  }

  @Test
  void abortsTheConfiguredShareWithTheNamedError() {
    FilterFactory f = fault("""
        rules:
          - name: greet
            match: [{key: method, exact: greet}]
            abort: {error: overloaded, percent: 30, message: chaos}
        """);
    int aborted = 0;
    for (int i = 0; i < 10_000; i++) {
      TestRequest r = new TestRequest("method", "greet");
      if (r.through(f.newFilter()) == FilterStatus.STOP) {
        assertThat(r.replied).isEqualTo(ErrorType.OVERLOADED);
        assertThat(r.message).isEqualTo("chaos");
        aborted++;
      }
    }
    // 30 % of 10 000: the standard deviation is 46 calls, the bound (±2 points) is 4.3 of them.
    assertThat(aborted).isBetween(2_800, 3_200);
    assertThat(stats.prometheus()).contains(
        "protean_fault_aborts_injected_total{stat_prefix=\"fault\",rule=\"greet\"} " + aborted);
  }

  @Test
  void aRequestTheRulesDoNotMatchPasses() {
    FilterFactory f = fault("""
        rules: [{match: [{key: method, exact: greet}], abort: {error: internal, percent: 100}}]
        """);
    TestRequest r = new TestRequest("method", "other");
    assertThat(r.through(f.newFilter())).isEqualTo(FilterStatus.CONTINUE);
    assertThat(r.replied).isNull();
  }

  @Test
  void aDelayHoldsTheRequestOnItsLoopThenResumes() {
    FilterFactory f = fault("rules: [{delay: {fixed: 200ms, percent: 100}}]");
    TestRequest r = new TestRequest("method", "greet").on(loop);
    Filter filter = f.newFilter();
    assertThat(r.through(filter)).isEqualTo(FilterStatus.STOP);
    assertThat(stats.prometheus()).contains("protean_fault_active_delays{stat_prefix=\"fault\"} 1");
    loop.advanceTimeBy(199, TimeUnit.MILLISECONDS);
    loop.runScheduledPendingTasks();
    assertThat(r.resumed).isZero();
    loop.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    loop.runScheduledPendingTasks();
    assertThat(r.resumed).isEqualTo(1);
    assertThat(r.replied).isNull();
    assertThat(stats.prometheus()).contains("protean_fault_active_delays{stat_prefix=\"fault\"} 0");
    r.complete(filter);
  }

  @Test
  void anAbortWithADelayComesAfterTheDelay() {
    FilterFactory f = fault("rules: [{delay: {fixed: 1s, percent: 100}, abort: {error: timeout, percent: 100}}]");
    TestRequest r = new TestRequest().on(loop);
    assertThat(r.through(f.newFilter())).isEqualTo(FilterStatus.STOP);
    assertThat(r.replied).isNull();
    loop.advanceTimeBy(1, TimeUnit.SECONDS);
    loop.runScheduledPendingTasks();
    assertThat(r.replied).isEqualTo(ErrorType.TIMEOUT);
    assertThat(r.resumed).isZero();
  }

  @Test
  void aRequestThatEndsDuringItsDelayCancelsTheTimer() {
    FilterFactory f = fault("rules: [{delay: {fixed: 1s, percent: 100}}]");
    TestRequest r = new TestRequest().on(loop);
    Filter filter = f.newFilter();
    r.through(filter);
    r.complete(filter); // the client went away
    assertThat(stats.prometheus()).contains("protean_fault_active_delays{stat_prefix=\"fault\"} 0");
    loop.advanceTimeBy(2, TimeUnit.SECONDS);
    loop.runScheduledPendingTasks(); // TestRequest throws if the timer still resumed it
    assertThat(r.resumed).isZero();
  }

  @Test
  void invalidConfigNamesTheField() {
    assertThatThrownBy(() -> fault("rules: [{abort: {error: teapot, percent: 5}}]"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("rules[0].abort.error: unknown error 'teapot' (expected one of [")
        .hasMessageContaining("rate_limited");
    assertThatThrownBy(() -> fault("rules: [{abort: {error: overloaded, percent: 101}}]"))
        .hasMessage("rules[0].abort.percent: must be between 0 and 100, found 101");
    assertThatThrownBy(() -> fault("rules: [{abort: {error: overloaded}}]"))
        .hasMessageStartingWith("rules[0].abort.percent: required field is missing");
    assertThatThrownBy(() -> fault("rules: [{delay: {fixed: 2, percent: 1}}]"))
        .hasMessageStartingWith("rules[0].delay.fixed: expected a duration");
    assertThatThrownBy(() -> fault("rules: [{match: [{key: method}]}]"))
        .hasMessageStartingWith("rules[0].match[0]: one of exact, prefix, regex, present");
    assertThatThrownBy(() -> fault("rules: [{name: x}]"))
        .hasMessage("rules[0]: a rule needs a delay, an abort or both");
    assertThatThrownBy(() -> fault("rule: []"))
        .hasMessageStartingWith("rule: unknown field");
  }
}
