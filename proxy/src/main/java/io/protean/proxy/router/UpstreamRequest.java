package io.protean.proxy.router;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;
import io.protean.abi.codec.CodecException;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.proxy.cluster.LoopCluster;
import io.protean.proxy.cluster.RetryBudget;
import io.protean.proxy.config.model.ProxyConfig.RetryOn;
import io.protean.proxy.loop.Deadlines;
import io.protean.proxy.loop.Worker;
import io.protean.proxy.route.RetryPolicy;
import io.protean.proxy.route.Route;
import io.protean.abi.codec.ResponseClass;
import io.protean.proxy.cluster.health.OutlierDetector;
import io.protean.proxy.upstream.CircuitBreakers;
import io.protean.proxy.upstream.CircuitBreakers.Resource;
import io.protean.proxy.upstream.Endpoint;
import io.protean.proxy.upstream.UpstreamCallbacks;
import io.protean.proxy.upstream.UpstreamConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A request's upstream part: the connection it was sent on, its id there, the route timeout
 * (which spans every try), and its retries. Without a retry policy only a connect that failed is
 * tried again (the request never left, so another endpoint may take it); with one, the policy
 * decides: per-try timeout, conditions, backoff, the cluster's retry budget, and another endpoint
 * than the ones tried when there is one. A try given up (per-try timeout) abandons its upstream
 * id, so a late response is dropped by the connection as stale. Stays on the route and cluster
 * it started with, whatever a reload changes meanwhile.
 *
 * <p>It holds a place in the cluster's {@code max_requests} (taken by the router) until it ends,
 * and, once it retries, one in {@code max_retries}. Each try's outcome goes to the cluster's
 * outlier detection, when it has one.
 */
public final class UpstreamRequest extends Deadlines.Entry implements UpstreamCallbacks {
  private final RoutedRequest request;
  private final Route route;
  private final RetryPolicy retry;
  private final LoopCluster cluster;
  private final Worker worker;
  /** The request's hash by the route's hash policy, or LoadBalancer.NO_HASH. */
  private final long hash;
  private UpstreamConnection upstream;
  private long upstreamId = -1;
  private Deadlines timeout;
  /** Times the request was handed to an upstream connection. */
  private int attempts;
  /** Retries the policy granted so far. */
  private int retries;
  /** The endpoints tried so far (only with a retry policy). */
  private List<Endpoint> tried;
  /** The budget this request holds a place in while it retries, or null. */
  private RetryBudget budget;
  private PerTryTimeout perTry;
  private ScheduledFuture<?> backoff;
  /** Whether this request holds a place in the cluster's max_retries (from its first retry). */
  private boolean holdsRetry;
  private boolean done;

  UpstreamRequest(RoutedRequest request, Route route, LoopCluster cluster, long hash,
      Worker worker) {
    this.request = request;
    this.route = route;
    this.retry = request.twoWay() ? route.retry() : null; // one-way requests are never retried
    this.cluster = cluster;
    this.hash = hash;
    this.worker = worker;
  }

  /** Sends the request on a connection the cluster's policy picks; false when it ended here. */
  boolean send() {
    UpstreamConnection c = cluster.pick(hash, retry == null ? null : tried());
    if (c == null) {
      finish();
      if (cluster.connectionOverflow()) {
        overloaded(Resource.CONNECTIONS);
      } else {
        request.localReply(ErrorType.NO_HEALTHY_UPSTREAM, "no healthy upstream in cluster '"
            + cluster.cluster().name() + "'");
      }
      return false;
    }
    if (c.backedUp()) {
      finish();
      request.localReply(ErrorType.OVERLOADED, "upstream " + c.address() + " of cluster '"
          + cluster.cluster().name() + "' is not reading its requests (write buffer full)");
      return false;
    }
    ByteBuf bytes;
    try {
      bytes = request.upstreamBytes();
    } catch (CodecException e) {
      finish();
      request.localReply(ErrorType.CODEC_FAILURE, "cannot re-encode the request: " + e.getMessage());
      return false;
    }
    upstream = c;
    attempts++;
    boolean twoWay = request.twoWay();
    upstreamId = c.send(this, bytes, twoWay);
    if (upstreamId == UpstreamConnection.PENDING_OVERFLOW) {
      upstreamId = -1;
      finish();
      overloaded(Resource.PENDING_REQUESTS);
      return false;
    }
    if (!twoWay) {
      finish();
      request.forwarded();
      return false;
    }
    if (timeout == null) { // a retry keeps the first deadline
      timeout = worker.deadlines(route.timeoutNanos());
      timeout.add(this);
    }
    if (retry != null) {
      tried.add(c.endpoint());
      if (retry.perTryTimeoutNanos() > 0) {
        if (perTry == null) {
          perTry = new PerTryTimeout();
        }
        worker.deadlines(retry.perTryTimeoutNanos()).add(perTry);
      }
    }
    return true;
  }

