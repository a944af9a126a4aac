package io.protean.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code protean conformance} as an author of a new protocol meets it. */
class MainTest {

  @TempDir
  Path dir;

  private record Run(int exit, String out, String err) {}

  private Run run(String protocol) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream oldErr = System.err;
    PrintStream oldOut = System.out;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      int exit = new CommandLine(new Main()).execute("--module",
          "../example-codecs-rust/wasm/tinyrpc.wasm", "--protocol", protocol,
          "--vectors-root", dir.toString(), "--engine", "compiler",
          "--report-dir", dir.resolve("reports").toString());
      return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(oldErr);
      System.setOut(oldOut);
    }
  }

  @Test
  void aProtocolWithoutVectorsStillGetsTheChecksThatNeedNone() {
    Run r = run("brand-new");
    assertThat(r.exit).isZero();
    assertThat(r.err).contains("no vectors for protocol 'brand-new'").doesNotContain("Exception");
    assertThat(r.out).contains("random-bytes  pass").contains("1 checks, 1 passed");
  }

  @Test
  void aMistakeInAVectorFileNamesTheFile() throws Exception {
    Path vectors = Files.createDirectories(dir.resolve("p"));
    Files.writeString(vectors.resolve("digits.yaml"), "description: a call\ninput_hex: 0011\n");
    Run r = run("p");
    assertThat(r.exit).isEqualTo(2);
    assertThat(r.err).contains("digits.yaml: input_hex must be a quoted string")
        .doesNotContain("Exception");

    Files.delete(vectors.resolve("digits.yaml"));
    Files.writeString(vectors.resolve("colon.yaml"),
        "description: a call: the first\ninput_hex: \"0011\"\n");
    r = run("p");
    assertThat(r.exit).isEqualTo(2);
    assertThat(r.err).contains("colon.yaml: not valid YAML").contains("needs quotes")
        .doesNotContain("Exception");
  }
}
