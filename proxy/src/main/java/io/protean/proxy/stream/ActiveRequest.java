package io.protean.proxy.stream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.protean.abi.codec.CodecException;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Mutation;
import io.protean.abi.filter.Filter;
import io.protean.abi.filter.FilterContext;
import io.protean.abi.filter.FilterFactory;
import io.protean.abi.filter.FilterStatus;
import io.protean.proxy.observability.ListenerStats;
import io.protean.proxy.router.RoutedRequest;
import io.protean.proxy.router.UpstreamRequest;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request's lifecycle: request filters, the router (the terminal filter, which owns the
 * upstream part), response filters, the answer downstream. Keeps the {@link StreamConfig} it
 * started with, so a reload never changes a request halfway. Confined to its connection's event
 * loop.
 *
 * <p>Ownership: the request frame is held until the request completes (the codec may need it for
 * an error reply); the bytes sent upstream are a second reference to it (or a re-encoding when a
 * filter mutated the metadata). A response frame passes to the downstream channel.
 */
public final class ActiveRequest implements FilterContext, RoutedRequest {
  private static final Logger log = LoggerFactory.getLogger(ActiveRequest.class);

  private static final Filter[] NO_FILTERS = {};
  private static final FilterFactory[] NO_FACTORIES = {};

  private final Downstream downstream;
  private final StreamConfig config;
  private final Frame request;
  private final boolean twoWay;
  private final long startNanos = System.nanoTime();
  private final Filter[] filters;
  private int filterIndex;
  private boolean responsePhase;
  private Mutation mutation;
  private Mutation responseMutation;
  /** The route's response metadata changes, applied when the response arrives (or null). */
  private java.util.Map<String, String> routeResponseMutation;
  private UpstreamRequest upstream;
  /** Where the request went (for filters: route_name, cluster_name, upstream.address). */
  private String routeName;
  private String clusterName;
  private String upstreamAddress;
  private Frame response;
  /** Whether the codec was asked for the response's costly metadata (the first filter look). */
  private boolean responseMetadataDecoded;
  private boolean done;
  /** Bounds the request while a filter holds it ({@link #held()}); null until one does. */
  private ScheduledFuture<?> holdTimeout;
  /** An answer waiting for earlier ones (ordered protocols); owned by {@link ActiveRequests}. */
  ByteBuf readyReply;
  /** The connection's list of active requests. */
  ActiveRequest prev;
  ActiveRequest next;

  public ActiveRequest(Downstream downstream, StreamConfig config, Frame request) {
    this(downstream, config, request, config.filters());
  }

  private ActiveRequest(Downstream downstream, StreamConfig config, Frame request,
      FilterFactory[] factories) {
    this.downstream = downstream;
    this.config = config;
    this.request = request;
    this.twoWay = request.type() != MessageType.ONEWAY;
    this.filters = factories.length == 0 ? NO_FILTERS : new Filter[factories.length];
    for (int i = 0; i < factories.length; i++) {
      filters[i] = factories[i].newFilter();
    }
  }

  private ListenerStats stats() {
    return config.stats();
  }

  public void start() {
    stats().requests.inc();
    if (twoWay) {
      stats().activeRequests.inc();
    }
    downstream.requests().add(this);
    if (request.unreadable() != null) {
      stats().unreadableRequests.inc();
      fail(ErrorType.CODEC_FAILURE, request.unreadable());
      return;
    }
    continueRequest();
  }

  /**
   * Answers a request the proxy does not pass on — its body was oversize or malformed, or did not
   * come in time — with the codec's {@code error}; no filter sees it. It takes its turn among the
   * connection's answers like any other.
   */
  public static void reject(Downstream downstream, StreamConfig config, Frame request,
      ErrorType error, String reason) {
    ActiveRequest r = new ActiveRequest(downstream, config, request, NO_FACTORIES);
    r.stats().requests.inc();
    if (r.twoWay) {
      r.stats().activeRequests.inc();
    }
    downstream.requests().add(r);
    r.fail(error, reason);
  }

