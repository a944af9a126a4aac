package io.protean.proxy.codec.dubbo;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * Reads just enough of a Dubbo fastjson2 body to route it: Dubbo's fastjson2 serialization writes
 * every value as a 4-byte big-endian length and one self-contained fastjson2 JSONB document
 * (FastJson2ObjectOutput.writeObject), so a value is skipped by its length; only strings, scalars
 * and the attachments map are read, as JSONB (fastjson2's docs/JSONB/jsonb_format_en.md and
 * JSONReaderJSONB). Like {@link Hessian2Reader} it works on a byte-array range, checks every read
 * against it and against the value's own length, limits nesting, and raises only
 * {@link DubboCodecException}.
 *
 * <p>Symbols: with Dubbo's {@code WriteNameAsSymbol} a document names an object field or a type
 * once ({@code 0x7f string int}) and refers to it later by number ({@code 0x7f int}); a document
 * keeps at most {@code maxClassDefs} of them. References ({@code 0x93 "$.path"}) are skipped.
 */
final class JsonbReader implements RequestReader {
  static final int OBJECT = 0xa6;
  static final int OBJECT_END = 0xa5;
  static final int NULL = 0xaf;
  static final int INT8 = 0xbd;
  private static final int TYPED_ANY = 0x92;
  private static final int REFERENCE = 0x93;
  private static final int SYMBOL = 0x7f;
  private static final int ASCII_FIX_0 = 0x49;
  private static final int ASCII_FIX_MAX = 0x78;
  private static final int STR_ASCII = 0x79;
  private static final int STR_UTF8 = 0x7a;
  private static final int STR_UTF16 = 0x7b;
  private static final int STR_UTF16LE = 0x7c;
  private static final int STR_UTF16BE = 0x7d;
  private static final int STR_GB18030 = 0x7e;
  private static final Charset GB18030 = Charset.forName("GB18030");

  private final byte[] buf;
  private final int start;
  private final int end;
  private final DubboLimits limits;
  private final AsciiStrings strings = AsciiStrings.forThisThread();
  private int pos;
  /** The end of the document being read (its length prefix says where). */
  private int valueEnd;
  /** Symbols defined in the current document: each one's string start, length and type. */
  private int[] symbols = new int[0];
  private int symbolCount;
  /** Whether a symbol or a reference was met: bytes that depend on other bytes of the document. */
  private boolean shared;

  JsonbReader(byte[] buf, int start, int end, DubboLimits limits) {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.limits = limits;
    this.pos = start;
    this.valueEnd = end;
  }

  @Override
  public int position() {
    return pos;
  }

  @Override
  public boolean atEnd() {
    return pos >= end;
  }

  @Override
  public DubboCodecException error(String problem) {
    return new DubboCodecException("fastjson2: " + problem + " at body offset " + (pos - start));
  }

  /** Reads the next value's length prefix and makes it the current document; returns its end. */
  int beginValue(String what) {
    if (end - pos < 4) {
      throw error("truncated body: a 4-byte length needed for " + what);
    }
    int len = (buf[pos] & 0xff) << 24 | (buf[pos + 1] & 0xff) << 16 | (buf[pos + 2] & 0xff) << 8
        | buf[pos + 3] & 0xff;
    pos += 4;
    if (len < 0 || len > end - pos) {
      throw error(what + " of " + Integer.toUnsignedString(len) + " bytes exceeds the body");
    }
    valueEnd = pos + len;
    symbolCount = 0;
    shared = false;
    return valueEnd;
  }

  @Override
  public String readText(String what, int maxChars) {
    return readStringValue(what, maxChars);
  }

  @Override
  public java.util.List<String> readTextList(String what, int maxChars) {
    return readStringListValue(what, maxChars);
  }

  /** Skips a whole length-prefixed value without reading it. */
  @Override
  public void skipArgument() {
    skipValue("an argument");
  }

  /** Skips a whole length-prefixed value (an argument) without reading it. */
  void skipValue(String what) {
    pos = beginValue(what);
  }

  /** Ends the current document: it must be read to its last byte. */
  void endValue(String what) {
    if (pos != valueEnd) {
      throw error(what + " has " + (valueEnd - pos) + " byte(s) after its value");
    }
    valueEnd = end;
  }

