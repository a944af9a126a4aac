package io.protean.proxy.stream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.protean.abi.codec.ErrorType;
import java.util.ArrayDeque;

/**
 * The requests of one client connection that are still active, and — for protocols whose clients
 * need answers in request order — the answers held until the earlier ones are written. Confined
 * to the connection's event loop.
 */
public final class ActiveRequests {
  /** Head of the intrusive list of active requests. */
  private ActiveRequest head;
  private int size;
  /** Two-way requests in arrival order, when answers must keep that order; else null. */
  private final ArrayDeque<ActiveRequest> order;
  private final Channel channel;

  public ActiveRequests(Channel channel, boolean orderedResponses) {
    this.channel = channel;
    this.order = orderedResponses ? new ArrayDeque<>() : null;
  }

  /** Requests started and not yet completed. */
  public int size() {
    return size;
  }

  void add(ActiveRequest r) {
    r.next = head;
    if (head != null) {
      head.prev = r;
    }
    head = r;
    size++;
    if (order != null && r.twoWay()) {
      order.add(r);
    }
  }

  void remove(ActiveRequest r) {
    if (r.prev != null) {
      r.prev.next = r.next;
    } else if (head == r) {
      head = r.next;
    }
    if (r.next != null) {
      r.next.prev = r.prev;
    }
    r.prev = null;
    r.next = null;
    size--;
  }

  /**
   * Writes {@code bytes} (ownership passes) as {@code r}'s answer: now, or — for ordered
   * protocols — once every earlier request has been answered. The caller flushes.
   */
  void write(ActiveRequest r, ByteBuf bytes) {
    if (order == null) {
      channel.write(bytes, channel.voidPromise());
      return;
    }
    r.readyReply = bytes;
    writeReady();
  }

  /**
   * A request ended: if it left no answer, the ones after it need not wait for it.
   *
   * @return whether answers were written (the caller flushes)
   */
  boolean ended(ActiveRequest r) {
    if (order != null && r.readyReply == null && order.remove(r)) {
      writeReady();
      return true;
    }
    return false;
  }

  private void writeReady() {
    for (ActiveRequest first; (first = order.peek()) != null && first.readyReply != null; ) {
      order.poll();
      channel.write(first.readyReply, channel.voidPromise());
      first.readyReply = null;
    }
  }

  /** Every active request is answered now with the codec's error (a drain that timed out). */
  public void failAll(ErrorType error, String message) {
    while (head != null) {
      head.failNow(error, message);
    }
  }

  /** The client went away: every active request is forgotten, held answers released. */
  public void abandonAll() {
    while (head != null) {
      head.abandon();
    }
    if (order != null) {
      for (ActiveRequest r : order) {
        if (r.readyReply != null) {
          r.readyReply.release();
          r.readyReply = null;
        }
      }
      order.clear();
    }
  }
}
