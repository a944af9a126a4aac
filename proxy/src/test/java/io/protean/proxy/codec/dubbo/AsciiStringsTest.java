package io.protean.proxy.codec.dubbo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AsciiStringsTest {
  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void aRepeatedStringIsTheSameInstanceReadFromAnyOffset() {
    AsciiStrings strings = new AsciiStrings();
    String first = strings.get(ascii("org.example.EchoService"), 0, 23);
    assertThat(first).isEqualTo("org.example.EchoService");
    byte[] framed = ascii("xx org.example.EchoService yy");
    assertThat(strings.get(framed, 3, 23)).isSameAs(first);
    assertThat(strings.get(framed, 3, 11)).isEqualTo("org.example");
  }

  @Test
  void everyLookupReturnsExactlyItsBytesWhateverCollides() {
    AsciiStrings strings = new AsciiStrings();
    Random random = new Random(42);
    // 5,000 strings over 2,000 distinct values in a 512-slot table: hits, misses and collisions.
    String[] values = new String[2000];
    for (int i = 0; i < values.length; i++) {
      char[] c = new char[random.nextInt(AsciiStrings.MAX_LENGTH + 20)];
      for (int j = 0; j < c.length; j++) {
        c[j] = (char) (32 + random.nextInt(95));
      }
      values[i] = new String(c);
    }
    for (int i = 0; i < 5000; i++) {
      String v = values[random.nextInt(values.length)];
      byte[] padded = ascii("<" + v + ">");
      assertThat(strings.get(padded, 1, v.length())).isEqualTo(v);
    }
  }

  @Test
  void longStringsAreNotKept() {
    AsciiStrings strings = new AsciiStrings();
    byte[] longer = ascii("a".repeat(AsciiStrings.MAX_LENGTH + 1));
    assertThat(strings.get(longer, 0, longer.length)).isNotSameAs(strings.get(longer, 0, longer.length))
        .isEqualTo("a".repeat(AsciiStrings.MAX_LENGTH + 1));
  }
}
