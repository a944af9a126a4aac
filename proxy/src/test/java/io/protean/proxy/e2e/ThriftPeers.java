package io.protean.proxy.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * The Thrift peers that are not Java: a server and a client on the Python {@code thrift} package
 * and a client on the Go library, from {@code src/test/thrift}. {@code peers.sh} installs them
 * (the Python package into a venv, the Go client built into {@code target/thrift-peers}); a test
 * that cannot have them fails with the script's output, it is never skipped.
 */
final class ThriftPeers {
  private static final Path SOURCES = Path.of("src/test/thrift");
  private static final Path BUILT = Path.of("target/thrift-peers");
  private static final long CALL_SECONDS = 120;
  private static boolean installed;

  private ThriftPeers() {}

  /** Runs {@code peers.sh} once per test JVM. */
  static synchronized void install() throws IOException, InterruptedException {
    if (installed) {
      return;
    }
    Run run = run(List.of("bash", SOURCES.resolve("peers.sh").toString()), 600);
    if (run.exit != 0) {
      throw new IllegalStateException("the Thrift peers could not be installed (bash "
          + SOURCES.resolve("peers.sh") + " exited " + run.exit + "):\n" + String.join("\n", run.lines));
    }
    installed = true;
  }

  private static String python() {
    return BUILT.resolve("venv/bin/python").toString();
  }

  /**
   * The Python client's output, one line per call ({@code src/test/thrift/python/client.py}):
   * "CALL -> RESULT" or "CALL !> ERROR".
   */
  static List<String> pythonClient(int port, String transport, String protocol, List<String> calls)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(python(),
        SOURCES.resolve("python/client.py").toString(), Integer.toString(port), transport, protocol));
    cmd.addAll(calls);
    return run(cmd, CALL_SECONDS).lines;
  }

  /** The Go client's output, likewise ({@code src/test/thrift/go/client}). */
  static List<String> goClient(int port, String transport, String protocol, List<String> calls)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(BUILT.resolve("go-client").toString(),
        "-addr", "127.0.0.1:" + port, "-transport", transport, "-protocol", protocol));
    cmd.addAll(calls);
    return run(cmd, CALL_SECONDS).lines;
  }

  private record Run(int exit, List<String> lines) {}

  /** Runs {@code cmd} to its end (killed after {@code seconds}), its output merged. */
  private static Run run(List<String> cmd, long seconds) throws IOException, InterruptedException {
    Path output = Files.createTempFile("thrift-peer", ".out");
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(output.toFile()).start();
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        List<String> lines = new ArrayList<>(Files.readAllLines(output));
        lines.add("(killed after " + seconds + " s)");
        return new Run(-1, lines);
      }
      return new Run(p.exitValue(), Files.readAllLines(output));
    } finally {
      Files.deleteIfExists(output);
    }
  }

  /** The Python Echo server ({@code src/test/thrift/python/server.py}) on a port of its own. */
  static final class PythonServer implements AutoCloseable {
    private final Process process;
    private final int port;
    /** The texts of the one-way notes it received. */
    final Queue<String> notes = new ConcurrentLinkedQueue<>();

    PythonServer(String name) throws IOException {
      process = new ProcessBuilder(python(), SOURCES.resolve("python/server.py").toString(), name)
          .redirectErrorStream(true).start();
      BufferedReader out = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String first = out.readLine();
      if (first == null || !first.startsWith("listening ")) {
        process.destroyForcibly();
        throw new IOException("the Python Thrift server did not start: " + first);
      }
      port = Integer.parseInt(first.substring("listening ".length()));
      Thread drain = new Thread(() -> out.lines().forEach(line -> {
        if (line.startsWith("note ")) {
          notes.add(line.substring("note ".length()));
        }
      }), "python-thrift-" + name);
      drain.setDaemon(true);
      drain.start();
    }

    int port() {
      return port;
    }

    @Override
    public void close() throws InterruptedException {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
