package io.protean.proxy.filter;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.protean.abi.ExtensionContext;
import io.protean.abi.Metrics;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Metadata;
import io.protean.abi.filter.Filter;
import io.protean.abi.filter.FilterContext;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterProvider;
import io.protean.abi.filter.FilterStatus;
import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.config.yaml.Node;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code ratelimit}: global rate limiting over Envoy's rate-limit service API (RLS v3, gRPC),
 * as Envoy's ratelimit filter does. Each request's descriptors are built from its metadata (a
 * descriptor with an absent key is not sent, as in Envoy); the request waits — the event loop
 * does not — for the service's answer: OVER_LIMIT gets the codec's RATE_LIMITED reply. A service
 * that errs or does not answer within {@code timeout} lets the request through, or refuses it
 * with {@code failure_mode_deny}. Every decision is counted by result.
 */
public final class RateLimitFilterProvider implements FilterProvider {
  static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(20); // Envoy's

  @Override
  public String name() {
    return "ratelimit";
  }

  /** One descriptor entry: its key, and a metadata key, a constant or the peer address. */
  private record Entry(String key, String metadata, String value, boolean remoteAddress) {}

  @Override
  public FilterFactory create(Map<String, Object> config, ExtensionContext context) {
    Node root = Node.of("", config).allowOnly("domain", "service", "timeout", "failure_mode_deny",
        "descriptors", "stat_prefix");
    String domain = root.required("domain").text();
    if (domain.isEmpty()) {
      throw root.field("domain").error("must not be empty");
    }
    HostPort service = root.required("service").endpointAddress();
    Duration timeout = root.field("timeout").duration(DEFAULT_TIMEOUT);
    boolean deny = root.field("failure_mode_deny").bool(false);
    String prefix = root.field("stat_prefix").text(name());
    List<List<Entry>> descriptors = new ArrayList<>();
    List<Node> ds = root.required("descriptors").list();
    if (ds.isEmpty()) {
      throw root.field("descriptors").error("at least one descriptor is required");
    }
    for (Node d : ds) {
      List<Entry> entries = new ArrayList<>();
      List<Node> es = d.allowOnly("entries").required("entries").list();
      if (es.isEmpty()) {
        throw d.field("entries").error("at least one entry is required");
      }
      for (Node e : es) {
        e.allowOnly("key", "metadata", "value", "remote_address");
        boolean remote = e.field("remote_address").bool(false);
        String metadata = e.field("metadata").text(null);
        String value = e.field("value").text(null);
        int sources = (remote ? 1 : 0) + (metadata != null ? 1 : 0) + (value != null ? 1 : 0);
        if (sources != 1) {
          throw e.error("give exactly one of metadata, value or remote_address: true");
        }
        String key = e.field("key").text(remote ? "remote_address" : metadata);
        if (key == null || key.isEmpty()) {
          throw e.field("key").error("required with value");
        }
        entries.add(new Entry(key, metadata, value, remote));
      }
      descriptors.add(List.copyOf(entries));
    }
    Metrics m = context.metrics();
    String help = "Requests checked with the rate-limit service, by result.";
    Counters counters = new Counters(
        m.counter("protean_ratelimit_requests_total", help, "stat_prefix", prefix, "result", "ok"),
        m.counter("protean_ratelimit_requests_total", help, "stat_prefix", prefix, "result",
            "over_limit"),
        m.counter("protean_ratelimit_requests_total", help, "stat_prefix", prefix, "result",
            deny ? "error_denied" : "error_allowed"));
    ManagedChannel channel = NettyChannelBuilder.forAddress(service.host(), service.port())
        .usePlaintext().directExecutor().build();
    channel.getState(true); // connect now, not on the first request (its deadline would pay)
    RateLimitServiceGrpc.RateLimitServiceStub stub = RateLimitServiceGrpc.newStub(channel);
    return new FilterFactory() {
      @Override
      public Filter newFilter() {
        return new Check(stub, domain, descriptors, timeout.toNanos(), deny, counters);
      }

      @Override
      public void close() {
        channel.shutdownNow();
      }
    };
  }

