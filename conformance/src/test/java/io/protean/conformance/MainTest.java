package io.protean.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code protean conformance} as an author of a new protocol meets it. */
class MainTest {

  @TempDir
  Path dir;

  @Test
  void aProtocolWithoutVectorsStillGetsTheChecksThatNeedNone() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream oldErr = System.err;
    PrintStream oldOut = System.out;
    int exit;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      exit = new CommandLine(new Main()).execute("--module",
          "../example-codecs-rust/wasm/tinyrpc.wasm", "--protocol", "brand-new",
          "--vectors-root", dir.toString(), "--engine", "compiler",
          "--report-dir", dir.resolve("reports").toString());
    } finally {
      System.setErr(oldErr);
      System.setOut(oldOut);
    }
    assertThat(exit).isZero();
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("no vectors for protocol 'brand-new'").doesNotContain("Exception");
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("random-bytes  pass")
        .contains("1 checks, 1 passed");
  }
}