  private void continueRequest() {
    while (filterIndex < filters.length) {
      FilterStatus status = filters[filterIndex++].onRequest(this);
      if (done) {
        return;
      }
      if (status == FilterStatus.STOP) {
        held();
        return;
      }
    }
    upstream = downstream.router().forward(config.routes(), this);
    if (upstream != null) {
      routeName = upstream.routeName();
      clusterName = upstream.clusterName();
    }
  }

  // ---- RoutedRequest: what the router sees ----

  @Override
  public boolean twoWay() {
    return twoWay;
  }

  @Override
  public ByteBuf upstreamBytes() throws CodecException {
    return mutation == null || mutation.isEmpty() ? request.content().retainedDuplicate()
        : downstream.codec().encode(request, mutation, downstream.channel().alloc());
  }

  @Override
  public void mutate(java.util.Map<String, String> request, java.util.Map<String, String> response) {
    request.forEach(this::setRequestMetadata);
    routeResponseMutation = response.isEmpty() ? null : response;
  }

  @Override
  public void onUpstreamResponse(Frame frame) {
    if (done) {
      frame.release();
      return;
    }
    if (upstream != null) {
      upstreamAddress = upstream.address();
    }
    upstream = null;
    response = frame;
    responsePhase = true;
    if (routeResponseMutation != null) {
      routeResponseMutation.forEach(this::setResponseMetadata);
    }
    filterIndex = 0;
    continueResponse();
  }

  @Override
  public void localReply(ErrorType error, String message) {
    fail(error, message);
  }

  @Override
  public void forwarded() {
    complete();
  }

  @Override
  public void onewayLost(String message) {
    stats().onewayDropped.inc();
    log.debug("listener {}: one-way request lost upstream: {}", config.listener(), message);
  }

  @Override
  public String describe() {
    return downstream.codec().describe(request);
  }

