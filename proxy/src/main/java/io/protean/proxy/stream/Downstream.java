package io.protean.proxy.stream;

import io.netty.channel.Channel;
import io.protean.abi.codec.Codec;
import io.protean.proxy.router.Router;

/** What a request needs of the client connection it arrived on (the listener layer implements it). */
public interface Downstream {

  /** The connection's channel (its allocator, event loop, state). */
  Channel channel();

  /** The codec of the connection: error replies and re-encoding. */
  Codec codec();

  /** The connection's router (on its event loop). */
  Router router();

  /** The connection's active requests. */
  ActiveRequests requests();

  /** Flushes the connection at the end of the loop's I/O round. */
  void flush();

  /** A request of the connection ended (answered, failed or abandoned). */
  void requestEnded();
}
