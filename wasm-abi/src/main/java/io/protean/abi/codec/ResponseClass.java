package io.protean.abi.codec;

/**
 * What a response says about its call, as far as a retry policy cares ({@link Codec#classify}).
 * A retry may help when the server failed; it never may when the call ran and the service itself
 * answered with an error (a business exception), since the call would then run twice.
 */
public enum ResponseClass {
  /** A normal reply. */
  SUCCESS,
  /**
   * The service ran the call and raised an exception it declares (a Dubbo
   * RESPONSE_WITH_EXCEPTION, a Thrift declared exception): an answer, never retried.
   */
  APPLICATION_EXCEPTION,
  /**
   * The server refused the request itself (bad request, unknown method, protocol error): another
   * try would fail the same way. Never retried.
   */
  REQUEST_REJECTED,
  /** The server failed to process the call (Dubbo SERVER_ERROR, SERVICE_ERROR; Thrift INTERNAL_ERROR). */
  SERVER_ERROR,
  /** The server gave up on the call in time (Dubbo SERVER_TIMEOUT; Thrift TIMEOUT). */
  SERVER_TIMEOUT,
  /** The server refused the call for load (Dubbo SERVER_THREADPOOL_EXHAUSTED_ERROR; Thrift LOADSHEDDING). */
  OVERLOADED,
  /** The codec does not say: never retried. */
  UNKNOWN
}
