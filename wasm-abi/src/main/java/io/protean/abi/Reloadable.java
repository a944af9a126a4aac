package io.protean.abi;

/**
 * A codec or filter factory backed by a file that may change (a Wasm module). When a
 * configuration reload keeps a factory (its configuration did not change), the proxy asks it to
 * re-read its file, in two steps so that it can validate every changed module before it switches
 * any: {@link #stage()} does the slow part that may fail, off the event loops; {@link
 * Staged#commit()} switches.
 */
public interface Reloadable {

  /**
   * Re-reads the source and validates it completely (ABI check and a throw-away instance
   * initialised with the same config). Called off the event loops; may take long (a large module
   * compiles for seconds). Changes nothing by itself.
   *
   * @return null when the source is byte-for-byte unchanged; else a staged change
   * @throws IllegalArgumentException naming the problem when the new module is refused (nothing
   *     changes)
   */
  Staged stage();

  /** A validated new module, not yet in use. */
  interface Staged {

    /**
     * Makes the staged module current; cheap (a volatile write), from any thread. Each event loop
     * moves to it at its next frame (a codec: its connections go on on the new module) or its
     * next request (a filter: requests already in flight finish on the module that saw them).
     * Committing twice is harmless; of two stagings, the one committed last wins.
     */
    void commit();
  }
}