  /** A length-prefixed string (or null), at most {@code maxChars} long. */
  String readStringValue(String what, int maxChars) {
    beginValue(what);
    String s;
    if (peek(what) == NULL) {
      pos++;
      s = null;
    } else {
      s = readString(u8(what), what, maxChars);
      if (s == null) {
        throw error(what + " is longer than " + maxChars + " characters");
      }
    }
    endValue(what);
    return s;
  }

  /** A length-prefixed integer (any JSONB int or long encoding). */
  long readIntegerValue(String what) {
    beginValue(what);
    int tag = u8(what);
    Long v = integer(tag, what);
    if (v == null) {
      throw unexpected(tag, what);
    }
    endValue(what);
    return v;
  }

  /**
   * A length-prefixed array of strings (a String[], perhaps behind its type name); null after
   * skipping any other value. An element that is no short scalar reads as "?".
   */
  java.util.List<String> readStringListValue(String what, int maxChars) {
    beginValue(what);
    int tag = u8(what);
    if (tag == TYPED_ANY) {
      skipTypeName();
      tag = u8(what);
    }
    java.util.List<String> list = null;
    if (tag >= 0x94 && tag <= 0xa4) {
      int n = tag == 0xa4 ? length(what) : tag - 0x94;
      list = new java.util.ArrayList<>(Math.min(n, 16));
      for (int i = 0; i < n; i++) {
        String s = readScalarOrSkip(what, maxChars);
        list.add(s == null ? "?" : s);
      }
    } else {
      pos--;
      skip(0);
    }
    endValue(what);
    return list;
  }

  /** Whether a symbol or reference was met since the current document began. */
  boolean sawShared() {
    return shared;
  }

  int peek(String what) {
    need(1, what);
    return buf[pos] & 0xff;
  }

  private int u8(String what) {
    need(1, what);
    return buf[pos++] & 0xff;
  }

  private void need(int n, String what) {
    if (n < 0 || valueEnd - pos < n) {
      throw error("truncated value: " + n + " more byte(s) needed for " + what);
    }
  }

  private void advance(int n, String what) {
    need(n, what);
    pos += n;
  }

  private DubboCodecException unexpected(int tag, String what) {
    pos--;
    return error(String.format("unexpected type 0x%02x while reading %s", tag, what));
  }

  /**
   * Starts a map: a JSONB object, perhaps behind its type name ({@code WriteClassName} on a map
   * that is not a HashMap). Returns false for null (no map).
   */
  boolean readMapStart(String what) {
    int tag = u8(what);
    if (tag == TYPED_ANY) {
      skipTypeName();
      tag = u8(what);
    }
    if (tag == NULL) {
      return false;
    }
    if (tag != OBJECT) {
      throw unexpected(tag, what);
    }
    return true;
  }

  /** True (and consumed) at the end of the object being read. */
  boolean atObjectEnd(String what) {
    if (peek(what) == OBJECT_END) {
      pos++;
      return true;
    }
    return false;
  }

  /**
   * A map key or field name: a string or a symbol; any other key is skipped and gives null, as
   * does a string longer than {@code maxChars}.
   */
  String readName(String what, int maxChars) {
    int tag = peek(what);
    if (tag == SYMBOL) {
      pos++;
      return symbol(what, maxChars);
    }
    if (isString(tag)) {
      pos++;
      return readString(tag, what, maxChars);
    }
    skip(0);
    return null;
  }

  /**
   * A scalar as text (string, integer, boolean) or null after skipping any other value (and a
   * string longer than {@code maxChars}).
   */
  String readScalarOrSkip(String what, int maxChars) {
    int tag = peek(what);
    if (isString(tag)) {
      pos++;
      return readString(tag, what, maxChars);
    }
    if (tag == 0xb0 || tag == 0xb1) {
      pos++;
      return tag == 0xb1 ? "true" : "false";
    }
    pos++;
    Long v = integer(tag, what);
    if (v != null) {
      return Long.toString(v);
    }
    pos--;
    skip(0);
    return null;
  }

  private static boolean isString(int tag) {
    return tag >= ASCII_FIX_0 && tag <= STR_GB18030;
  }

