package io.protean.abi.codec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MetadataTest {

  @Test
  void putReplacesAndKeepsInsertionOrder() {
    Metadata m = new Metadata(1);
    m.put("interface", "a.B").put("method", "x").put("version", "1").put("method", "y");
    assertThat(m.size()).isEqualTo(3);
    assertThat(m.get("method")).isEqualTo("y");
    assertThat(m.toMap()).containsExactly(
        java.util.Map.entry("interface", "a.B"),
        java.util.Map.entry("method", "y"),
        java.util.Map.entry("version", "1"));
  }

  @Test
  void removeShiftsTheRest() {
    Metadata m = new Metadata().put("a", "1").put("b", "2").put("c", "3");
    assertThat(m.remove("b")).isEqualTo("2");
    assertThat(m.remove("b")).isNull();
    assertThat(m.keyAt(1)).isEqualTo("c");
    assertThat(m.get("c")).isEqualTo("3");
    assertThat(m.contains("b")).isFalse();
  }

  @Test
  void mutationAppliesRemovalsThenSets() {
    Metadata m = new Metadata().put("group", "g1").put("tag", "blue");
    Mutation mutation = new Mutation().set("tag", "green").remove("group").set("new", "v");
    mutation.applyTo(m);
    assertThat(m.toMap()).containsExactly(
        java.util.Map.entry("tag", "green"), java.util.Map.entry("new", "v"));
    assertThat(mutation.removes("group")).isTrue();
    assertThat(new Mutation().set("k", "v").remove("k").sets().isEmpty()).isTrue();
  }
}
