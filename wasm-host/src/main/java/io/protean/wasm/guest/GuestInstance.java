package io.protean.wasm.guest;

/**
 * One instantiated guest. Confined to one thread (an event loop); never shared. After a
 * {@link GuestTrap} it must be closed and replaced.
 */
public interface GuestInstance extends AutoCloseable {

  /** An exported function, or null if the module does not export it. */
  GuestFunction function(String name);

  GuestMemory memory();

  /** Releases the instance (stops watching its calls). */
  @Override
  void close();
}
