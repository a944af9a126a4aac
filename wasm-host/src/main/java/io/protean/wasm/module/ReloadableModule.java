package io.protean.wasm.module;

import io.protean.abi.Reloadable;
import io.protean.wasm.guest.GuestModule;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The module a factory makes its new instances from, and its reload: {@link #stage()} reads the
 * source again and, when its bytes changed, compiles and validates the new module; the staged
 * change's {@code commit()} makes it {@link #current()}. Thread-safe.
 *
 * <p>Module, bytes and generation are one immutable {@link Version} behind one volatile field, so
 * an event loop that reads it once sees a consistent module (two fields, written one after the
 * other, let a loop pair an old module with a new generation and stay on the old module).
 */
public final class ReloadableModule implements Reloadable {
  private static final Logger log = LoggerFactory.getLogger(ReloadableModule.class);

  /**
   * One version of the module. Instances remember the {@link #module()} they were made from; a
   * loop whose instance's module is not the current one's moves to a new instance.
   *
   * @param bytes      what it was compiled from (for the byte-for-byte comparison)
   * @param generation 0 for the module loaded at start-up, then one more per staging
   */
  public record Version(GuestModule module, byte[] bytes, int generation) {}

  private final ModuleSource source;
  private final Consumer<GuestModule> validate;
  private final AtomicInteger generations = new AtomicInteger();
  private volatile Version current;

  /**
   * Loads the module as it is now and validates it.
   *
   * @param validate checks a loaded module (its ABI, a throw-away instance with the factory's
   *                 config); throws IllegalArgumentException naming the problem
   * @throws IllegalArgumentException when the module cannot be read, loaded or validated
   */
  public ReloadableModule(ModuleSource source, Consumer<GuestModule> validate) {
    this.source = Objects.requireNonNull(source, "source");
    this.validate = Objects.requireNonNull(validate, "validate");
    byte[] bytes = source.read();
    GuestModule first = source.load(bytes);
    validate.accept(first);
    current = new Version(first, bytes, 0);
  }

  /** The version new instances come from (one volatile read). */
  public Version current() {
    return current;
  }

  /** The module's name (its file name). */
  public String name() {
    return source.name();
  }

  @Override
  public Staged stage() {
    byte[] bytes = source.read();
    if (Arrays.equals(bytes, current.bytes())) {
      return null;
    }
    GuestModule next = source.load(bytes);
    validate.accept(next);
    Version staged = new Version(next, bytes, generations.incrementAndGet());
    log.info("wasm module {}: generation {} staged", source.name(), staged.generation());
    return () -> {
      if (current != staged) {
        current = staged;
        log.info("wasm module {}: generation {} committed; each event loop moves to it", source.name(),
            staged.generation());
      }
    };
  }
}
