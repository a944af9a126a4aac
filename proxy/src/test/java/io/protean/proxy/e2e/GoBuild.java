package io.protean.proxy.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Go programs the tests run as real peers, built with the go command into target/ (once; again
 * when their sources change). Needs the go command and the Go module proxy.
 */
final class GoBuild {
  private static final Path BIN = Path.of("target/go-bin");

  private GoBuild() {}

  /** Builds the main package in {@code dir} (a module of its own) as {@code target/go-bin/NAME}. */
  static synchronized Path build(Path dir, String name) throws IOException, InterruptedException {
    Path binary = BIN.resolve(name).toAbsolutePath();
    FileTime newest = FileTime.fromMillis(0);
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        FileTime t = Files.getLastModifiedTime(p);
        newest = t.compareTo(newest) > 0 ? t : newest;
      }
    }
    if (!Files.exists(binary) || Files.getLastModifiedTime(binary).compareTo(newest) < 0) {
      run(dir, List.of("go", "build", "-o", binary.toString(), "."));
    }
    return binary;
  }

  /**
   * {@code go install PACKAGE@VERSION} into a directory of target/go-bin named after it (another
   * version gets its own build); returns the binary.
   */
  static synchronized Path install(String packageAtVersion, String binaryName)
      throws IOException, InterruptedException {
    Path dir = BIN.resolve(packageAtVersion.replaceAll("[^A-Za-z0-9._-]", "_")).toAbsolutePath();
    Path binary = dir.resolve(binaryName);
    if (!Files.exists(binary)) {
      Files.createDirectories(dir);
      ProcessBuilder pb = new ProcessBuilder("go", "install", packageAtVersion);
      pb.environment().put("GOBIN", dir.toString());
      run(pb);
    }
    return binary;
  }

  private static void run(Path dir, List<String> command) throws IOException, InterruptedException {
    run(new ProcessBuilder(command).directory(dir.toFile()));
  }

  private static void run(ProcessBuilder pb) throws IOException, InterruptedException {
    Process go = pb.redirectErrorStream(true).start();
    String out = new String(go.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!go.waitFor(15, TimeUnit.MINUTES) || go.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", pb.command()) + " failed (the go command"
          + " and the Go module proxy are needed):\n" + out);
    }
  }
}