  private record Counters(Metrics.Counter ok, Metrics.Counter overLimit, Metrics.Counter error) {}

  /** One request's check: sent, then answered on the request's event loop. */
  private static final class Check implements Filter, StreamObserver<RateLimitResponse> {
    private final RateLimitServiceGrpc.RateLimitServiceStub stub;
    private final String domain;
    private final List<List<Entry>> descriptors;
    private final long timeoutNanos;
    private final boolean deny;
    private final Counters counters;
    private FilterContext ctx;
    /** Waiting for the service; cleared when the answer is used or the request ends. */
    private boolean waiting;

    Check(RateLimitServiceGrpc.RateLimitServiceStub stub, String domain,
        List<List<Entry>> descriptors, long timeoutNanos, boolean deny, Counters counters) {
      this.stub = stub;
      this.domain = domain;
      this.descriptors = descriptors;
      this.timeoutNanos = timeoutNanos;
      this.deny = deny;
      this.counters = counters;
    }

    @Override
    public FilterStatus onRequest(FilterContext ctx) {
      RateLimitRequest.Builder request = RateLimitRequest.newBuilder().setDomain(domain)
          .setHitsAddend(1);
      Metadata md = ctx.request().metadata();
      for (List<Entry> d : descriptors) {
        RateLimitDescriptor.Builder b = RateLimitDescriptor.newBuilder();
        boolean complete = true;
        for (Entry e : d) {
          String v = e.value != null ? e.value : e.metadata != null ? md.get(e.metadata) : peer(ctx);
          if (v == null) {
            complete = false;
            break;
          }
          b.addEntries(RateLimitDescriptor.Entry.newBuilder().setKey(e.key).setValue(v));
        }
        if (complete) {
          request.addDescriptors(b);
        }
      }
      if (request.getDescriptorsCount() == 0) {
        return FilterStatus.CONTINUE; // nothing to limit on
      }
      this.ctx = ctx;
      waiting = true;
      stub.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS).shouldRateLimit(request.build(),
          this);
      return FilterStatus.STOP;
    }

    private static String peer(FilterContext ctx) {
      InetSocketAddress a = ctx.downstreamAddress();
      return a == null || a.getAddress() == null ? null : a.getAddress().getHostAddress();
    }

    // gRPC's threads: each answer moves to the request's event loop.
    @Override
    public void onNext(RateLimitResponse r) {
      boolean over = r.getOverallCode() == RateLimitResponse.Code.OVER_LIMIT;
      ctx.executor().execute(() -> decide(over ? Decision.OVER_LIMIT : Decision.OK, null));
    }

    @Override
    public void onError(Throwable t) {
      ctx.executor().execute(() -> decide(Decision.ERROR, t));
    }

    @Override
    public void onCompleted() {
      // the answer came in onNext
    }

    private enum Decision { OK, OVER_LIMIT, ERROR }

    private void decide(Decision d, Throwable error) {
      if (!waiting) {
        return; // the request ended while it waited
      }
      waiting = false;
      switch (d) {
        case OK -> {
          counters.ok.inc();
          ctx.resume();
        }
        case OVER_LIMIT -> {
          counters.overLimit.inc();
          ctx.sendLocalReply(ErrorType.RATE_LIMITED, "rate limited by the rate-limit service");
        }
        case ERROR -> {
          counters.error.inc();
          if (deny) {
            ctx.sendLocalReply(ErrorType.RATE_LIMITED, "the rate-limit service failed ("
                + error.getMessage() + ") and failure_mode_deny is set");
          } else {
            ctx.resume();
          }
        }
      }
    }

    @Override
    public void onComplete(FilterContext ctx) {
      waiting = false;
    }
  }
}