  /** Reads a string after its tag; null (skipped) when longer than {@code maxChars}. */
  private String readString(int tag, String what, int maxChars) {
    int len;
    if (tag >= ASCII_FIX_0 && tag <= ASCII_FIX_MAX) {
      len = tag - ASCII_FIX_0;
    } else if (tag >= STR_ASCII && tag <= STR_GB18030) {
      len = length(what);
    } else {
      throw unexpected(tag, what);
    }
    need(len, what);
    int at = pos;
    pos += len;
    if (maxChars == 0) {
      return null; // skipping
    }
    if (tag <= STR_ASCII) {
      if (len > maxChars) {
        return null;
      }
      boolean ascii = true;
      for (int i = at; i < at + len && ascii; i++) {
        ascii = buf[i] >= 0;
      }
      return ascii ? strings.get(buf, at, len) : new String(buf, at, len, StandardCharsets.ISO_8859_1);
    }
    if (len / 4 > maxChars) {
      return null; // a character takes at most 4 bytes: surely too long, not worth decoding
    }
    String s = new String(buf, at, len, switch (tag) {
      case STR_UTF8 -> StandardCharsets.UTF_8;
      case STR_UTF16 -> StandardCharsets.UTF_16;
      case STR_UTF16LE -> StandardCharsets.UTF_16LE;
      case STR_UTF16BE -> StandardCharsets.UTF_16BE;
      default -> GB18030;
    });
    return s.length() > maxChars ? null : s;
  }

  /** After {@code 0x7f}: a symbol's definition (string, number) or a reference to one (number). */
  private String symbol(String what, int maxChars) {
    shared = true;
    int tag = peek(what);
    if (isString(tag)) {
      int at = pos + 1;
      pos++;
      String s = readString(tag, what, maxChars);
      define(readInt(what), tag, at);
      return s;
    }
    int n = readInt(what);
    if (n < 0) {
      // A negative symbol indexes a symbol table agreed out of band; Dubbo sets none.
      throw error("symbol " + n + " refers to an external symbol table");
    }
    for (int i = 0; i < symbolCount; i++) {
      int[] s = symbols;
      if (s[i * 4] == n) {
        int save = pos;
        pos = s[i * 4 + 1];
        String name = readString(s[i * 4 + 2], what, maxChars);
        pos = save;
        return name;
      }
    }
    throw error("symbol " + n + " is not defined");
  }

  private void define(int n, int tag, int at) {
    if (symbolCount >= limits.maxClassDefs()) {
      throw error("more than " + limits.maxClassDefs() + " symbols in one value");
    }
    if (symbols.length < (symbolCount + 1) * 4) {
      symbols = java.util.Arrays.copyOf(symbols, Math.max(32, symbols.length * 2));
    }
    symbols[symbolCount * 4] = n;
    symbols[symbolCount * 4 + 1] = at;
    symbols[symbolCount * 4 + 2] = tag;
    symbolCount++;
  }

  /** A JSONB int32 (also every length). */
  private int readInt(String what) {
    int tag = u8(what);
    if (tag >= 0xf0 || tag <= 0x2f) {
      return (byte) tag;
    }
    if (tag <= 0x3f) {
      return ((tag - 0x38) << 8) | u8(what);
    }
    if (tag <= 0x47) {
      need(2, what);
      int v = ((tag - 0x44) << 16) | (buf[pos] & 0xff) << 8 | buf[pos + 1] & 0xff;
      pos += 2;
      return v;
    }
    if (tag == 0x48) {
      need(4, what);
      int v = (buf[pos] & 0xff) << 24 | (buf[pos + 1] & 0xff) << 16 | (buf[pos + 2] & 0xff) << 8
          | buf[pos + 3] & 0xff;
      pos += 4;
      return v;
    }
    throw unexpected(tag, what);
  }

  private int length(String what) {
    int n = readInt(what);
    if (n < 0 || n > valueEnd - pos) {
      throw error("length " + n + " of " + what + " exceeds the value");
    }
    return n;
  }

