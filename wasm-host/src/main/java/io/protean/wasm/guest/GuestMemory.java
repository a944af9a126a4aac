package io.protean.wasm.guest;

/**
 * A guest's linear memory, bounds-checked: an access outside it throws {@link OutOfBounds}, which
 * host functions turn into the INVALID_MEMORY_ACCESS status and the ABI layer into a trap.
 */
public interface GuestMemory {

  /** Current size in bytes. */
  long size();

  byte[] read(int address, int length);

  int readInt(int address);

  void write(int address, byte[] bytes, int offset, int length);

  /** An access outside the guest's memory. */
  final class OutOfBounds extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public OutOfBounds(long address, long length, long size) {
      super("guest memory access [" + address + ", +" + length + ") outside " + size + " bytes",
          null, false, false);
    }
  }

  /** Checks {@code [address, address + length)} against {@code size}; unsigned semantics. */
  static void check(long address, long length, long size) {
    if (address < 0 || length < 0 || address + length > size) {
      throw new OutOfBounds(address, length, size);
    }
  }
}
