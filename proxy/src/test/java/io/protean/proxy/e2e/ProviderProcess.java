package io.protean.proxy.e2e;

import io.protean.demo.peers.DubboProvider;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Dubbo provider in a child JVM, so a test can kill it the hard way (SIGKILL) with calls in
 * flight. The child prints READY once exported and exits when its stdin closes.
 */
final class ProviderProcess implements AutoCloseable {
  private final Process process;

  ProviderProcess(String name, int port, String version) throws IOException {
    this(name, port, version, List.of());
  }

  /**
   * @param jvmOptions extra options of the child JVM: {@code -Dprotean.test.fail-every=2} makes
   *                   it fail every second call ({@link FailingProviderFilter}),
   *                   {@code -Ddubbo.protocol.heartbeat=1000} makes it close connections idle
   *                   for 3 s (Dubbo closes after three heartbeat intervals)
   */
  ProviderProcess(String name, int port, String version, List<String> jvmOptions)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"),
        "-Ddubbo.application.qos-enable=false", "-Ddubbo.service.shutdown.wait=0",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of(ProviderProcess.class.getName(), name, Integer.toString(port), version));
    process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (String line; (line = out.readLine()) != null; ) {
      if (line.equals("READY")) {
        // Keep draining the child's output so it never blocks on a full pipe.
        Thread drain = new Thread(() -> out.lines().forEach(l -> { }), "provider-output");
        drain.setDaemon(true);
        drain.start();
        return;
      }
      if (System.nanoTime() > deadline) {
        break;
      }
    }
    process.destroyForcibly();
    throw new IOException("provider process did not start");
  }

  /** SIGKILL: the provider's sockets are closed by the kernel, nothing graceful happens. */
  void kill() {
    try {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGSTOP: the provider freezes; the kernel still accepts connections, nothing answers. */
  void freeze() {
    signal("STOP");
  }

  /** SIGCONT: a frozen provider runs again. */
  void thaw() {
    signal("CONT");
  }

  private void signal(String name) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
          .redirectErrorStream(true).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Thaws a frozen provider (so no stopped process outlives a failed kill), then kills it. */
  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        thaw();
      } catch (RuntimeException e) {
        // Killed below anyway.
      }
    }
    kill();
  }

  public static void main(String[] args) throws Exception {
    try (DubboProvider p = new DubboProvider(args[0], Integer.parseInt(args[1]), args[2], null)) {
      System.out.println("READY");
      System.out.flush();
      while (System.in.read() >= 0) {
        // Runs until the parent closes stdin or kills us.
      }
    }
  }
}
