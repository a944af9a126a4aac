package io.protean.proxy.loop;

import io.netty.channel.Channel;

/**
 * A channel whose flush is deferred to the end of the event loop's current I/O round, so that
 * the frames written to it by every read of that round go out in one write syscall.
 */
public abstract class FlushTarget {
  boolean dirty;

  /** The channel to flush. */
  protected abstract Channel channel();

  void flush() {
    dirty = false;
    channel().flush();
  }
}
