package io.protean.proxy.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/** Talks to a running proxy's admin endpoint as an operator's curl would. */
final class AdminClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final InetSocketAddress address;

  AdminClient(InetSocketAddress address) {
    this.address = address;
  }

  /** An HTTP answer: status and body. */
  record Reply(int status, String body) {}

  String get(String path) {
    Reply r = call("GET", path);
    if (r.status() != 200) {
      throw new IllegalStateException("GET " + path + ": " + r.status() + " " + r.body());
    }
    return r.body();
  }

  Reply post(String path) {
    return call("POST", path);
  }

  /** The value of one Prometheus series in {@code /stats} (0 when absent). */
  long counter(String series) {
    return get("/stats").lines().filter(l -> l.startsWith(series + " ")).findFirst()
        .map(l -> (long) Double.parseDouble(l.substring(series.length() + 1))).orElse(0L);
  }

  /** The sum of every series of {@code family} whose labels contain {@code labelPart}. */
  long sum(String family, String labelPart) {
    return get("/stats").lines().filter(l -> l.startsWith(family + "{") && l.contains(labelPart))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  /** Endpoint {@code address} of cluster {@code cluster} in {@code /clusters?format=json}. */
  JsonNode endpoint(String cluster, String address) {
    try {
      for (JsonNode c : JSON.readTree(get("/clusters?format=json")).get("clusters")) {
        if (c.get("name").asText().equals(cluster)) {
          for (JsonNode e : c.get("endpoints")) {
            if (e.get("address").asText().equals(address)) {
              return e;
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new AssertionError("no endpoint " + address + " in cluster " + cluster);
  }

  private Reply call(String method, String path) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(
          "http://127.0.0.1:" + address.getPort() + path).toURL().openConnection();
      c.setRequestMethod(method);
      c.setConnectTimeout(5000);
      c.setReadTimeout(60_000);
      try {
        int status = c.getResponseCode();
        InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream();
        return new Reply(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } finally {
        c.disconnect();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path, e);
    }
  }
}
