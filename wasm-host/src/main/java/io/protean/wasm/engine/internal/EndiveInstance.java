package io.protean.wasm.engine.internal;

import io.protean.wasm.WasmLimits;
import io.protean.wasm.guest.GuestFunction;
import io.protean.wasm.guest.GuestInstance;
import io.protean.wasm.guest.GuestMemory;
import io.protean.wasm.guest.GuestTrap;
import java.util.function.Supplier;
import run.endive.runtime.ExportFunction;
import run.endive.runtime.Instance;
import run.endive.runtime.Memory;
import run.endive.runtime.WasmInterruptedException;
import run.endive.wasm.WasmEngineException;

/** An Endive instance behind the narrow engine seam, with every call time-bounded. */
final class EndiveInstance implements GuestInstance, GuestMemory {
  private final String name;
  private final long budgetNanos;
  /** The budget of the current outermost call: the start-up one until {@link #started}. */
  private long currentBudgetNanos;
  private final CallWatchdog.Slot slot = CallWatchdog.register();
  private final java.util.List<AutoCloseable> closeWith = new java.util.ArrayList<>();
  private Instance instance;
  private Memory memory;
  /** Guest calls in progress: a host function may call back into the guest (its allocator). */
  private int depth;

  EndiveInstance(String name, WasmLimits limits) {
    this.name = name;
    this.budgetNanos = limits.maxCallTime().toNanos();
    this.currentBudgetNanos = limits.startupCallTime().toNanos();
  }

  @Override
  public void started() {
    currentBudgetNanos = budgetNanos;
  }

  void bind(Instance instance) {
    this.instance = instance;
    this.memory = instance.memory();
  }

  /** Runs guest code under the time limit, turning every failure into a {@link GuestTrap}. */
  <T> T guard(Supplier<T> call) {
    if (depth > 0) {
      // A call made from inside a host function: the outer call's time limit covers it.
      depth++;
      try {
        return call.get();
      } catch (GuestTrap e) {
        throw e;
      } catch (RuntimeException | StackOverflowError e) {
        throw new GuestTrap(GuestTrap.Reason.TRAP, name + ": guest trapped: " + e.getMessage(), e);
      } finally {
        depth--;
      }
    }
    depth = 1;
    try {
      return guardOutermost(call);
    } finally {
      depth = 0;
    }
  }

  private <T> T guardOutermost(Supplier<T> call) {
    slot.begin(currentBudgetNanos);
    T result;
    try {
      result = call.get();
    } catch (WasmInterruptedException e) {
      slot.end();
      throw new GuestTrap(GuestTrap.Reason.TIMEOUT, name + ": guest call exceeded its time limit of "
          + currentBudgetNanos / 1_000_000 + " ms", e);
    } catch (StackOverflowError e) {
      slot.end();
      throw new GuestTrap(GuestTrap.Reason.STACK_OVERFLOW, name + ": guest call overflowed the stack", null);
    } catch (OutOfBounds e) {
      slot.end();
      throw new GuestTrap(GuestTrap.Reason.INVALID_RESULT, name + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      // Traps, and anything else a guest or a host function raised: never into the event loop.
      boolean interrupted = slot.end();
      throw new GuestTrap(interrupted ? GuestTrap.Reason.TIMEOUT : GuestTrap.Reason.TRAP,
          name + ": guest trapped: " + e.getMessage(), e);
    }
    // A call that finished just as the watchdog fired keeps its result; end() cleared the flag.
    slot.end();
    return result;
  }

  @Override
  public GuestFunction function(String exportName) {
    ExportFunction f;
    try {
      f = instance.export(exportName);
    } catch (WasmEngineException | IllegalArgumentException e) {
      return null;
    }
    if (f == null) {
      return null;
    }
    return args -> guard(() -> f.apply(args));
  }

  @Override
  public GuestMemory memory() {
    return this;
  }

  /** Something to close together with this instance (its WASI state). */
  void onClose(AutoCloseable c) {
    closeWith.add(c);
  }

  @Override
  public void close() {
    CallWatchdog.unregister(slot);
    for (AutoCloseable c : closeWith) {
      try {
        c.close();
      } catch (Exception e) {
        // nothing useful to do while discarding an instance
      }
    }
    closeWith.clear();
  }

  // ---- GuestMemory: every access checked against the current size ----

  @Override
  public long size() {
    return memory == null ? 0 : (long) memory.pages() * Memory.PAGE_SIZE;
  }

  @Override
  public byte[] read(int address, int length) {
    GuestMemory.check(Integer.toUnsignedLong(address), length, size());
    return memory.readBytes(address, length);
  }

  @Override
  public int readInt(int address) {
    GuestMemory.check(Integer.toUnsignedLong(address), 4, size());
    return memory.readInt(address);
  }

  @Override
  public void write(int address, byte[] bytes, int offset, int length) {
    GuestMemory.check(Integer.toUnsignedLong(address), length, size());
    memory.write(address, bytes, offset, length);
  }
}
