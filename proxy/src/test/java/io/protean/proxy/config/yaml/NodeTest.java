package io.protean.proxy.config.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** What extensions parse through {@link Node} directly. */
class NodeTest {
  private static Node field(String yaml) {
    return new Node("", Node.read(yaml)).field("x");
  }

  @Test
  void aHugeSizeIsOutOfRangeNotOverflowedIntoASmallOne() {
    // 99999999999 GiB overflowed a long into a negative number, reported as "found -1073741824".
    assertThatThrownBy(() -> field("x: 99999999999GiB").size(1, 1L << 30))
        .hasMessage("x: must be between 1 and 1073741824 bytes, found '99999999999GiB'");
    assertThatThrownBy(() -> field("x: 99999999999999999999").size(1, 1L << 30))
        .hasMessage("x: must be between 1 and 1073741824 bytes, found '99999999999999999999'");
    assertThat(field("x: 8MiB").size(1, 1L << 30)).isEqualTo(8L << 20);
  }
}
