package io.protean.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU time another process has used so far (user + system, all its threads, including threads
 * that have exited), from {@code /proc/PID/stat}. The generator reads it for the proxy and the
 * server at the exact start and end of its measured window, so their CPU per request is the
 * steady state's — not the JIT warm-up's or the idle time between measurements.
 */
final class ProcessCpu {
  private final Path stat;
  private final int clockTicks;

  /** {@code clockTicks}: the kernel's USER_HZ ({@code getconf CLK_TCK}, 100 on Linux). */
  ProcessCpu(long pid, int clockTicks) {
    this.stat = Path.of("/proc", Long.toString(pid), "stat");
    if (clockTicks <= 0) {
      throw new IllegalArgumentException("clock ticks per second must be positive: " + clockTicks);
    }
    this.clockTicks = clockTicks;
    if (!Files.isReadable(stat)) {
      throw new IllegalArgumentException("no process " + pid + " (" + stat + " unreadable)");
    }
  }

  /** CPU seconds used so far. */
  double seconds() {
    try {
      return parse(Files.readString(stat), clockTicks);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + stat, e);
    }
  }

  /** utime + stime of a stat line; the command name in parentheses may hold spaces. */
  static double parse(String statLine, int clockTicks) {
    String[] f = statLine.substring(statLine.lastIndexOf(')') + 2).trim().split(" ");
    // After "pid (comm) ": state is field 0, utime field 11, stime field 12.
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) clockTicks;
  }
}
