package io.protean.abi;

/** A codec or filter factory backed by a file that may change (a Wasm module). */
public interface Reloadable {

  /**
   * Re-reads the source and validates it completely (ABI check and a throw-away instance
   * initialised with the same config). Called off the event loops; may take long.
   *
   * @return null when the source is unchanged; else a staged change
   * @throws IllegalArgumentException naming the problem when the new source is refused (nothing
   *     changes)
   */
  Staged stage();

  /** A validated change, not yet in use. */
  interface Staged {
    /** Makes the staged module current; cheap. Each event loop moves to it at its next frame. */
    void commit();
  }
}
