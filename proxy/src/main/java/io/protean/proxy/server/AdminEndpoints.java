package io.protean.proxy.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.protean.proxy.admin.AdminHandler;
import io.protean.proxy.admin.AdminRequest;
import io.protean.proxy.admin.AdminResponse;
import io.protean.proxy.admin.AdminServer;
import io.protean.proxy.cluster.Cluster;
import io.protean.proxy.observability.ClusterStats;
import io.protean.proxy.upstream.CircuitBreakers;
import io.protean.proxy.upstream.Endpoint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The proxy's admin endpoints, registered on an {@link AdminServer}. */
final class AdminEndpoints {
  private static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .findAndRegisterModules();

  private AdminEndpoints() {}

  static AdminServer register(AdminServer admin, Proxy proxy) {
    return admin
        .register("GET", "/ready", "200 when serving, 503 otherwise", AdminHandler.of(r ->
            proxy.ready() ? AdminResponse.ok("ready\n") : AdminResponse.text(503, "not ready\n")))
        .register("GET", "/stats", "metrics, Prometheus text format", AdminHandler.of(r ->
            new AdminResponse(200, "text/plain; version=0.0.4; charset=utf-8",
                proxy.stats().prometheus())))
        .register("GET", "/config_dump", "the running configuration, its version, the last "
            + "refused reload (JSON)", AdminHandler.of(r -> AdminResponse.json(200, json(configDump(proxy)))))
        .register("GET", "/clusters", "every cluster and endpoint: health, connections, "
            + "requests, errors (?format=json)", AdminHandler.of(r -> clusters(proxy, r)))
        .register("POST", "/reload", "re-read the configuration file and apply it (JSON result)",
            r -> proxy.reloadAsync().thenApply(AdminEndpoints::reloadResponse));
  }

  private static AdminResponse reloadResponse(ReloadResult r) {
    return AdminResponse.json(r.outcome() == ReloadResult.Outcome.REFUSED ? 422 : 200, json(result(r)));
  }

  private static Map<String, Object> result(ReloadResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("result", r.outcome().label());
    m.put("version", r.version());
    if (r.field() != null) {
      m.put("field", r.field());
      m.put("reason", r.reason());
    }
    m.put("at", r.at().toString());
    return m;
  }

  private static Map<String, Object> configDump(Proxy proxy) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", proxy.version());
    m.put("last_reload", proxy.lastReload() == null ? null : result(proxy.lastReload()));
    m.put("last_refused", proxy.lastRefused() == null ? null : result(proxy.lastRefused()));
    m.put("config", proxy.config());
    if (proxy.xdsStatus() != null) {
      m.put("xds", proxy.xdsStatus()); // per resource type: version accepted, last rejection
    }
    return m;
  }

  private static AdminResponse clusters(Proxy proxy, AdminRequest r) {
    List<Map<String, Object>> all = new ArrayList<>();
    for (Cluster c : proxy.clusterManager().clusters().values()) {
      ClusterStats s = c.stats();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", c.name());
      m.put("codec", c.codec().protocol());
      m.put("lb", c.config().lb().name().toLowerCase(java.util.Locale.ROOT));
      m.put("requests", s.requests.get());
      m.put("pending_requests", s.pendingRequests.get());
      m.put("connections", s.upstreamConnections.get());
      m.put("timeouts", s.timeouts.get());
      m.put("connect_failures", s.connectFailures.get());
      m.put("upstream_resets", s.upstreamResets.get());
      CircuitBreakers breakers = c.breakers();
      long overflows = 0;
      for (CircuitBreakers.Resource b : CircuitBreakers.Resource.values()) {
        overflows += breakers.overflows(b);
      }
      m.put("overflows", overflows);
      m.put("health_check", c.config().healthCheck() == null ? "none"
          : c.config().healthCheck().kind().name().toLowerCase(java.util.Locale.ROOT));
      m.put("outlier_detection", c.outlierDetector() != null);
      m.put("ejections", s.ejections.get());
      for (CircuitBreakers.Resource b : CircuitBreakers.Resource.values()) {
        m.put("remaining_" + b.field(), breakers.remaining(b));
      }
      List<Map<String, Object>> endpoints = new ArrayList<>();
      for (Endpoint e : c.endpoints()) {
        Map<String, Object> em = new LinkedHashMap<>();
        em.put("address", e.address().toString());
        em.put("health", health(e));
        em.put("connections", e.connections.sum());
        em.put("active_requests", e.activeRequests.sum());
        em.put("requests", e.requests.sum());
        em.put("errors", e.errors.sum());
        em.put("ejected", e.ejected());
        em.put("times_ejected", e.timesEjected);
        endpoints.add(em);
      }
      m.put("endpoints", endpoints);
      all.add(m);
    }
    if ("json".equals(r.param("format", "text"))) {
      return AdminResponse.json(200, json(Map.of("clusters", all)));
    }
    StringBuilder sb = new StringBuilder();
    for (Map<String, Object> m : all) {
      sb.append(m.get("name"));
      m.forEach((k, v) -> {
        if (!k.equals("name") && !k.equals("endpoints")) {
          sb.append(' ').append(k).append('=').append(v);
        }
      });
      sb.append('\n');
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> endpoints = (List<Map<String, Object>>) m.get("endpoints");
      for (Map<String, Object> e : endpoints) {
        sb.append("  ").append(e.get("address"));
        e.forEach((k, v) -> {
          if (!k.equals("address")) {
            sb.append(' ').append(k).append('=').append(v);
          }
        });
        sb.append('\n');
      }
    }
    return AdminResponse.ok(sb.toString());
  }

  /**
   * The active health check's verdict first (unhealthy, unknown: no traffic), then an outlier
   * ejection, then connect backoff, else healthy.
   */
  private static String health(Endpoint e) {
    Endpoint.ActiveHealth active = e.activeHealth();
    if (e.failsActiveHealthCheck()) {
      return active.label();
    }
    if (e.ejected()) {
      return "ejected";
    }
    return e.backingOff() ? "connect_backoff" : "healthy";
  }

  private static String json(Object o) {
    try {
      return JSON.writeValueAsString(o) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("not serialisable", e);
    }
  }
}