  /** The route the request took. */
  public String routeName() {
    return route.name();
  }

  /** The cluster it went to. */
  public String clusterName() {
    return cluster.cluster().name();
  }

  /** The endpoint of the current (or last) try, {@code host:port}; null before the first. */
  public String address() {
    return upstream == null ? null : upstream.address();
  }

  /** Answers with the codec's overload reply: {@code breaker} refused (and counted) it. */
  private void overloaded(Resource breaker) {
    request.localReply(ErrorType.OVERLOADED, "cluster '" + cluster.cluster().name()
        + "' has reached circuit_breakers." + breaker.field());
  }

  /** The cluster's outlier detection, or null. */
  private OutlierDetector outliers() {
    return cluster.cluster().outlierDetector();
  }

  /** A connect failure, reset or timeout of the current try, for outlier detection. */
  private void gatewayFailure() {
    OutlierDetector o = outliers();
    if (o != null) {
      o.gatewayFailure(upstream.endpoint());
    }
  }

  private List<Endpoint> tried() {
    if (tried == null) {
      tried = new ArrayList<>(2);
    }
    return tried;
  }

  @Override
  public Frame frame() {
    return request.request();
  }

  /**
   * The route timeout counted from when the request was read passed (a filter held it before it
   * was forwarded): ends it now, as the route timeout does.
   */
  public void timeout() {
    if (timeout != null) {
      timeout.remove(this);
    }
    expired();
  }

  /** The route timeout fired: no more tries. */
  @Override
  protected void expired() {
    if (done) {
      return;
    }
    timeout = null; // the queue already dropped this entry
    if (upstreamId >= 0) { // not between two tries
      cluster.cluster().stats().timeouts.inc();
      upstream.endpoint().errors.increment();
      gatewayFailure();
    }
    String address = upstream.address();
    finish();
    request.localReply(ErrorType.TIMEOUT, "upstream " + address + " did not answer within "
        + TimeUnit.NANOSECONDS.toMillis(route.timeoutNanos()) + " ms");
  }

  /** The try's per_try_timeout fired: abandon its id (a late answer is dropped), maybe retry. */
  private void tryExpired() {
    if (done || upstreamId < 0) {
      return;
    }
    cluster.cluster().stats().timeouts.inc();
    upstream.endpoint().errors.increment();
    gatewayFailure();
    upstream.abandon(upstreamId);
    upstreamId = -1;
    if (retryOn(RetryOn.TIMEOUT)) {
      return;
    }
    String address = upstream.address();
    finish();
    request.localReply(ErrorType.TIMEOUT, "upstream " + address + " did not answer within "
        + "per_try_timeout " + TimeUnit.NANOSECONDS.toMillis(retry.perTryTimeoutNanos()) + " ms");
  }

  @Override
  public void onResponse(Frame response) {
    if (done) {
      response.release();
      return;
    }
    upstreamId = -1;
    endTry();
    OutlierDetector outliers = outliers();
    ResponseClass answer = outliers != null || retry != null && retry.onResponses()
        ? upstream.classify(response) : null;
    if (outliers != null) {
      if (answer == ResponseClass.SERVER_ERROR || answer == ResponseClass.SERVER_TIMEOUT
          || answer == ResponseClass.OVERLOADED) {
        outliers.serverError(upstream.endpoint());
      } else {
        outliers.success(upstream.endpoint());
      }
    }
    if (retry != null && retry.onResponses() && retries < retry.attempts()) {
      RetryOn condition = switch (answer) {
        case SERVER_ERROR -> RetryOn.SERVER_ERROR;
        case SERVER_TIMEOUT -> RetryOn.SERVER_TIMEOUT;
        case OVERLOADED -> RetryOn.OVERLOADED;
        default -> null;
      };
      if (condition != null && retryOn(condition)) {
        response.release();
        return;
      }
    }
    finish();
    request.onUpstreamResponse(response);
  }

