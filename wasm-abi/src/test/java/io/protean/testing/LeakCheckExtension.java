package io.protean.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class if a Netty buffer leaked while it ran. Registered for every test class by
 * JUnit's extension auto-detection (see junit-platform.properties in the test resources).
 *
 * <p>Netty reports a leak only when a leaked buffer has been garbage collected and a new buffer is
 * allocated; so after each class this forces a few GC rounds and allocations before it looks.
 */
public final class LeakCheckExtension implements AfterAllCallback {

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
      throw new AssertionError("Netty leak detection must be PARANOID in tests, is "
          + ResourceLeakDetector.getLevel());
    }
    for (int round = 0; round < 3; round++) {
      System.gc();
      Thread.sleep(20);
      for (int i = 0; i < 4; i++) {
        ByteBuf a = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        ByteBuf b = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
        ByteBuf c = PooledByteBufAllocator.DEFAULT.heapBuffer(16);
        a.release();
        b.release();
        c.release();
      }
    }
    List<String> leaks = FailingLeakDetector.drain();
    if (!leaks.isEmpty()) {
      throw new AssertionError(leaks.size() + " Netty buffer leak(s) in or before "
          + context.getDisplayName() + ":\n" + String.join("\n\n", leaks));
    }
  }
}
