package io.protean.wasm.filter;

import io.protean.wasm.module.HostCalls;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A filter's shared queues: a root context registers a queue by name
 * ({@code proxy_register_shared_queue}) and owns it; any instance, on any event loop, resolves it
 * ({@code proxy_resolve_shared_queue}) and enqueues; the owner is told with
 * {@code proxy_on_queue_ready} on its own loop and dequeues. Registering a name again (another
 * loop's instance, or a new instance after a reload) makes the newest registrant the owner, as in
 * Envoy. Bounded: at most {@link #MAX_QUEUES} queues of {@link #MAX_ITEMS} items each; enqueuing
 * into a full queue gets InternalFailure (logged by the caller), never an unbounded buffer.
 */
final class SharedQueues {
  static final int MAX_QUEUES = 64;
  static final int MAX_ITEMS = 1024;
  /** proxy-wasm statuses. */
  static final int EMPTY = 7;
  static final int INTERNAL_FAILURE = 10;

  private final Map<String, Integer> ids = new HashMap<>();
  private final List<Queue> queues = new ArrayList<>();

  private static final class Queue {
    final ArrayDeque<byte[]> items = new ArrayDeque<>();
    FilterGuest owner;
  }

  /**
   * The queue's id (0 is never one), owned by {@code owner} from now on (unless null: a
   * throw-away instance validating a module registers without taking the queue); -1 past the
   * bound.
   */
  synchronized int register(String name, FilterGuest owner) {
    Integer id = ids.get(name);
    if (id == null) {
      if (queues.size() >= MAX_QUEUES) {
        return -1;
      }
      queues.add(new Queue());
      id = queues.size();
      ids.put(name, id);
    }
    if (owner != null) {
      queues.get(id - 1).owner = owner;
    }
    return id;
  }

  /** The id of the queue named {@code name}, or -1. */
  synchronized int resolve(String name) {
    return ids.getOrDefault(name, -1);
  }

  private Queue queue(int id) {
    return id < 1 || id > queues.size() ? null : queues.get(id - 1);
  }

  /** Adds an item and tells the owner; returns the status. */
  int enqueue(int id, byte[] item) {
    FilterGuest owner;
    synchronized (this) {
      Queue q = queue(id);
      if (q == null) {
        return HostCalls.NOT_FOUND;
      }
      if (q.items.size() >= MAX_ITEMS) {
        return INTERNAL_FAILURE;
      }
      q.items.add(item);
      owner = q.owner;
    }
    if (owner != null) {
      owner.queueReady(id);
    }
    return HostCalls.OK;
  }

  /** The oldest item, {@link #EMPTY_ITEM} when there is none, or null for an unknown queue. */
  synchronized byte[] dequeue(int id) {
    Queue q = queue(id);
    if (q == null) {
      return null;
    }
    byte[] item = q.items.poll();
    return item == null ? EMPTY_ITEM : item;
  }

  static final byte[] EMPTY_ITEM = new byte[0];

  /** {@code owner} closed: its queues wait for the next registrant (items stay, bounded). */
  synchronized void forget(FilterGuest owner) {
    for (Queue q : queues) {
      if (q.owner == owner) {
        q.owner = null;
      }
    }
  }
}