  @Override
  public void onUpstreamFailure(ErrorType error, String message) {
    if (done) {
      if (!request.twoWay()) {
        request.onewayLost(message);
      }
      return;
    }
    upstreamId = -1;
    endTry();
    if (error == ErrorType.UPSTREAM_CONNECT_FAILURE || error == ErrorType.UPSTREAM_RESET) {
      gatewayFailure();
    }
    if (retry == null) {
      if (error == ErrorType.UPSTREAM_CONNECT_FAILURE
          && attempts < cluster.cluster().endpoints().size() && cluster.hasHealthyEndpoint()
          && takeRetry()) {
        cluster.cluster().stats().connectRetries.inc();
        send();
        return;
      }
    } else {
      RetryOn condition = error == ErrorType.UPSTREAM_CONNECT_FAILURE ? RetryOn.CONNECT_FAILURE
          : error == ErrorType.UPSTREAM_RESET ? RetryOn.RESET : null;
      if (condition != null && retryOn(condition)) {
        return;
      }
    }
    finish();
    request.localReply(error, message);
  }

  /**
   * Schedules a retry after a try that failed with {@code condition}, if the policy and the
   * cluster's retry budget allow one.
   *
   * @return whether a retry is scheduled (else the caller answers the request)
   */
  private boolean retryOn(RetryOn condition) {
    if (retry == null || !retry.on(condition) || retries >= retry.attempts()) {
      return false;
    }
    if (!takeRetry()) {
      return false;
    }
    if (budget == null) {
      RetryBudget b = cluster.cluster().retryBudget();
      if (!b.tryAcquire(cluster.cluster().endpoints(), retry.budgetPercent(),
          retry.minConcurrency())) {
        cluster.cluster().stats().retryOverflows.inc();
        return false;
      }
      budget = b;
    }
    retries++;
    cluster.cluster().stats().retries.inc();
    long wait = retry.backoffNanos(retries);
    backoff = worker.loop().schedule(this::resend, wait, TimeUnit.NANOSECONDS);
    return true;
  }

  /**
   * Takes this request's place in the cluster's {@code max_retries} (once: it is held until the
   * request ends); false, counted, when the breaker is at its limit.
   */
  private boolean takeRetry() {
    if (holdsRetry) {
      return true;
    }
    CircuitBreakers breakers = cluster.cluster().breakers();
    if (!breakers.tryRetry()) {
      breakers.overflowed(Resource.RETRIES);
      cluster.cluster().stats().retryOverflows.inc();
      return false;
    }
    holdsRetry = true;
    return true;
  }

  private void resend() {
    backoff = null;
    if (!done) {
      send();
    }
  }

  private void endTry() {
    if (perTry != null) {
      worker.deadlines(retry.perTryTimeoutNanos()).remove(perTry);
    }
  }

  /** The downstream side is done with the request (answered, or its client went away). */
  public void cancel() {
    finish();
  }

  private void finish() {
    if (done) {
      return;
    }
    done = true;
    if (timeout != null) {
      timeout.remove(this);
      timeout = null;
    }
    endTry();
    if (backoff != null) {
      backoff.cancel(false);
      backoff = null;
    }
    if (budget != null) {
      budget.release();
      budget = null;
    }
    if (holdsRetry) {
      holdsRetry = false;
      cluster.cluster().breakers().retryDone();
    }
    cluster.cluster().breakers().requestDone();
    if (upstreamId >= 0) {
      upstream.abandon(upstreamId);
      upstreamId = -1;
    }
  }

  /** The per-try deadline (a second queue entry: the request itself is the route deadline's). */
  private final class PerTryTimeout extends Deadlines.Entry {
    @Override
    protected void expired() {
      tryExpired();
    }
  }
}
