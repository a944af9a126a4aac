package io.protean.proxy.e2e;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * go-control-plane's xDS server (src/test/go/xds-server, built by {@link GoBuild}) as a child
 * process: it serves whatever resources {@link #push} writes, of any type url, and prints each
 * NACK it receives.
 */
final class GoControlPlane implements AutoCloseable {
  private final Path snapshot;
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final int port;

  GoControlPlane(Path dir) throws IOException, InterruptedException {
    Path binary = GoBuild.build(Path.of("src/test/go/xds-server"), "xds-server");
    snapshot = dir.resolve("snapshot.pb");
    port = Ports.free();
    process = new ProcessBuilder(binary.toString(), "-addr", "127.0.0.1:" + port,
        "-snapshot", snapshot.toString()).redirectErrorStream(true).start();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (IOException e) {
        // the process ended
      }
    }, "xds-server-output");
    reader.setDaemon(true);
    reader.start();
    await(() -> lines.stream().anyMatch(l -> l.startsWith("ready")), "the server to listen");
  }

  int port() {
    return port;
  }

  /** Replaces the served resources with {@code resources} (any types) at {@code version}. */
  void push(String version, List<? extends Message> resources)
      throws IOException, InterruptedException {
    DiscoveryResponse.Builder r = DiscoveryResponse.newBuilder().setVersionInfo(version);
    resources.forEach(m -> r.addResources(Any.pack(m)));
    Path tmp = snapshot.resolveSibling("snapshot.tmp");
    Files.write(tmp, r.build().toByteArray());
    Files.move(tmp, snapshot, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    await(() -> lines.contains("loaded " + version) || lines.stream().anyMatch(l -> l.startsWith("ERROR")),
        "version " + version + " to load");
    if (!lines.contains("loaded " + version)) {
      throw new IllegalStateException("the server refused the snapshot: " + lines);
    }
  }

  /** The NACK lines printed so far ({@code NACK <type url> <version> <message>}). */
  List<String> nacks() {
    return lines.stream().filter(l -> l.startsWith("NACK ")).toList();
  }

  private void await(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0 || (process != null && !process.isAlive())) {
        throw new IllegalStateException("waiting for " + what + ": " + lines);
      }
      Thread.sleep(10);
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}
