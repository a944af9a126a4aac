package io.protean.proxy.e2e;

import java.util.ArrayList;
import java.util.List;

/**
 * A one-worker proxy with one TinyRPC listener ({@code tiny}, the Rust-built Wasm codec), built
 * up by the filter tests: its filters, routes and clusters, each one YAML flow item.
 */
final class TinyRpcProxyConfig {
  private final List<String> filters = new ArrayList<>();
  private final List<String> routes = new ArrayList<>();
  private final List<String> clusters = new ArrayList<>();
  private boolean admin;

  /** A filter, e.g. {@code wasm: {module: x.wasm}}. */
  TinyRpcProxyConfig filter(String yaml) {
    filters.add(yaml);
    return this;
  }

  /** A route, e.g. {@code {cluster: a, timeout: 1s}}. */
  TinyRpcProxyConfig route(String yaml) {
    routes.add(yaml);
    return this;
  }

  /** A cluster of one endpoint on the loopback. */
  TinyRpcProxyConfig cluster(String name, int port) {
    clusters.add("{name: " + name + ", endpoints: [\"127.0.0.1:" + port + "\"]}");
    return this;
  }

  /** The admin endpoint on a free port (off by default). */
  TinyRpcProxyConfig admin() {
    admin = true;
    return this;
  }

  String yaml() {
    StringBuilder y = new StringBuilder("workers: 1\n")
        .append(admin ? "admin: {address: \"127.0.0.1:0\"}\n" : "admin: {enabled: false}\n")
        .append("listeners:\n  - name: tiny\n    address: 127.0.0.1:0\n")
        .append("    codec: {wasm: {module: ").append(WasmTinyRpcEndToEndTest.module("rust")).append("}}\n")
        .append("    filters:\n");
    filters.forEach(f -> y.append("      - ").append(f).append('\n'));
    y.append("    routes:\n");
    routes.forEach(r -> y.append("      - ").append(r).append('\n'));
    y.append("clusters:\n");
    clusters.forEach(c -> y.append("  - ").append(c).append('\n'));
    return y.toString();
  }
}
