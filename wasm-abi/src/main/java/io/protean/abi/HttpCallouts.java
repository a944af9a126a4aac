package io.protean.abi;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * HTTP/1.1 requests an extension sends to a cluster of the proxy (a proxy-wasm filter's
 * {@code proxy_http_call}): non-blocking, from and on the calling event loop, under the caller's
 * timeout.
 */
public interface HttpCallouts {

  /** A request: method, path and authority (the Host header), then the other headers. */
  record Request(String method, String path, String authority, List<Map.Entry<String, String>> headers,
      byte[] body) {}

  /**
   * The outcome: the response (status, headers in order, body), or a failure (no response:
   * connect failed, timed out, reset, bad response), then {@code status} is 0.
   */
  record Response(int status, List<Map.Entry<String, String>> headers, byte[] body, String failure) {

    public static Response failed(String why) {
      return new Response(0, List.of(), new byte[0], why);
    }
  }

  /**
   * Sends {@code request} to an endpoint of {@code cluster}. Call it on an event loop of the
   * proxy; {@code done} runs exactly once, on that loop, within {@code timeoutMillis}.
   *
   * @return false (and {@code done} never runs) when no cluster has that name or it has no
   *     endpoint
   */
  boolean send(String cluster, Request request, long timeoutMillis, Consumer<Response> done);

  /** No clusters: every call is refused. */
  HttpCallouts NONE = (cluster, request, timeout, done) -> false;
}
