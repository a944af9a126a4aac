package io.protean.wasm.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import run.endive.wasm.Parser;
import run.endive.wasm.WasmModule;

/** Which functions would pass HotSpot's huge-method limit, and the warning. */
class HugeFunctionsTest {
  /** A module of one imported and two defined functions: bodies of 10 and {@code nops} nops. */
  private static WasmModule module(int nops) {
    ByteArrayOutputStream m = new ByteArrayOutputStream();
    m.writeBytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
    section(m, 1, new byte[] {1, 0x60, 0, 0}); // one type: [] -> []
    section(m, 2, concat(new byte[] {1}, name("env"), name("f"), new byte[] {0, 0})); // import
    section(m, 3, new byte[] {2, 0, 0}); // two functions of type 0
    byte[] small = body(10);
    byte[] large = body(nops);
    section(m, 10, concat(new byte[] {2}, leb(small.length), small, leb(large.length), large));
    return Parser.parse(m.toByteArray());
  }

  private static byte[] body(int nops) {
    byte[] b = new byte[nops + 2];
    b[0] = 0; // no locals
    java.util.Arrays.fill(b, 1, nops + 1, (byte) 0x01); // nop
    b[nops + 1] = 0x0b; // end
    return b;
  }

  private static void section(ByteArrayOutputStream m, int id, byte[] content) {
    m.write(id);
    m.writeBytes(leb(content.length));
    m.writeBytes(content);
  }

  private static byte[] name(String s) {
    return concat(leb(s.length()), s.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  private static byte[] leb(int v) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    do {
      int b = v & 0x7f;
      v >>>= 7;
      out.write(v != 0 ? b | 0x80 : b);
    } while (v != 0);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  @Test
  void findsFunctionsOverTheBoundByTheirIndexWithImportsCounted() {
    List<int[]> huge = HugeFunctions.find(module(HugeFunctions.WASM_BODY_BYTES + 500));
    assertThat(huge).hasSize(1);
    assertThat(huge.get(0)[0]).isEqualTo(2); // the import is function 0
    assertThat(huge.get(0)[1]).isBetween(HugeFunctions.WASM_BODY_BYTES + 499, HugeFunctions.WASM_BODY_BYTES + 501);
    assertThat(HugeFunctions.find(module(HugeFunctions.WASM_BODY_BYTES - 500))).isEmpty();
  }

  @Test
  void warnsOnlyWhenTheJvmSkipsHugeMethods() {
    WasmModule large = module(HugeFunctions.WASM_BODY_BYTES + 500);
    assertThat(HugeFunctions.warning("big.wasm", large, false)).isNull();
    assertThat(HugeFunctions.warning("big.wasm", large, true))
        .startsWith("big.wasm: 1 function(s) of more than ")
        .contains("largest: function 2, ", "-XX:-DontCompileHugeMethods");
    assertThat(HugeFunctions.warning("small.wasm", module(100), true)).isNull();
  }

  @Test
  void theExampleCodecsAreWrittenToStayUnderIt() throws IOException {
    WasmModule rust = Parser.parse(Files.readAllBytes(Path.of("../example-codecs-rust/wasm/dubbo.wasm")));
    assertThat(HugeFunctions.find(rust)).isEmpty();
    // Go's runtime has large functions, off the request path; the codec's and the SDK's are not.
    WasmModule go = Parser.parse(Files.readAllBytes(Path.of("../example-codecs-tinygo/wasm/thrift.wasm")));
    List<int[]> huge = HugeFunctions.find(go);
    assertThat(huge).isNotEmpty();
    assertThat(huge).allSatisfy(f -> assertThat(HugeFunctions.describe(go, f[0]))
        .doesNotContain(" main.", "protean"));
    assertThat(HugeFunctions.describe(go, huge.get(0)[0])).matches("function \\d+ \\S+");
  }
}
