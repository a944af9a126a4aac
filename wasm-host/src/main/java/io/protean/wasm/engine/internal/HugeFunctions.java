package io.protean.wasm.engine.internal;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import run.endive.wasm.WasmModule;
import run.endive.wasm.types.ExternalType;

/**
 * Wasm functions whose compiled JVM method HotSpot would never JIT-compile. HotSpot leaves methods
 * of more than 8000 bytes of bytecode to its bytecode interpreter unless the JVM runs with
 * {@code -XX:-DontCompileHugeMethods}; Endive compiles each Wasm function to one method, and Go's
 * compiler emits large functions (the Go Thrift codec's Decode: 10,592 bytes of Wasm, 14,344 of
 * bytecode), which ran three times slower for it (docs/performance.md).
 */
final class HugeFunctions {
  /**
   * Wasm body bytes above which the method likely passes 8000 bytes of bytecode: Endive's output
   * measured 1.3-1.4 bytecode bytes per Wasm byte on the Go and Rust example codecs.
   */
  static final int WASM_BODY_BYTES = 5_500;

  private HugeFunctions() {}

  /** Indices (in the function index space, imports first) and sizes of the large functions. */
  static List<int[]> find(WasmModule module) {
    List<int[]> found = new ArrayList<>();
    int imported = module.importSection().count(ExternalType.FUNCTION);
    var code = module.codeSection();
    for (int i = 0; i < code.functionBodyCount(); i++) {
      var body = code.getFunctionBody(i).instructions();
      if (body.isEmpty()) {
        continue;
      }
      int size = body.get(body.size() - 1).address() - body.get(0).address();
      if (size > WASM_BODY_BYTES) {
        found.add(new int[] {imported + i, size});
      }
    }
    return found;
  }

  /** The warning to log for this module, or null when there is nothing to say. */
  static String warning(String name, WasmModule module, boolean dontCompileHugeMethods) {
    if (!dontCompileHugeMethods) {
      return null;
    }
    List<int[]> huge = find(module);
    if (huge.isEmpty()) {
      return null;
    }
    int[] largest = huge.stream().max((a, b) -> Integer.compare(a[1], b[1])).orElseThrow();
    return name + ": " + huge.size() + " function(s) of more than " + WASM_BODY_BYTES
        + " bytes of Wasm (largest: " + describe(module, largest[0]) + ", " + largest[1] + " bytes) likely"
        + " exceed HotSpot's 8000-byte method limit and would run in the JVM's bytecode"
        + " interpreter, several times slower when they are on the request path; start the JVM"
        + " with -XX:-DontCompileHugeMethods (the ./protean launcher does)";
  }

  /** "function N", with its name when the module has a name section. */
  static String describe(WasmModule module, int index) {
    var names = module.nameSection();
    String fn = names == null ? null : names.nameOfFunction(index);
    return fn == null ? "function " + index : "function " + index + " " + fn;
  }

  /** Whether this JVM leaves huge methods uncompiled (HotSpot's default); false if unknown. */
  static boolean jvmSkipsHugeMethods() {
    try {
      var hotspot = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      return hotspot != null && Boolean.parseBoolean(hotspot.getVMOption("DontCompileHugeMethods").getValue());
    } catch (RuntimeException | LinkageError notHotSpot) {
      return false;
    }
  }
}
