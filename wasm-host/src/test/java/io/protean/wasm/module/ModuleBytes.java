package io.protean.wasm.module;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Test modules that differ byte for byte and behave the same. */
public final class ModuleBytes {
  private ModuleBytes() {}

  /** {@code wasm} with a custom section named {@code tag} (under 100 bytes) appended. */
  public static byte[] retagged(byte[] wasm, String tag) {
    byte[] name = tag.getBytes(StandardCharsets.UTF_8);
    if (name.length > 100) {
      throw new IllegalArgumentException("tag too long");
    }
    byte[] out = Arrays.copyOf(wasm, wasm.length + 3 + name.length);
    int at = wasm.length;
    out[at++] = 0; // custom section
    out[at++] = (byte) (1 + name.length); // section size (LEB128, < 128)
    out[at++] = (byte) name.length; // name length
    System.arraycopy(name, 0, out, at, name.length);
    return out;
  }
}
