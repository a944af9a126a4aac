package io.protean.wasm.engine;

import io.protean.wasm.WasmLimits;
import io.protean.wasm.engine.internal.EndiveModule;

/** How guest code runs: compiled to JVM bytecode (default) or interpreted. */
public enum Engine {
  COMPILER,
  INTERPRETER;

  /**
   * Parses, validates and (for {@link #COMPILER}) compiles a module once; instances made from it
   * share the compiled code.
   *
   * @throws IllegalArgumentException if the bytes are not a valid module
   */
  public GuestModule load(String name, byte[] wasm, WasmLimits limits) {
    return new EndiveModule(name, wasm, this, limits);
  }
}
