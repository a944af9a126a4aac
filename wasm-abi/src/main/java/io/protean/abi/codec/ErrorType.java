package io.protean.abi.codec;

/**
 * Why the proxy answers a request itself. The codec turns each into its protocol's error reply
 * (a Dubbo response status, a Thrift TApplicationException type).
 */
public enum ErrorType {
  ROUTE_NOT_FOUND,
  CLUSTER_NOT_FOUND,
  NO_HEALTHY_UPSTREAM,
  UPSTREAM_CONNECT_FAILURE,
  /** The upstream connection closed while the request was in flight. */
  UPSTREAM_RESET,
  TIMEOUT,
  OVERLOADED,
  RATE_LIMITED,
  /** The request or its response could not be decoded or re-encoded. */
  CODEC_FAILURE,
  /** A filter answered the request itself (for example a deny rule). */
  LOCAL_REPLY,
  INTERNAL,
  /** An access policy refused the request (RBAC). */
  PERMISSION_DENIED;
}
