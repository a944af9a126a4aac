package io.protean.proxy.listener;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import io.protean.abi.codec.CodecException;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Metadata;
import io.protean.abi.codec.Mutation;
import io.protean.abi.filter.Filter;
import io.protean.abi.filter.FilterContext;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterStatus;
import io.protean.proxy.route.Route;
import io.protean.proxy.observability.ListenerStats;
import io.protean.proxy.upstream.UpstreamConnection;
import io.protean.proxy.upstream.UpstreamPool;
import io.protean.proxy.upstream.UpstreamRequest;
import io.protean.proxy.loop.Deadlines;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request on its way through the proxy: request filters, route, upstream, response filters,
 * downstream. Confined to its connection's event loop.
 *
 * <p>Ownership: the request frame is held until the request completes (the codec may need it for
 * an error reply); the bytes sent upstream are a second reference to it (or a re-encoding when a
 * filter mutated the metadata). A response frame passes to the downstream channel.
 */
final class ActiveRequest extends Deadlines.Entry implements FilterContext, UpstreamRequest {
  private static final Logger log = LoggerFactory.getLogger(ActiveRequest.class);

  private static final Filter[] NO_FILTERS = {};

  private final DownstreamConnection downstream;
  private final Frame request;
  private final boolean twoWay;
  private final long startNanos = System.nanoTime();
  private final Filter[] filters;
  private int filterIndex;
  private boolean responsePhase;
  private Mutation mutation;
  private Route route;
  private UpstreamPool pool;
  private UpstreamConnection upstream;
  private long upstreamId = -1;
  private Deadlines timeout;
  /** Times the request was handed to an upstream connection (a failed connect allows another). */
  private int attempts;
  private Frame response;
  private boolean done;
  /** An answer waiting for earlier ones (ordered protocols); owned by the downstream connection. */
  ByteBuf readyReply;
  /** The downstream connection's list of active requests. */
  ActiveRequest prev;
  ActiveRequest next;

  ActiveRequest(DownstreamConnection downstream, Frame request) {
    this.downstream = downstream;
    this.request = request;
    this.twoWay = request.type() != MessageType.ONEWAY;
    FilterFactory[] factories = downstream.listener.filters();
    this.filters = factories.length == 0 ? NO_FILTERS : new Filter[factories.length];
    for (int i = 0; i < factories.length; i++) {
      filters[i] = factories[i].newFilter();
    }
  }

  private ListenerStats stats() {
    return downstream.listener.stats();
  }

  void start() {
    stats().requests.inc();
    if (twoWay) {
      stats().activeRequests.inc();
      downstream.expectReply(this);
    }
    downstream.add(this);
    continueRequest();
  }

  private void continueRequest() {
    while (filterIndex < filters.length) {
      FilterStatus status = filters[filterIndex++].onRequest(this);
      if (done || status == FilterStatus.STOP) {
        return;
      }
    }
    forward();
  }

  private void forward() {
    Metadata metadata = request.metadata();
    route = downstream.listener.routes().match(metadata);
    if (route == null) {
      fail(ErrorType.ROUTE_NOT_FOUND, "no route matches " + describe(metadata));
      return;
    }
    pool = downstream.worker.pool(route.cluster());
    if (pool == null) {
      fail(ErrorType.CLUSTER_NOT_FOUND, "route '" + route.name() + "' names cluster '"
          + route.cluster() + "', which does not exist");
      return;
    }
    if (pool.overloaded()) {
      pool.cluster().stats().overflows.inc();
      fail(ErrorType.OVERLOADED, "cluster '" + route.cluster()
          + "' has reached max_pending_requests");
      return;
    }
    if (twoWay && !request.hasRewritableId()) {
      fail(ErrorType.CODEC_FAILURE, "the " + downstream.listener.name() + " codec does not say where"
          + " the request id is, so the request cannot share an upstream connection");
      return;
    }
    UpstreamConnection c = pool.pick();
    if (c == null) {
      fail(ErrorType.NO_HEALTHY_UPSTREAM, "no healthy upstream in cluster '" + route.cluster()
          + "'");
      return;
    }
    ByteBuf bytes;
    try {
      bytes = mutation == null || mutation.isEmpty() ? request.content().retainedDuplicate()
          : downstream.codec().encode(request, mutation, downstream.channel().alloc());
    } catch (CodecException e) {
      fail(ErrorType.CODEC_FAILURE, "cannot re-encode the request: " + e.getMessage());
      return;
    }
    upstream = c;
    attempts++;
    upstreamId = c.send(this, bytes, twoWay);
    if (twoWay) {
      if (timeout == null) { // a retry on another endpoint keeps the first deadline
        timeout = downstream.worker.deadlines(route.timeoutNanos());
        timeout.add(this);
      }
    } else {
      complete();
    }
  }

