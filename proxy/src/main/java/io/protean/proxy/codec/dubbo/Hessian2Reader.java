package io.protean.proxy.codec.dubbo;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads just enough hessian2 (http://hessian.caucho.com/doc/hessian-serialization.html) to route a
 * Dubbo request: strings, scalars, and a skip over any value. Works on a byte-array range (the
 * codec hands it the buffer's backing array or one copy of the body: per-byte ByteBuf reads would
 * each pay Netty's accessibility check); every read is bounds-checked against the range,
 * nesting is depth-limited, and any violation is a {@link DubboCodecException} naming the tag and
 * offset — hostile bytes never surface as another exception.
 */
final class Hessian2Reader implements RequestReader {
  private final byte[] buf;
  private final int start;
  private final int end;
  private final DubboLimits limits;
  private final AsciiStrings strings = AsciiStrings.forThisThread();
  /** Field counts of the class definitions seen so far (objects refer to them by index). */
  private final List<Integer> classFields = new ArrayList<>();
  private int pos;

  Hessian2Reader(byte[] buf, int start, int end, DubboLimits limits) {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.limits = limits;
    this.pos = start;
  }

  /** Absolute index of the next byte. */
  @Override
  public int position() {
    return pos;
  }

  @Override
  public boolean atEnd() {
    return pos >= end;
  }

  int peek() {
    need(1, "a value");
    return buf[pos] & 0xff;
  }

  private int u8(String what) {
    need(1, what);
    return buf[pos++] & 0xff;
  }

  private void need(int n, String what) {
    if (n < 0 || end - pos < n) {
      throw error("truncated body: " + n + " more byte(s) needed for " + what);
    }
  }

  private void advance(int n, String what) {
    need(n, what);
    pos += n;
  }

  private int u16(int at) {
    return (buf[at] & 0xff) << 8 | buf[at + 1] & 0xff;
  }

  private int i32(int at) {
    return (buf[at] & 0xff) << 24 | (buf[at + 1] & 0xff) << 16 | (buf[at + 2] & 0xff) << 8
        | buf[at + 3] & 0xff;
  }

  @Override
  public DubboCodecException error(String problem) {
    return new DubboCodecException("hessian2: " + problem + " at body offset " + (pos - start));
  }

  private DubboCodecException unexpected(int tag, String what) {
    pos--;
    return error(String.format("unexpected tag 0x%02x while reading %s", tag, what));
  }

  @Override
  public String readText(String what, int maxChars) {
    return readString(what, maxChars);
  }

  @Override
  public List<String> readTextList(String what, int maxChars) {
    return readStringList(what, maxChars);
  }

  @Override
  public void skipArgument() {
    skip(0);
  }

  /** Reads a string (or null), keeping at most {@code maxChars}; longer ones are an error. */
  String readString(String what, int maxChars) {
    int tag = u8(what);
    if (tag == 'N') {
      return null;
    }
    String ascii = asciiString(tag, maxChars);
    if (ascii != null) {
      return ascii;
    }
    StringBuilder sb = new StringBuilder();
    readStringChunks(tag, what, sb, maxChars);
    return sb.toString();
  }

  /**
   * The fast path for what metadata almost always is: one short chunk of ASCII, copied straight
   * into a String (or the same String as last time, {@link AsciiStrings}). Returns null (position
   * unchanged) for anything else.
   */
  private String asciiString(int tag, int maxChars) {
    int len;
    int at;
    if (tag <= 0x1f) {
      len = tag;
      at = pos;
    } else if (tag >= 0x30 && tag <= 0x33 && pos < end) {
      len = ((tag - 0x30) << 8) | (buf[pos] & 0xff);
      at = pos + 1;
    } else {
      return null;
    }
    if (len > maxChars || at + len > end) {
      return null;
    }
    for (int i = at; i < at + len; i++) {
      if (buf[i] < 0) {
        return null;
      }
    }
    pos = at + len;
    return strings.get(buf, at, len);
  }

  /**
   * Reads string chunks starting with {@code tag}; appends to {@code sb} unless it is null
   * (skipping). Fails when more than {@code maxChars} would be appended.
   */
  private void readStringChunks(int tag, String what, StringBuilder sb, int maxChars) {
    while (true) {
      int len;
      boolean last = true;
      if (tag <= 0x1f) {
        len = tag;
      } else if (tag >= 0x30 && tag <= 0x33) {
        len = ((tag - 0x30) << 8) | u8(what);
      } else if (tag == 'S' || tag == 'R') {
        need(2, what);
        len = u16(pos);
        pos += 2;
        last = tag == 'S';
      } else {
        throw unexpected(tag, what);
      }
      if (sb != null && sb.length() + len > maxChars) {
        throw error(what + " is longer than " + maxChars + " characters");
      }
      readChars(len, what, sb);
      if (last) {
        return;
      }
      tag = u8(what);
    }
  }

  /** Reads {@code len} UTF-16 units of hessian's UTF-8 (a 4-byte sequence counts as two). */
  private void readChars(int len, String what, StringBuilder sb) {
    int units = 0;
    while (units < len) {
      int b = u8(what);
      int cp;
      if (b < 0x80) {
        cp = b;
      } else if ((b & 0xe0) == 0xc0) {
        cp = ((b & 0x1f) << 6) | cont(what);
      } else if ((b & 0xf0) == 0xe0) {
        cp = ((b & 0x0f) << 12) | (cont(what) << 6) | cont(what);
      } else if ((b & 0xf8) == 0xf0) {
        cp = ((b & 0x07) << 18) | (cont(what) << 12) | (cont(what) << 6) | cont(what);
      } else {
        pos--;
        throw error(String.format("invalid UTF-8 byte 0x%02x in %s", b, what));
      }
      if (sb != null) {
        sb.appendCodePoint(Math.min(cp, Character.MAX_CODE_POINT));
      }
      units += cp >= 0x10000 ? 2 : 1;
    }
  }

  private int cont(String what) {
    int c = u8(what);
    if ((c & 0xc0) != 0x80) {
      pos--;
      throw error(String.format("invalid UTF-8 continuation byte 0x%02x in %s", c, what));
    }
    return c & 0x3f;
  }

  /** Reads an int in any of hessian's int encodings. */
  int readInt(String what) {
    int tag = u8(what);
    if (tag >= 0x80 && tag <= 0xbf) {
      return tag - 0x90;
    }
    if (tag >= 0xc0 && tag <= 0xcf) {
      return ((tag - 0xc8) << 8) | u8(what);
    }
    if (tag >= 0xd0 && tag <= 0xd7) {
      need(2, what);
      int v = ((tag - 0xd4) << 16) | u16(pos);
      pos += 2;
      return v;
    }
    if (tag == 'I') {
      need(4, what);
      int v = i32(pos);
      pos += 4;
      return v;
    }
    throw unexpected(tag, what);
  }

  /**
   * Reads a scalar as text (string, int, long, double, boolean) or skips any other value and
   * returns null. Strings longer than {@code maxChars} are skipped too.
   */
  String readScalarOrSkip(String what, int maxChars) {
    int tag = peek();
    if (tag <= 0x1f || (tag >= 0x30 && tag <= 0x33) || tag == 'S' || tag == 'R') {
      int mark = pos;
      pos++;
      String ascii = asciiString(tag, maxChars);
      if (ascii != null) {
        return ascii;
      }
      StringBuilder sb = new StringBuilder();
      try {
        readStringChunks(tag, what, sb, maxChars);
        return sb.toString();
      } catch (DubboCodecException tooLong) {
        pos = mark;
        skip(0);
        return null;
      }
    }
    if (tag == 'T' || tag == 'F') {
      pos++;
      return tag == 'T' ? "true" : "false";
    }
    if ((tag >= 0x80 && tag <= 0xd7) || tag == 'I') {
      return Integer.toString(readInt(what));
    }
    if ((tag >= 0xd8 && tag <= 0xff) || (tag >= 0x38 && tag <= 0x3f) || tag == 0x59 || tag == 'L') {
      return Long.toString(readLong(what));
    }
    skip(0);
    return null;
  }

  /**
   * A list of strings (a String[]: a typed or untyped, fixed-length list); null after skipping
   * any other value. An element that is no short scalar reads as "?".
   */
  List<String> readStringList(String what, int maxChars) {
    int tag = peek();
    int n;
    if (tag >= 0x70 && tag <= 0x77) {
      pos++;
      skipType();
      n = tag - 0x70;
    } else if (tag >= 0x78 && tag <= 0x7f) {
      pos++;
      n = tag - 0x78;
    } else if (tag == 'V') {
      pos++;
      skipType();
      n = count(readInt(what));
    } else if (tag == 'X') {
      pos++;
      n = count(readInt(what));
    } else {
      skip(0);
      return null;
    }
    List<String> list = new ArrayList<>(Math.min(n, 16));
    for (int i = 0; i < n; i++) {
      String s = readScalarOrSkip(what, maxChars);
      list.add(s == null ? "?" : s);
    }
    return list;
  }

  private long readLong(String what) {
    int tag = u8(what);
    if (tag >= 0xd8 && tag <= 0xef) {
      return tag - 0xe0;
    }
    if (tag >= 0xf0) {
      return ((long) (tag - 0xf8) << 8) | u8(what);
    }
    if (tag >= 0x38 && tag <= 0x3f) {
      need(2, what);
      long v = ((long) (tag - 0x3c) << 16) | u16(pos);
      pos += 2;
      return v;
    }
    if (tag == 0x59) {
      need(4, what);
      long v = i32(pos);
      pos += 4;
      return v;
    }
    need(8, what);
    long v = ((long) i32(pos) << 32 | (i32(pos + 4) & 0xffffffffL));
    pos += 8;
    return v;
  }

  /** Consumes the start of a map: {@code 'H'}, or {@code 'M'} and its type. */
  void readMapStart(int tag) {
    pos++;
    if (tag == 'M') {
      skipType();
    }
  }

  /** Skips one value of any type. */
  void skip(int depth) {
    if (depth > limits.maxNestingDepth()) {
      throw error("values nested deeper than " + limits.maxNestingDepth());
    }
    int tag = u8("a value");
    switch (tag) {
      case 'N', 'T', 'F', 0x5b, 0x5c -> { }
      case 'I', 0x59, 0x5f, 0x4b -> advance(4, "a 32-bit value");
      case 'L', 'D', 0x4a -> advance(8, "a 64-bit value");
      case 0x5d -> advance(1, "a byte double");
      case 0x5e -> advance(2, "a short double");
      case 'S', 'R' -> readStringChunks(tag, "a string", null, Integer.MAX_VALUE);
      case 'B', 'A' -> skipBinary(tag);
      case 'Q' -> readInt("a reference");
      case 'H' -> skipPairsUntilZ(depth);
      case 'M' -> {
        skipType();
        skipPairsUntilZ(depth);
      }
      case 'U' -> {
        skipType();
        skipUntilZ(depth);
      }
      case 'W' -> skipUntilZ(depth);
      case 'V' -> {
        skipType();
        skipN(count(readInt("a list length")), depth);
      }
      case 'X' -> skipN(count(readInt("a list length")), depth);
      case 'C' -> {
        readClassDef();
        skip(depth); // a definition is followed by the object that uses it
      }
      case 'O' -> skipObject(readInt("an object definition index"), depth);
      default -> skipCompact(tag, depth);
    }
  }

  private void skipCompact(int tag, int depth) {
    if (tag <= 0x1f || (tag >= 0x30 && tag <= 0x33)) {
      readStringChunks(tag, "a string", null, Integer.MAX_VALUE);
    } else if ((tag >= 0x20 && tag <= 0x2f) || (tag >= 0x34 && tag <= 0x37)) {
      skipBinary(tag);
    } else if (tag >= 0x38 && tag <= 0x3f) {
      advance(2, "a long");
    } else if (tag >= 0x60 && tag <= 0x6f) {
      skipObject(tag - 0x60, depth);
    } else if (tag >= 0x70 && tag <= 0x77) {
      skipType();
      skipN(tag - 0x70, depth);
    } else if (tag >= 0x78 && tag <= 0x7f) {
      skipN(tag - 0x78, depth);
    } else if (tag >= 0x80 && tag <= 0xbf) {
      return;
    } else if (tag >= 0xc0 && tag <= 0xcf) {
      advance(1, "an int");
    } else if (tag >= 0xd0 && tag <= 0xd7) {
      advance(2, "an int");
    } else if (tag >= 0xd8 && tag <= 0xef) {
      return;
    } else if (tag >= 0xf0) {
      advance(1, "a long");
    } else {
      throw unexpected(tag, "a value");
    }
  }

  private void skipBinary(int tag) {
    while (true) {
      int len;
      boolean last = true;
      if (tag >= 0x20 && tag <= 0x2f) {
        len = tag - 0x20;
      } else if (tag >= 0x34 && tag <= 0x37) {
        len = ((tag - 0x34) << 8) | u8("binary");
      } else if (tag == 'B' || tag == 'A') {
        need(2, "binary");
        len = u16(pos);
        pos += 2;
        last = tag == 'B';
      } else {
        throw unexpected(tag, "a binary chunk");
      }
      advance(len, "binary data");
      if (last) {
        return;
      }
      tag = u8("binary");
    }
  }

  /** A type is a type name (string) or a reference to an earlier one (int). */
  private void skipType() {
    int tag = peek();
    if (tag <= 0x1f || (tag >= 0x30 && tag <= 0x33) || tag == 'S' || tag == 'R') {
      pos++;
      readStringChunks(tag, "a type name", null, Integer.MAX_VALUE);
    } else {
      readInt("a type reference");
    }
  }

  private int count(int n) {
    if (n < 0 || n > end - pos) {
      // Every element takes at least one byte: a larger count cannot be honest.
      throw error("list length " + n + " exceeds the remaining body");
    }
    return n;
  }

  private void skipN(int n, int depth) {
    for (int i = 0; i < n; i++) {
      skip(depth + 1);
    }
  }

  private void skipUntilZ(int depth) {
    while (peek() != 'Z') {
      skip(depth + 1);
    }
    pos++;
  }

  private void skipPairsUntilZ(int depth) {
    while (peek() != 'Z') {
      skip(depth + 1);
      skip(depth + 1);
    }
    pos++;
  }

  private void readClassDef() {
    if (classFields.size() >= limits.maxClassDefs()) {
      throw error("more than " + limits.maxClassDefs() + " class definitions");
    }
    readStringChunks(u8("a class name"), "a class name", null, Integer.MAX_VALUE);
    int fields = count(readInt("a field count"));
    for (int i = 0; i < fields; i++) {
      readStringChunks(u8("a field name"), "a field name", null, Integer.MAX_VALUE);
    }
    classFields.add(fields);
  }

  private void skipObject(int def, int depth) {
    if (def < 0 || def >= classFields.size()) {
      throw error("object refers to class definition " + def + " of " + classFields.size());
    }
    skipN(classFields.get(def), depth);
  }
}