  private void continueResponse() {
    while (filterIndex < filters.length) {
      FilterStatus status = filters[filterIndex++].onResponse(this);
      if (done) {
        return;
      }
      if (status == FilterStatus.STOP) {
        held();
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
    ByteBuf bytes = responseBytes(frame);
    reply(frame.withRequestId(bytes, request.requestId()));
    complete();
  }

  /**
   * The response's bytes for downstream: its own (ownership passes from the frame), or a
   * re-encoding with the filters' mutation (the frame is released). A response the codec cannot
   * re-encode goes unchanged: the client still gets its answer.
   */
  private ByteBuf responseBytes(Frame frame) {
    if (responseMutation == null || responseMutation.isEmpty()) {
      return frame.content();
    }
    try {
      ByteBuf encoded = downstream.codec().encodeResponse(request, frame, responseMutation,
          downstream.channel().alloc());
      frame.release();
      return encoded;
    } catch (CodecException e) {
      stats().responseMutationsRefused.inc();
      log.debug("listener {}: response to {} forwarded without its metadata changes {}: {}",
          config.listener(), describe(), responseMutation, e.getMessage());
      return frame.content();
    }
  }

  private void reply(ByteBuf bytes) {
    Channel channel = downstream.channel();
    if (!channel.isActive()) {
      bytes.release();
      return;
    }
    downstream.requests().write(this, bytes);
    downstream.flush();
  }

  /** Answers the request with the codec's error reply (or drops a one-way request). */
  private void fail(ErrorType error, String message) {
    if (done) {
      return;
    }
    stats().localReply(error);
    if (!twoWay) {
      stats().onewayDropped.inc();
      log.debug("listener {}: one-way request dropped: {}", config.listener(), message);
      complete();
      return;
    }
    Channel channel = downstream.channel();
    if (channel.isActive()) {
      ByteBuf reply = null;
      try {
        reply = downstream.codec().errorReply(request, error, "protean: " + message, channel.alloc());
      } catch (RuntimeException e) {
        log.warn("listener {}: the codec could not build an error reply ({}); closing the "
            + "connection", config.listener(), e.toString());
        channel.close();
      }
      if (reply != null) {
        reply(reply);
      }
    }
    complete();
  }

  /**
   * A filter paused the request (StopIteration). Nothing upstream bounds it now (the router has
   * not seen it yet, or its response has come), so its route timeout is armed here, counted from
   * the moment the request was read: a filter that never resumes still gets the client the
   * codec's timeout error in time. Armed only on a pause, so requests no filter holds cost
   * nothing more; once armed it stays until the request completes (a resumed request that is
   * forwarded later must still end within the timeout of its reading).
   */
  private void held() {
    if (holdTimeout != null) {
      return;
    }
    long timeout = config.routes().timeoutNanos(request.metadata());
    long left = Math.max(0, startNanos + timeout - System.nanoTime());
    holdTimeout = executor().schedule(() -> heldTooLong(timeout), left, TimeUnit.NANOSECONDS);
  }

  private void heldTooLong(long timeoutNanos) {
    holdTimeout = null;
    if (done) {
      return;
    }
    if (upstream != null) { // resumed and forwarded: the router's timeout, with its stats
      upstream.timeout();
      return;
    }
    fail(ErrorType.TIMEOUT, (responsePhase ? "the response" : "the request") + " to " + describe()
        + " was held by a filter past the route timeout of "
        + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
  }

  /** The client went away: forget the request without answering. */
  void abandon() {
    complete();
  }

  /** Answers now with the codec's error, whatever the request is waiting for (a drain ends). */
  void failNow(ErrorType error, String message) {
    fail(error, message);
  }

  private void complete() {
    if (done) {
      return;
    }
    done = true;
    if (holdTimeout != null) {
      holdTimeout.cancel(false);
      holdTimeout = null;
    }
    if (upstream != null) {
      upstream.cancel();
      upstream = null;
    }
    if (response != null) {
      response.release();
      response = null;
    }
    if (twoWay) {
      stats().activeRequests.dec();
      stats().latency.recordNanos(System.nanoTime() - startNanos);
    }
    ActiveRequests requests = downstream.requests();
    requests.remove(this);
    if (twoWay && requests.ended(this)) {
      downstream.flush();
    }
    downstream.requestEnded();
    for (Filter f : filters) {
      try {
        f.onComplete(this);
      } catch (RuntimeException e) {
        log.warn("listener {}: filter onComplete failed", config.listener(), e);
      }
    }
    request.release();
  }

  // ---- FilterContext ----

  @Override
  public String listener() {
    return config.listener();
  }

  @Override
  public InetSocketAddress downstreamAddress() {
    // Netty caches the address on the channel: no system call per request.
    SocketAddress peer = downstream.channel().remoteAddress();
    return peer instanceof InetSocketAddress inet ? inet : null;
  }

  @Override
  public InetSocketAddress localAddress() {
    SocketAddress local = downstream.channel().localAddress();
    return local instanceof InetSocketAddress inet ? inet : null;
  }

  @Override
  public long receivedEpochNanos() {
    // Derived when asked: the hot path reads one clock only.
    return System.currentTimeMillis() * 1_000_000L - (System.nanoTime() - startNanos);
  }

  @Override
  public String routeName() {
    return routeName;
  }

  @Override
  public String clusterName() {
    return clusterName;
  }

  @Override
  public String upstreamAddress() {
    return upstreamAddress;
  }

  @Override
  public Frame request() {
    return request;
  }

  @Override
  public Frame response() {
    if (response != null && !responseMetadataDecoded) {
      responseMetadataDecoded = true;
      downstream.codec().decodeResponseMetadata(response);
    }
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
  public void setResponseMetadata(String key, String value) {
    Frame response = response();
    if (response == null) {
      throw new IllegalStateException("response metadata can change only in onResponse");
    }
    if (responseMutation == null) {
      responseMutation = new Mutation();
    }
    responseMutation.set(key, value);
    if (value == null) {
      response.metadata().remove(key);
    } else {
      response.metadata().put(key, value);
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
