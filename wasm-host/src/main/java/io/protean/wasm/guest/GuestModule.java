package io.protean.wasm.guest;

import io.protean.wasm.WasmLimits;
import java.util.List;
import java.util.Set;

/** A parsed and (for the compiler engine) compiled module; thread-safe; instantiated per thread. */
public interface GuestModule {

  /** A display name (the file name) for logs and metrics. */
  String name();

  /**
   * The limits its instances run under, set when it was loaded: memory and call time are enforced
   * by the engine, the others by the ABI layers, which read them here (never a default).
   */
  WasmLimits limits();

  /** Names of the module's exported functions. */
  Set<String> exportedFunctions();

  /** Imports as {@code module.name}. */
  List<String> imports();

  /** The module's function imports with their signatures (i32/i64 only; others are refused). */
  List<ImportSignature> functionImports();

  /** A function import's name and signature. */
  record ImportSignature(String module, String name, List<HostFunctionDef.ValueKind> params,
      List<HostFunctionDef.ValueKind> results) {}

  /**
   * A new instance with these host functions (every import must be among them). Runs the
   * module's start function and, for WASI reactors, {@code _initialize}.
   *
   * @throws GuestTrap if instantiation or initialisation traps
   * @throws IllegalArgumentException if an import is not provided
   */
  GuestInstance instantiate(List<HostFunctionDef> hostFunctions);
}
