package io.protean.abi.codec;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * The string key/values a codec extracts from a frame for routing and filters (Dubbo: interface,
 * method, version, group and every attachment; Thrift: method, service, seq_id).
 *
 * <p>Kept as one flat array in insertion order: frames carry few keys, a linear scan beats hashing
 * at that size, and one array is one allocation. Keys are unique; {@link #put} replaces.
 * Not thread-safe: a frame lives on one event loop.
 */
public final class Metadata {
  private String[] entries;
  private int size;

  public Metadata() {
    this(8);
  }

  public Metadata(int expectedKeys) {
    entries = new String[Math.max(2, expectedKeys * 2)];
  }

  /** Sets {@code key} to {@code value}, replacing an existing value. */
  public Metadata put(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    int i = indexOf(key);
    if (i >= 0) {
      entries[i + 1] = value;
      return this;
    }
    if (size * 2 == entries.length) {
      entries = Arrays.copyOf(entries, entries.length * 2);
    }
    entries[size * 2] = key;
    entries[size * 2 + 1] = value;
    size++;
    return this;
  }

  /** The value of {@code key}, or null. */
  public String get(String key) {
    int i = indexOf(key);
    return i < 0 ? null : entries[i + 1];
  }

  public boolean contains(String key) {
    return indexOf(key) >= 0;
  }

  /** Removes {@code key}; returns its old value or null. Keeps the order of the others. */
  public String remove(String key) {
    int i = indexOf(key);
    if (i < 0) {
      return null;
    }
    String old = entries[i + 1];
    System.arraycopy(entries, i + 2, entries, i, size * 2 - i - 2);
    size--;
    entries[size * 2] = null;
    entries[size * 2 + 1] = null;
    return old;
  }

  public int size() {
    return size;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  public String keyAt(int index) {
    return entries[Objects.checkIndex(index, size) * 2];
  }

  public String valueAt(int index) {
    return entries[Objects.checkIndex(index, size) * 2 + 1];
  }

  public void forEach(BiConsumer<String, String> action) {
    for (int i = 0; i < size; i++) {
      action.accept(entries[i * 2], entries[i * 2 + 1]);
    }
  }

  /** A copy as an insertion-ordered map (for logs, config dumps and tests; not the hot path). */
  public Map<String, String> toMap() {
    Map<String, String> map = new LinkedHashMap<>();
    forEach(map::put);
    return map;
  }

  private int indexOf(String key) {
    for (int i = 0; i < size * 2; i += 2) {
      if (entries[i].equals(key)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public String toString() {
    return toMap().toString();
  }
}