  /** The route timeout fired. */
  @Override
  protected void expired() {
    if (!done) {
      pool.cluster().stats().timeouts.inc();
      fail(ErrorType.TIMEOUT, "upstream " + upstream.address() + " did not answer within "
          + TimeUnit.NANOSECONDS.toMillis(route.timeoutNanos()) + " ms");
    }
  }

  @Override
  public void onResponse(Frame frame) {
    if (done) {
      frame.release();
      return;
    }
    upstreamId = -1;
    response = frame;
    responsePhase = true;
    filterIndex = 0;
    continueResponse();
  }

  private void continueResponse() {
    while (filterIndex < filters.length) {
      FilterStatus status = filters[filterIndex++].onResponse(this);
      if (done || status == FilterStatus.STOP) {
        return;
      }
    }
    Frame frame = response;
    response = null;
    if (!frame.hasRewritableId()) {
      frame.release();
      fail(ErrorType.CODEC_FAILURE, "the upstream response does not say where its request id is");
      return;
    }
    stats().response(frame.responseStatus() == null ? "UNKNOWN" : frame.responseStatus());
    downstream.reply(this, frame.withRequestId(frame.content(), request.requestId()));
    complete();
  }

  @Override
  public void onUpstreamFailure(ErrorType error, String message) {
    if (!twoWay) {
      // The one-way request was already handed to the connection, which could not deliver it.
      stats().onewayDropped.inc();
      return;
    }
    upstreamId = -1;
    // A request whose connection never came up was never sent: another endpoint may take it.
    if (error == ErrorType.UPSTREAM_CONNECT_FAILURE && !done
        && attempts < pool.cluster().endpoints().size() && pool.hasHealthyEndpoint()) {
      pool.cluster().stats().connectRetries.inc();
      forward();
      return;
    }
    fail(error, message);
  }

  /** Answers the request with the codec's error reply (or drops a one-way request). */
  private void fail(ErrorType error, String message) {
    if (done) {
      return;
    }
    stats().localReply(error);
    if (!twoWay) {
      stats().onewayDropped.inc();
      log.debug("listener {}: one-way request dropped: {}", downstream.listener.name(), message);
      complete();
      return;
    }
    if (downstream.isActive()) {
      ByteBuf reply = null;
      try {
        reply = downstream.codec().errorReply(request, error, "protean: " + message,
            downstream.channel().alloc());
      } catch (RuntimeException e) {
        log.warn("listener {}: the codec could not build an error reply ({}); closing the "
            + "connection", downstream.listener.name(), e.toString());
        downstream.channel().close();
      }
      if (reply != null) {
        downstream.reply(this, reply);
      }
    }
    complete();
  }

  /** The client went away: forget the request without answering. */
  void abandon() {
    complete();
  }

  private void complete() {
    if (done) {
      return;
    }
    done = true;
    if (timeout != null) {
      timeout.remove(this);
    }
    if (upstreamId >= 0) {
      upstream.abandon(upstreamId);
      upstreamId = -1;
    }
    if (response != null) {
      response.release();
      response = null;
    }
    if (twoWay) {
      stats().activeRequests.dec();
      stats().latency.recordNanos(System.nanoTime() - startNanos);
    }
    downstream.remove(this);
    if (twoWay) {
      downstream.ended(this);
    }
    for (Filter f : filters) {
      try {
        f.onComplete(this);
      } catch (RuntimeException e) {
        log.warn("listener {}: filter onComplete failed", downstream.listener.name(), e);
      }
    }
    request.release();
  }

  /** "service.method version V group G" from whichever keys the codec gives, else the metadata. */
  private static String describe(Metadata m) {
    String service = m.get("interface") != null ? m.get("interface") : m.get("service");
    String method = m.get("method");
    if (method == null) {
      return m.toString();
    }
    return (service == null ? "" : service + ".") + method
        + (m.get("version") == null ? "" : " version " + m.get("version"))
        + (m.get("group") == null ? "" : " group " + m.get("group"));
  }

  // ---- FilterContext ----

  @Override
  public Frame frame() {
    return request;
  }

  @Override
  public String listener() {
    return downstream.listener.name();
  }

  @Override
  public Frame request() {
    return request;
  }

  @Override
  public Frame response() {
    return response;
  }

  @Override
  public void setRequestMetadata(String key, String value) {
    if (responsePhase) {
      throw new IllegalStateException("request metadata cannot change once it was forwarded");
    }
    if (mutation == null) {
      mutation = new Mutation();
    }
    mutation.set(key, value);
    if (value == null) {
      request.metadata().remove(key);
    } else {
      request.metadata().put(key, value);
    }
  }

  @Override
  public void sendLocalReply(ErrorType error, String message) {
    fail(error, message);
  }

  @Override
  public void resume() {
    if (done) {
      return;
    }
    if (responsePhase) {
      continueResponse();
    } else {
      continueRequest();
    }
  }

  @Override
  public EventExecutor executor() {
    return downstream.channel().eventLoop();
  }
}
