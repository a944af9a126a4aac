package io.protean.wasm.filter;

import java.util.Map;

/**
 * The proxy-wasm 0.2.1 host functions this host does not offer, and why (the table in
 * docs/filters.md). They are not refused at load: the official SDKs import them whether a filter
 * calls them or not (the Rust SDK 0.2.5 imports the gRPC functions for every module), so a
 * refusal would turn away every SDK-built filter. Instead the load names the ones a module
 * imports, and a call answers Unimplemented, which the SDKs surface to the filter, with a warning
 * naming the function and the reason.
 */
final class NotOffered {
  private NotOffered() {}

  static final Map<String, String> REASONS = Map.ofEntries(
      Map.entry("proxy_grpc_call", "gRPC callouts are not offered yet (proxy_http_call is)"),
      Map.entry("proxy_grpc_stream", "gRPC callouts are not offered yet (proxy_http_call is)"),
      Map.entry("proxy_grpc_send", "gRPC callouts are not offered yet (proxy_http_call is)"),
      Map.entry("proxy_grpc_cancel", "gRPC callouts are not offered yet (proxy_http_call is)"),
      Map.entry("proxy_grpc_close", "gRPC callouts are not offered yet (proxy_http_call is)"),
      Map.entry("proxy_get_status", "it reports a gRPC callout's status, and there are none"),
      Map.entry("proxy_call_foreign_function", "no foreign functions are registered (Envoy's "
          + "are its own extensions: expression evaluation, compression, ...)"),
      Map.entry("proxy_close_stream", "an RPC is answered (proxy_send_local_response), not reset: "
          + "resetting one would close a connection other requests share"),
      Map.entry("proxy_set_buffer_bytes", "bodies are read-only: a frame's bytes are its codec's "
          + "(framing, metadata and payload), and no codec re-encodes a replaced payload yet"),
      Map.entry("proxy_clear_route_cache", "routes are matched when a request is forwarded, after "
          + "every filter: there is no cache to clear"));
}
