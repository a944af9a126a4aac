package io.protean.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A reference for the other figures: one {@link System#nanoTime()}, which the data path reads
 * several times per request (the request's start and end, every {@code UpstreamPool.pick()} for
 * the endpoint backoff check, and every guest call's watchdog deadline). Its cost depends on the
 * machine's clock source (a virtual machine's may be slow).
 *
 * <pre>java -cp bench/target/protean-bench.jar org.openjdk.jmh.Main ClockBenchmark</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ClockBenchmark {
  @Benchmark
  public long nanoTime() {
    return System.nanoTime();
  }
}
