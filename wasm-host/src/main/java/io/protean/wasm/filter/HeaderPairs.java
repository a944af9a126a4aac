package io.protean.wasm.filter;

import io.protean.abi.codec.Metadata;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * proxy-wasm's serialization of a header map: u32 count, count × (u32 key length, u32 value
 * length), then each key and value followed by a NUL byte; all little-endian.
 */
final class HeaderPairs {
  private HeaderPairs() {}

  static byte[] encode(Metadata m) {
    ByteArrayOutputStream strings = new ByteArrayOutputStream();
    ByteBuffer sizes = ByteBuffer.allocate(4 + 8 * m.size()).order(ByteOrder.LITTLE_ENDIAN);
    sizes.putInt(m.size());
    for (int i = 0; i < m.size(); i++) {
      byte[] k = m.keyAt(i).getBytes(StandardCharsets.UTF_8);
      byte[] v = m.valueAt(i).getBytes(StandardCharsets.UTF_8);
      sizes.putInt(k.length).putInt(v.length);
      strings.writeBytes(k);
      strings.write(0);
      strings.writeBytes(v);
      strings.write(0);
    }
    byte[] out = new byte[sizes.capacity() + strings.size()];
    System.arraycopy(sizes.array(), 0, out, 0, sizes.capacity());
    System.arraycopy(strings.toByteArray(), 0, out, sizes.capacity(), strings.size());
    return out;
  }

  /** The pairs in {@code bytes}, in order, or null when the bytes are not a well-formed map. */
  static List<Map.Entry<String, String>> parse(byte[] bytes) {
    if (bytes.length == 0) {
      return List.of();
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (b.remaining() < 4) {
      return null;
    }
    long count = Integer.toUnsignedLong(b.getInt());
    if (count > (bytes.length - 4) / 8) {
      return null;
    }
    int[] sizes = new int[(int) count * 2];
    for (int i = 0; i < sizes.length; i++) {
      sizes[i] = b.getInt();
    }
    List<Map.Entry<String, String>> pairs = new ArrayList<>((int) count);
    int at = b.position();
    String key = null;
    for (int i = 0; i < sizes.length; i++) {
      long end = (long) at + Integer.toUnsignedLong(sizes[i]);
      if (sizes[i] < 0 || end >= bytes.length || bytes[(int) end] != 0) {
        return null;
      }
      String s = new String(bytes, at, sizes[i], StandardCharsets.UTF_8);
      at = (int) end + 1;
      if (i % 2 == 0) {
        key = s;
      } else {
        pairs.add(new AbstractMap.SimpleImmutableEntry<>(key, s));
      }
    }
    return pairs;
  }
}
