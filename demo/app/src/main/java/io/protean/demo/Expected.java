package io.protean.demo;

/**
 * What one demo call should do. The demo's exit code is 0 only when every call did what its
 * expectation says: answered by the provider the route leads to, or refused by the proxy for the
 * reason the demo shows (a refusal for another reason, or an answer, is a failure).
 */
sealed interface Expected {

  /**
   * Why the call's outcome is not the expected one, or null when it is.
   *
   * @param answer  the call's return value, or null when it threw
   * @param failure what the call threw, or null when it answered
   */
  String mismatch(String answer, RuntimeException failure);

  /** Answered by {@code provider} (the greeting names the provider that produced it). */
  static Expected answeredBy(String provider) {
    return new AnsweredBy(provider);
  }

  /** Refused with an error whose message contains {@code message}. */
  static Expected refusedWith(String message) {
    return new RefusedWith(message);
  }

  /** See {@link #answeredBy}. */
  record AnsweredBy(String provider) implements Expected {
    @Override
    public String mismatch(String answer, RuntimeException failure) {
      if (failure != null) {
        return "expected an answer from " + provider;
      }
      return answer != null && answer.endsWith(" from " + provider)
          ? null : "expected " + provider + " to answer";
    }
  }

  /** See {@link #refusedWith}. */
  record RefusedWith(String message) implements Expected {
    @Override
    public String mismatch(String answer, RuntimeException failure) {
      if (failure == null) {
        return "expected a refusal (" + message + "), got an answer";
      }
      String got = failure.getMessage();
      return got != null && got.contains(message) ? null : "expected a refusal with \"" + message + "\"";
    }
  }
}
