package io.protean.proxy.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Deadlines on a real event loop: order, removal, a handler that throws, reuse after empty. */
class DeadlinesTest {
  private final EventLoop loop = new DefaultEventLoop();
  private final List<String> expired = new ArrayList<>();
  private final CountDownLatch done = new CountDownLatch(1);

  @AfterEach
  void stop() throws InterruptedException {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
  }

  private final class Named extends Deadlines.Entry {
    final String name;
    final long addedNanos = System.nanoTime();
    long expiredAfterNanos;

    Named(String name) {
      this.name = name;
    }

    @Override
    protected void expired() {
      expiredAfterNanos = System.nanoTime() - addedNanos;
      expired.add(name);
      if (name.equals("throws")) {
        throw new IllegalStateException("a handler bug");
      }
      if (name.equals("last")) {
        done.countDown();
      }
    }
  }

  private <T> T onLoop(java.util.concurrent.Callable<T> c) throws Exception {
    return loop.submit(c).get(5, TimeUnit.SECONDS);
  }

  @Test
  void entriesExpireInOrderNotBeforeTheirDeadlineAndRemovedOnesNever() throws Exception {
    Worker worker = new Worker(loop);
    long duration = TimeUnit.MILLISECONDS.toNanos(50);
    Named a = new Named("a");
    Named removed = new Named("removed");
    Named thrower = new Named("throws");
    Named last = new Named("last");
    onLoop(() -> {
      Deadlines d = worker.deadlines(duration);
      assertThat(worker.deadlines(duration)).isSameAs(d);
      d.add(a);
      d.add(removed);
      d.add(a); // already queued: keeps its place and deadline
      d.add(thrower);
      d.remove(removed);
      d.remove(removed); // not queued any more: nothing happens
      return null;
    });
    Thread.sleep(20);
    onLoop(() -> {
      worker.deadlines(duration).add(last);
      return null;
    });
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(onLoop(() -> List.copyOf(expired))).containsExactly("a", "throws", "last");
    assertThat(a.expiredAfterNanos).isGreaterThanOrEqualTo(duration);
    assertThat(last.expiredAfterNanos).isGreaterThanOrEqualTo(duration);
    assertThat(onLoop(() -> worker.deadlines(duration).isEmpty())).isTrue();
  }

  @Test
  void aQueueThatEmptiedServesNewEntries() throws Exception {
    Worker worker = new Worker(loop);
    long duration = TimeUnit.MILLISECONDS.toNanos(10);
    Named first = new Named("first");
    onLoop(() -> {
      worker.deadlines(duration).add(first);
      worker.deadlines(duration).remove(first);
      return null;
    });
    Thread.sleep(30); // the head's task fires on an empty queue
    Named last = new Named("last");
    onLoop(() -> {
      worker.deadlines(duration).add(last);
      return null;
    });
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(onLoop(() -> List.copyOf(expired))).containsExactly("last");
  }
}
