package io.protean.wasm.engine;

import io.protean.wasm.WasmLimits;
import io.protean.wasm.engine.internal.EndiveModule;
import io.protean.wasm.guest.GuestModule;

/**
 * How guest code runs: compiled to JVM bytecode (default) or interpreted. The one entry point to
 * the runtime: it sits above the Endive binding ({@code engine.internal}), which in turn sees only
 * the seam it implements ({@code io.protean.wasm.guest}), never this class.
 */
public enum Engine {
  COMPILER,
  INTERPRETER;

  /**
   * Parses, validates and (for {@link #COMPILER}) compiles a module once; instances made from it
   * share the compiled code and run under {@code limits}.
   *
   * @throws IllegalArgumentException if the bytes are not a valid module
   */
  public GuestModule load(String name, byte[] wasm, WasmLimits limits) {
    return new EndiveModule(name, wasm, this == COMPILER, limits);
  }
}
