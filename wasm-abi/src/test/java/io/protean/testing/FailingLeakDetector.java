package io.protean.testing;

import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;

/**
 * Netty's leak detector, made to fail the build: every leak report is also recorded, and
 * {@link LeakCheckExtension} fails the test class during which a leak surfaced. Installed for every
 * test JVM by {@code -Dio.netty.customResourceLeakDetector} in the root pom.
 */
public final class FailingLeakDetector<T> extends ResourceLeakDetector<T> {
  private static final List<String> LEAKS = new ArrayList<>();

  public FailingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
    super(resourceType, samplingInterval);
  }

  public FailingLeakDetector(Class<?> resourceType, int samplingInterval) {
    super(resourceType, samplingInterval);
  }

  @Override
  protected boolean needReport() {
    return true;
  }

  @Override
  protected void reportTracedLeak(String resourceType, String records) {
    record("LEAK: " + resourceType + " was released by GC before release()" + records);
    super.reportTracedLeak(resourceType, records);
  }

  @Override
  protected void reportUntracedLeak(String resourceType) {
    record("LEAK: " + resourceType + " was released by GC before release() (no records)");
    super.reportUntracedLeak(resourceType);
  }

  private static void record(String leak) {
    synchronized (LEAKS) {
      LEAKS.add(leak);
    }
  }

  /** Returns and forgets the leaks reported so far. */
  static List<String> drain() {
    synchronized (LEAKS) {
      List<String> copy = new ArrayList<>(LEAKS);
      LEAKS.clear();
      return copy;
    }
  }
}
