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
    List<String> cmd = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"),
        "-Ddubbo.application.qos-enable=false", "-Ddubbo.service.shutdown.wait=0",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        ProviderProcess.class.getName(), name, Integer.toString(port), version));
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

  /** SIGSTOP: the provider hangs (its sockets stay open, nothing is read or answered). */
  void pause() throws IOException, InterruptedException {
    signal("-STOP");
  }

  /** SIGCONT after {@link #pause}: the provider answers what it was sent meanwhile. */
  void resume() throws IOException, InterruptedException {
    signal("-CONT");
  }

  private void signal(String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill " + signal + " " + process.pid() + " failed");
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        resume(); // a stopped process ignores nothing but SIGKILL; continue it to be sure
      } catch (IOException | InterruptedException e) {
        // killed below anyway
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
