package io.protean.proxy.worker;

import io.netty.channel.Channel;

/**
 * A channel whose flush is deferred to the end of the current read batch, so that many frames
 * decoded from one read go out in one write syscall per destination.
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
