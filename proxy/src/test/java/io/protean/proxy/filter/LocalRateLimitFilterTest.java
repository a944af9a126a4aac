package io.protean.proxy.filter;

import static io.protean.proxy.filter.TestRequest.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.protean.abi.ExtensionContext;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterStatus;
import io.protean.proxy.observability.Stats;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LocalRateLimitFilterTest {
  private final Stats stats = new Stats();
  private final AtomicLong clock = new AtomicLong();

  private FilterFactory limit(String config) {
    return new LocalRateLimitFilterProvider(clock::get).create(yaml(config),
        ExtensionContext.of(stats));
  }

  @Test
  void eachRuleHasItsBucketAndUnmatchedRequestsPass() {
    FilterFactory f = limit("""
        stat_prefix: edge
        rules:
          - name: greet
            match: [{key: method, exact: greet}]
            token_bucket: {max_tokens: 2, tokens_per_fill: 1, fill_interval: 1s}
          - name: rest
            match: [{key: interface, prefix: com.}]
            token_bucket: {max_tokens: 1, fill_interval: 1s}
        """);
    assertThat(call(f, "method", "greet")).isNull();
    assertThat(call(f, "method", "greet")).isNull();
    assertThat(call(f, "method", "greet")).isEqualTo(ErrorType.RATE_LIMITED);
    assertThat(call(f, "interface", "com.A")).isNull();
    assertThat(call(f, "interface", "com.A")).isEqualTo(ErrorType.RATE_LIMITED);
    assertThat(call(f, "method", "other")).isNull(); // no rule: not limited
    clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
    assertThat(call(f, "method", "greet")).isNull();
    assertThat(stats.prometheus())
        .contains("protean_local_ratelimit_requests_total{stat_prefix=\"edge\",rule=\"greet\",decision=\"ok\"} 3")
        .contains("protean_local_ratelimit_requests_total{stat_prefix=\"edge\",rule=\"greet\",decision=\"rate_limited\"} 1")
        .contains("protean_local_ratelimit_requests_total{stat_prefix=\"edge\",rule=\"rest\",decision=\"rate_limited\"} 1");
  }

  private static ErrorType call(FilterFactory f, String key, String value) {
    TestRequest r = new TestRequest(key, value);
    FilterStatus s = r.through(f.newFilter());
    assertThat(s == FilterStatus.STOP).isEqualTo(r.replied != null);
    return r.replied;
  }

  @Test
  void invalidConfigNamesTheField() {
    assertThatThrownBy(() -> limit("rules: [{token_bucket: {max_tokens: 0, fill_interval: 1s}}]"))
        .hasMessage("rules[0].token_bucket.max_tokens: must be between 1 and 16777215, found 0");
    assertThatThrownBy(() -> limit("rules: [{token_bucket: {max_tokens: 5, fill_interval: 10ms}}]"))
        .hasMessage("rules[0].token_bucket.fill_interval: must be at least 50ms, found 10ms");
    assertThatThrownBy(() -> limit("rules: [{token_bucket: {max_tokens: 5}}]"))
        .hasMessage("rules[0].token_bucket.fill_interval: required field is missing");
    assertThatThrownBy(() -> limit("rules: [{match: []}]"))
        .hasMessage("rules[0].token_bucket: required field is missing");
    assertThatThrownBy(() -> limit("rules: []"))
        .hasMessage("rules: at least one rule is required");
  }
}
