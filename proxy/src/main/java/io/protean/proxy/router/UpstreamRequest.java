package io.protean.proxy.router;

import io.netty.buffer.ByteBuf;
import io.protean.abi.codec.CodecException;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.proxy.cluster.LoopCluster;
import io.protean.proxy.loop.Deadlines;
import io.protean.proxy.loop.Worker;
import io.protean.proxy.route.Route;
import io.protean.proxy.upstream.UpstreamCallbacks;
import io.protean.proxy.upstream.UpstreamConnection;
import java.util.concurrent.TimeUnit;

/**
 * A request's upstream part: the connection it was sent on, its id there, the route timeout, and
 * the retry of a connect that failed (the request was never sent, so another endpoint may take
 * it). Stays on the route and cluster it started with, whatever a reload changes meanwhile.
 */
public final class UpstreamRequest extends Deadlines.Entry implements UpstreamCallbacks {
  private final RoutedRequest request;
  private final Route route;
  private final LoopCluster cluster;
  private final Worker worker;
  /** The request's hash by the route's hash policy, or LoadBalancer.NO_HASH. */
  private final long hash;
  private UpstreamConnection upstream;
  private long upstreamId = -1;
  private Deadlines timeout;
  /** Times the request was handed to an upstream connection (a failed connect allows another). */
  private int attempts;
  private boolean done;

  UpstreamRequest(RoutedRequest request, Route route, LoopCluster cluster, long hash,
      Worker worker) {
    this.request = request;
    this.route = route;
    this.cluster = cluster;
    this.hash = hash;
    this.worker = worker;
  }

  /** Sends the request on a connection the cluster's policy picks; false when it ended here. */
  boolean send() {
    UpstreamConnection c = cluster.pick(hash);
    if (c == null) {
      finish();
      request.localReply(ErrorType.NO_HEALTHY_UPSTREAM, "no healthy upstream in cluster '"
          + cluster.cluster().name() + "'");
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
    if (!twoWay) {
      done = true;
      request.forwarded();
      return false;
    }
    if (timeout == null) { // a retry on another endpoint keeps the first deadline
      timeout = worker.deadlines(route.timeoutNanos());
      timeout.add(this);
    }
    return true;
  }

  @Override
  public Frame frame() {
    return request.request();
  }

  /** The route timeout fired. */
  @Override
  protected void expired() {
    if (done) {
      return;
    }
    timeout = null; // the queue already dropped this entry
    cluster.cluster().stats().timeouts.inc();
    upstream.endpoint().errors.increment();
    String address = upstream.address();
    finish();
    request.localReply(ErrorType.TIMEOUT, "upstream " + address + " did not answer within "
        + TimeUnit.NANOSECONDS.toMillis(route.timeoutNanos()) + " ms");
  }

  @Override
  public void onResponse(Frame response) {
    if (done) {
      response.release();
      return;
    }
    upstreamId = -1;
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
    if (error == ErrorType.UPSTREAM_CONNECT_FAILURE
        && attempts < cluster.cluster().endpoints().size() && cluster.hasHealthyEndpoint()) {
      cluster.cluster().stats().connectRetries.inc();
      send();
      return;
    }
    finish();
    request.localReply(error, message);
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
    if (upstreamId >= 0) {
      upstream.abandon(upstreamId);
      upstreamId = -1;
    }
  }
}
