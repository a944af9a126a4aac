package io.protean.wasm.engine.internal;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds guest call time. Compiled (and interpreted) guest code checks its thread's interrupt flag
 * on calls and back-branches, so a call that overruns is stopped by interrupting its thread. The
 * thread is an event loop: an interrupt arriving after the call returned would disturb the loop's
 * own waiting, so each call's {@link Slot} hands over under a small state machine, and the calling
 * thread always clears the flag before it goes back to the loop.
 */
final class CallWatchdog {
  private static final int IDLE = 0;
  private static final int ACTIVE = 1;
  private static final int INTERRUPTING = 2;
  private static final int INTERRUPTED = 3;
  private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private static final CopyOnWriteArrayList<Slot> SLOTS = new CopyOnWriteArrayList<>();

  static {
    Thread t = new Thread(CallWatchdog::watch, "protean-wasm-watchdog");
    t.setDaemon(true);
    t.start();
  }

  private CallWatchdog() {}

  /** One instance's call state. */
  static final class Slot {
    private final AtomicInteger state = new AtomicInteger(IDLE);
    private volatile Thread thread;
    private volatile long deadline;

    /** Marks a call as started on the current thread, to end by {@code budgetNanos}. */
    void begin(long budgetNanos) {
      thread = Thread.currentThread();
      deadline = System.nanoTime() + budgetNanos;
      state.set(ACTIVE);
    }

    /** Marks the call as ended; returns true if the watchdog interrupted it. */
    boolean end() {
      if (state.compareAndSet(ACTIVE, IDLE)) {
        return false;
      }
      while (state.get() != INTERRUPTED) {
        Thread.onSpinWait();
      }
      state.set(IDLE);
      Thread.interrupted(); // never leave the flag set on an event loop
      return true;
    }
  }

  static Slot register() {
    Slot s = new Slot();
    SLOTS.add(s);
    return s;
  }

  static void unregister(Slot s) {
    SLOTS.remove(s);
  }

  private static void watch() {
    while (true) {
      long now = System.nanoTime();
      for (Slot s : SLOTS) {
        if (s.state.get() == ACTIVE && now - s.deadline > 0
            && s.state.compareAndSet(ACTIVE, INTERRUPTING)) {
          s.thread.interrupt();
          s.state.set(INTERRUPTED);
        }
      }
      try {
        TimeUnit.NANOSECONDS.sleep(TICK_NANOS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }
}