  /** An integer of any JSONB int or long encoding after its tag, or null for another type. */
  private Long integer(int tag, String what) {
    if (tag >= 0xf0 || tag <= 0x48) {
      pos--;
      return (long) readInt(what);
    }
    if (tag >= 0xd8 && tag <= 0xef) {
      return (long) (tag - 0xe0);
    }
    if (tag >= 0xc8 && tag <= 0xd7) {
      return (long) (((tag - 0xd0) << 8) | u8(what));
    }
    if (tag >= 0xc0 && tag <= 0xc7) {
      need(2, what);
      long v = ((tag - 0xc4) << 16) | (buf[pos] & 0xff) << 8 | buf[pos + 1] & 0xff;
      pos += 2;
      return v;
    }
    switch (tag) {
      case INT8 -> {
        need(1, what);
        return (long) buf[pos++];
      }
      case 0xbc -> {
        need(2, what);
        long v = (short) ((buf[pos] & 0xff) << 8 | buf[pos + 1] & 0xff);
        pos += 2;
        return v;
      }
      case 0xbf -> {
        need(4, what);
        long v = (buf[pos] & 0xff) << 24 | (buf[pos + 1] & 0xff) << 16
            | (buf[pos + 2] & 0xff) << 8 | buf[pos + 3] & 0xff;
        pos += 4;
        return v;
      }
      case 0xbe -> {
        need(8, what);
        long v = 0;
        for (int i = 0; i < 8; i++) {
          v = v << 8 | buf[pos + i] & 0xff;
        }
        pos += 8;
        return v;
      }
      default -> {
        return null;
      }
    }
  }

  /** A type name after {@code 0x92}: a string and its symbol number, or a symbol reference. */
  private void skipTypeName() {
    shared = true;
    int tag = peek("a type name");
    if (tag == SYMBOL) {
      pos++;
      symbol("a type name", Integer.MAX_VALUE);
    } else if (isString(tag)) {
      pos++;
      readString(tag, "a type name", Integer.MAX_VALUE);
      readInt("a type name's symbol");
    } else {
      readInt("a type name reference");
    }
  }

  /** Skips one JSONB value of any type. */
  void skip(int depth) {
    if (depth > limits.maxNestingDepth()) {
      throw error("values nested deeper than " + limits.maxNestingDepth());
    }
    int tag = u8("a value");
    if (isString(tag)) {
      readString(tag, "a string", 0);
      return;
    }
    if (tag >= 0x94 && tag <= 0xa4) {
      int n = tag == 0xa4 ? length("an array") : tag - 0x94;
      for (int i = 0; i < n; i++) {
        skip(depth + 1);
      }
      return;
    }
    if (integer(tag, "an integer") != null) {
      return;
    }
    switch (tag) {
      case NULL, 0xb0, 0xb1, 0xb2, 0xb3 -> { }
      case 0x90, 0xb6 -> readInt("a char or float");
      case 0xb7, 0xac, 0xad, 0xa9 -> advance(4, "a 32-bit value");
      case 0xb5, 0xab -> advance(8, "a 64-bit value");
      case 0xb4, 0xb8, 0xba -> skipLong();
      case 0xbb, 0x91 -> advance(length("binary or a big integer"), "binary data");
      case 0xb9 -> {
        readInt("a decimal's scale");
        int t = peek("a decimal");
        if (t == 0xbb) {
          pos++;
          advance(length("a decimal"), "a decimal");
        } else {
          skipLong();
        }
      }
      case 0xa7 -> {
        advance(3, "a local time");
        readInt("a local time");
      }
      case 0xa8 -> {
        advance(7, "a local date-time");
        readInt("a local date-time");
      }
      case 0xaa -> {
        advance(7, "a zoned date-time");
        readInt("a zoned date-time");
        readString(u8("a zone"), "a zone", 0);
      }
      case 0xae -> {
        skipLong();
        readInt("a timestamp");
      }
      case TYPED_ANY -> {
        skipTypeName();
        skip(depth + 1); // a deeper level: a chain of type names must not recurse unbounded
      }
      case REFERENCE -> {
        shared = true;
        readString(u8("a reference"), "a reference", 0);
      }
      case SYMBOL -> symbol("a symbol", 0);
      case OBJECT -> {
        while (!atObjectEnd("an object")) {
          readName("a field name", 0);
          skip(depth + 1);
        }
      }
      default -> throw unexpected(tag, "a value");
    }
  }

  /** A JSONB int64 of any encoding (after a tag that announces one). */
  private void skipLong() {
    int tag = u8("a long");
    if (integer(tag, "a long") == null) {
      throw unexpected(tag, "a long");
    }
  }
}
