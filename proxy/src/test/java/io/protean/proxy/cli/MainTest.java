package io.protean.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code protean validate} and {@code protean run} as a new user meets them: a configuration the
 * machine cannot serve gives one line naming the field and exit code 2, never a stack trace.
 */
class MainTest {
  @TempDir Path dir;
  private ServerSocket occupied;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream stdout;
  private PrintStream stderr;

  @BeforeEach
  void capture() throws IOException {
    occupied = new ServerSocket();
    occupied.bind(new InetSocketAddress("127.0.0.1", 0));
    stdout = System.out;
    stderr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() throws IOException {
    System.setOut(stdout);
    System.setErr(stderr);
    occupied.close();
  }

  private Path file(String listenerAddress) throws IOException {
    return Files.writeString(dir.resolve("proxy.yaml"), """
        admin: {address: "127.0.0.1:0"}
        listeners:
          - name: in
            address: "%s"
            codec: dubbo
            routes: [{cluster: c}]
        clusters: [{name: c, endpoints: ["127.0.0.1:1"]}]
        """.formatted(listenerAddress));
  }

  private int protean(String... args) {
    return new CommandLine(new Main()).execute(args);
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void validateRefusesAPortInUse() throws IOException {
    Path f = file("127.0.0.1:" + occupied.getLocalPort());
    assertThat(protean("validate", "-c", f.toString())).isEqualTo(2);
    assertThat(stderr()).isEqualTo("invalid configuration " + f + ": listeners[0].address: 127.0.0.1:"
        + occupied.getLocalPort() + " is already in use" + System.lineSeparator());
    assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("valid (");
  }

  @Test
  void validateWithoutTheBindCheckLooksAtTheFileOnly() throws IOException {
    Path f = file("no-such-host.invalid:" + occupied.getLocalPort());
    assertThat(protean("validate", "--no-bind-check", "-c", f.toString())).isEqualTo(0);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("valid (1 listeners, 1 clusters)");
  }

  @Test
  void runRefusesAPortInUseInOneLine() throws IOException {
    Path f = file("127.0.0.1:" + occupied.getLocalPort());
    assertThat(protean("run", "-c", f.toString())).isEqualTo(2);
    assertThat(stderr()).isEqualTo("invalid configuration " + f + ": listeners[0].address: 127.0.0.1:"
        + occupied.getLocalPort() + " is already in use" + System.lineSeparator());
  }

  @Test
  void runRefusesAnUnresolvableHostInOneLine() throws IOException {
    Path f = file("no-such-host.invalid:20880");
    assertThat(protean("run", "-c", f.toString())).isEqualTo(2);
    assertThat(stderr()).isEqualTo("invalid configuration " + f + ": listeners[0].address: cannot "
        + "resolve host 'no-such-host.invalid'" + System.lineSeparator());
  }

  @Test
  void runAndValidateRefuseBrokenYamlInOneLine() throws IOException {
    Path f = Files.writeString(dir.resolve("tabs.yaml"), "listeners:\n\t- name: in\n");
    for (String command : new String[] {"validate", "run"}) {
      err.reset();
      assertThat(protean(command, "-c", f.toString())).isEqualTo(2);
      assertThat(stderr()).isEqualTo("invalid configuration " + f + ": line 2, column 1: a tab "
          + "character; tabs are not allowed for indentation in YAML, indent with spaces"
          + System.lineSeparator());
    }
  }
}
