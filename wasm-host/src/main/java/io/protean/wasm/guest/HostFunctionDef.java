package io.protean.wasm.guest;

import java.util.List;

/**
 * A function the host offers guests, independent of the engine. Parameters and results are i32
 * or i64 only.
 *
 * @param module  import module name ("env", "wasi_snapshot_preview1")
 * @param name    import name
 * @param params  parameter types
 * @param results result types
 * @param body    the implementation, called on the guest's thread
 */
public record HostFunctionDef(
    String module, String name, List<ValueKind> params, List<ValueKind> results, Body body) {

  /** A Wasm value type the host ABI uses. */
  public enum ValueKind {
    I32,
    I64
  }

  /** The implementation of a host function. */
  @FunctionalInterface
  public interface Body {
    long[] call(GuestMemory memory, long[] args);
  }
}
