package io.protean.demo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ExpectedTest {
  private static final String V1 = "provider-v1@127.0.0.1:1";

  @Test
  void anAnswerFromTheRightProviderIsExpected() {
    assertThat(Expected.answeredBy(V1).mismatch("hello ann from " + V1, null)).isNull();
  }

  @Test
  void anAnswerFromAnotherProviderOrAFailureIsNot() {
    assertThat(Expected.answeredBy(V1).mismatch("hello ann from provider-v2@127.0.0.1:2", null))
        .isEqualTo("expected " + V1 + " to answer");
    assertThat(Expected.answeredBy(V1).mismatch(null, new RuntimeException("protean: no route")))
        .isEqualTo("expected an answer from " + V1);
  }

  @Test
  void aRefusalCountsOnlyForTheExpectedReason() {
    Expected noRoute = Expected.refusedWith("protean: no route matches");
    assertThat(noRoute.mismatch(null, new RuntimeException("... protean: no route matches x"))).isNull();
    assertThat(noRoute.mismatch(null, new RuntimeException("protean: upstream did not answer")))
        .isEqualTo("expected a refusal with \"protean: no route matches\"");
    assertThat(noRoute.mismatch(null, new RuntimeException((String) null))).isNotNull();
    assertThat(noRoute.mismatch("hello carol from " + V1, null))
        .isEqualTo("expected a refusal (protean: no route matches), got an answer");
  }
}
