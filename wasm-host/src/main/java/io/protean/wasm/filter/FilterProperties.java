package io.protean.wasm.filter;

import io.protean.abi.codec.Frame;
import io.protean.abi.codec.Metadata;
import io.protean.abi.filter.FilterContext;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The properties ({@code proxy_get_property}) a filter can read, Envoy's attributes that have an
 * RPC meaning, serialized as Envoy serializes them: strings as their UTF-8 bytes, integers,
 * timestamps and durations as 8-byte little-endian (nanoseconds for times), maps in the
 * proxy-wasm pair encoding. The table in docs/filters.md lists them; any other path is NotFound.
 */
final class FilterProperties {
  private FilterProperties() {}

  /**
   * What a property is read from: the request (null at root context), its response's metadata,
   * status and size (null, null, -1 before one came), and the plugin.
   */
  record View(FilterContext request, Metadata responseMetadata, String responseStatus,
      int responseSize, String pluginName, String rootId) {}

  /** The property at {@code path} (its segments joined with '.'), or null when there is none. */
  static byte[] get(String path, View v) {
    switch (path) {
      case "plugin_name":
        return text(v.pluginName());
      case "plugin_root_id":
        return text(v.rootId());
      case "plugin_vm_id":
        return text("");
      default:
        break;
    }
    FilterContext r = v.request();
    if (r == null) {
      return null; // the root context has no request
    }
    Frame req = r.request();
    return switch (path) {
      case "listener_name" -> text(r.listener());
      case "route_name" -> text(r.routeName());
      case "cluster_name" -> text(r.clusterName());
      case "request.headers" -> HeaderPairs.encode(req.metadata());
      case "request.id" -> text(Long.toString(req.requestId()));
      case "request.time" -> int64(r.receivedEpochNanos());
      case "request.duration" -> int64(System.currentTimeMillis() * 1_000_000L - r.receivedEpochNanos());
      case "request.size", "request.total_size" -> int64(req.length());
      case "response.headers" -> v.responseMetadata() == null ? null : HeaderPairs.encode(v.responseMetadata());
      case "response.code_details" -> text(v.responseStatus());
      case "response.size", "response.total_size" -> v.responseSize() < 0 ? null : int64(v.responseSize());
      case "source.address" -> address(r.downstreamAddress());
      case "source.port" -> port(r.downstreamAddress());
      case "destination.address" -> address(r.localAddress());
      case "destination.port" -> port(r.localAddress());
      case "upstream.address" -> text(r.upstreamAddress());
      case "upstream.port" -> upstreamPort(r.upstreamAddress());
      default -> path.startsWith("request.headers.") ? text(req.metadata().get(path.substring(16)))
          : path.startsWith("response.headers.") && v.responseMetadata() != null
              ? text(v.responseMetadata().get(path.substring(17))) : null;
    };
  }

  private static byte[] text(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] int64(long value) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
  }

  private static byte[] address(InetSocketAddress a) {
    if (a == null) {
      return null;
    }
    String host = a.getAddress().getHostAddress();
    return text((a.getAddress() instanceof java.net.Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort());
  }

  private static byte[] port(InetSocketAddress a) {
    return a == null ? null : int64(a.getPort());
  }

  private static byte[] upstreamPort(String hostPort) {
    int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
    if (colon < 0) {
      return null;
    }
    try {
      return int64(Integer.parseInt(hostPort.substring(colon + 1)));
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
