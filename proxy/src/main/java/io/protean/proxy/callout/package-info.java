/**
 * HTTP/1.1 callouts from extensions to the proxy's clusters (proxy-wasm's {@code proxy_http_call}),
 * with Netty's HTTP client codec on the caller's event loop.
 */
package io.protean.proxy.callout;
