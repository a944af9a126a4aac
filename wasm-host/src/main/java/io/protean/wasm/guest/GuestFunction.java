package io.protean.wasm.guest;

/** An exported guest function, bound to one instance. Not thread-safe (like its instance). */
public interface GuestFunction {

  /**
   * Calls the function under the instance's time limit.
   *
   * @throws GuestTrap if the guest traps, runs out of time or overflows the stack
   */
  long[] call(long... args);
}
