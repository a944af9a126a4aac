package io.protean.proxy.router;

import io.netty.buffer.ByteBuf;
import io.protean.abi.codec.CodecException;
import io.protean.abi.codec.ErrorType;
import io.protean.proxy.cluster.LoopCluster;
import io.protean.proxy.cluster.LoopClusters;
import io.protean.proxy.route.Route;
import io.protean.proxy.route.RouteTable;
import io.protean.proxy.upstream.CircuitBreakers;
import io.protean.proxy.upstream.CircuitBreakers.Resource;
import io.protean.proxy.upstream.UpstreamConnection;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The terminal filter: picks the route for a request, its cluster on this event loop, and
 * forwards it as an {@link UpstreamRequest}, which owns everything upstream of the request from
 * then on (the connection, the timeout, retries); the route's mirrors get a copy each
 * ({@link MirrorRequest}). One per downstream connection; confined to its loop.
 */
public final class Router {
  private final LoopClusters clusters;

  public Router(LoopClusters clusters) {
    this.clusters = clusters;
  }

  /**
   * Routes {@code request} by {@code routes} (the table of the configuration it started with):
   * the route's cluster (drawn from its weighted clusters per request) and the request's hash by
   * the route's hash policy, which the cluster's load balancer uses.
   *
   * @return the request's upstream part, or null when it was answered locally or was one-way
   */
  public UpstreamRequest forward(RouteTable routes, RoutedRequest request) {
    Route route = routes.match(request.request().metadata());
    if (route == null) {
      request.localReply(ErrorType.ROUTE_NOT_FOUND, "no route matches " + request.describe());
      return null;
    }
    String name = route.pickCluster();
    LoopCluster cluster = clusters.get(name);
    if (cluster == null) {
      request.localReply(ErrorType.CLUSTER_NOT_FOUND, "route '" + route.name() + "' names cluster '"
          + name + "', which does not exist");
      return null;
    }
    if (request.twoWay() && !request.request().hasRewritableId()) {
      request.localReply(ErrorType.CODEC_FAILURE, "the codec does not say where the request id is,"
          + " so the request cannot share an upstream connection");
      return null;
    }
    CircuitBreakers breakers = cluster.cluster().breakers();
    if (!breakers.tryRequest()) { // the place taken is the UpstreamRequest's from here on
      breakers.overflowed(Resource.REQUESTS);
      request.localReply(ErrorType.OVERLOADED, "cluster '" + name
          + "' has reached circuit_breakers.max_requests");
      return null;
    }
    if (route.mutates()) {
      request.mutate(route.requestMutation(), route.responseMutation());
    }
    long hash = route.hash(request.request().metadata());
    if (route.mirrors().length > 0) {
      mirror(route, request, hash);
    }
    UpstreamRequest upstream = new UpstreamRequest(request, route, cluster, hash, clusters.worker());
    return upstream.send() ? upstream : null;
  }

  /**
   * Sends each mirror its copy, unless the mirror cannot take it now (a circuit breaker at its
   * limit, no healthy endpoint, its connection's write buffer full): then the copy is dropped
   * and counted. Never delays or fails the request itself. A copy holds a place in the mirror
   * cluster's {@code max_requests} until it ends.
   */
  private void mirror(Route route, RoutedRequest request, long hash) {
    for (Route.Mirror m : route.mirrors()) {
      if (m.fraction() < 1 && ThreadLocalRandom.current().nextDouble() >= m.fraction()) {
        continue;
      }
      LoopCluster mirror = clusters.get(m.cluster());
      if (mirror == null) {
        continue; // removed by a reload that also changed the route: the next requests see it
      }
      var stats = mirror.cluster().stats();
      CircuitBreakers breakers = mirror.cluster().breakers();
      if (!breakers.tryRequest()) {
        breakers.overflowed(Resource.REQUESTS);
        stats.mirrorDropped.inc();
        continue;
      }
      UpstreamConnection c = mirror.pick(hash, null);
      if (c == null || !c.writable()) {
        breakers.requestDone();
        stats.mirrorDropped.inc();
        continue;
      }
      ByteBuf copy;
      try {
        copy = MirrorRequest.copyOf(request.upstreamBytes());
      } catch (CodecException e) {
        breakers.requestDone();
        stats.mirrorFailures.inc();
        continue;
      }
      new MirrorRequest(request.request().replace(copy), stats, breakers).send(c,
          request.twoWay(), clusters.worker().deadlines(route.timeoutNanos()));
    }
  }
}
