package io.protean.wasm.guest;

/**
 * One instantiated guest. Confined to one thread (an event loop); never shared. After a
 * {@link GuestTrap} it must be closed and replaced.
 */
public interface GuestInstance extends AutoCloseable {

  /** An exported function, or null if the module does not export it. */
  GuestFunction function(String name);

  GuestMemory memory();

  /**
   * The instance is initialised (start function, {@code _initialize}, the ABI's init or
   * configure calls done): from now on every call gets {@code max_call_time}. Until then calls get
   * {@link io.protean.wasm.WasmLimits#startupCallTime()}, so a runtime's one-time set-up (Go's,
   * on the interpreter, on a loaded machine) is not mistaken for a guest that hangs.
   */
  void started();

  /** Releases the instance (stops watching its calls). */
  @Override
  void close();
}
