package io.protean.abi.codec;

import java.util.Objects;

/**
 * Metadata changes a filter asks for, applied by {@link Codec#encode}. A null value removes the key.
 * Insertion-ordered; setting a key twice keeps the last value.
 */
public final class Mutation {
  private final Metadata sets = new Metadata(4);
  private final Metadata removes = new Metadata(2);

  public Mutation set(String key, String value) {
    Objects.requireNonNull(key, "key");
    if (value == null) {
      sets.remove(key);
      removes.put(key, "");
    } else {
      removes.remove(key);
      sets.put(key, value);
    }
    return this;
  }

  public Mutation remove(String key) {
    return set(key, null);
  }

  /** Keys to set, with their new values. */
  public Metadata sets() {
    return sets;
  }

  /** True if {@code key} is to be removed. */
  public boolean removes(String key) {
    return removes.contains(key);
  }

  /** Keys to remove (values are empty strings). */
  public Metadata removals() {
    return removes;
  }

  public boolean isEmpty() {
    return sets.isEmpty() && removes.isEmpty();
  }

  /** Applies this mutation to {@code metadata} in place, the way the encoded frame will carry it. */
  public void applyTo(Metadata metadata) {
    for (int i = 0; i < removes.size(); i++) {
      metadata.remove(removes.keyAt(i));
    }
    sets.forEach(metadata::put);
  }

  @Override
  public String toString() {
    return "Mutation{set=" + sets + ", remove=" + removes.toMap().keySet() + '}';
  }
}
