package io.protean.wasm.engine.internal;

import io.protean.wasm.WasmLimits;
import io.protean.wasm.guest.GuestInstance;
import io.protean.wasm.guest.GuestModule;
import io.protean.wasm.guest.GuestTrap;
import io.protean.wasm.guest.HostFunctionDef;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import run.endive.compiler.InterpreterFallback;
import run.endive.compiler.MachineFactoryCompiler;
import run.endive.runtime.ByteArrayMemory;
import run.endive.runtime.HostFunction;
import run.endive.runtime.ImportValues;
import run.endive.runtime.Instance;
import run.endive.runtime.InterpreterMachine;
import run.endive.runtime.Machine;
import run.endive.wasi.WasiOptions;
import run.endive.wasi.WasiPreview1;
import run.endive.wasm.Parser;
import run.endive.wasm.WasmEngineException;
import run.endive.wasm.WasmModule;
import run.endive.wasm.types.ExternalType;
import run.endive.wasm.types.FunctionImport;
import run.endive.wasm.types.FunctionType;
import run.endive.wasm.types.MemoryLimits;
import run.endive.wasm.types.ValType;

/** A module on Endive (the runtime formerly named Chicory): parsed and compiled once. */
public final class EndiveModule implements GuestModule {
  private final String name;
  private final WasmModule module;
  private final Function<Instance, Machine> machines;
  private final WasmLimits limits;
  private final Set<String> exports = new LinkedHashSet<>();
  private final List<String> imports = new ArrayList<>();

  /**
   * @param compiled true to compile the module to JVM bytecode, false to interpret it
   */
  public EndiveModule(String name, byte[] wasm, boolean compiled, WasmLimits limits) {
    this(name, wasm, compiled, limits, CompileCache.configured());
  }

  /** @param cache where compiled classes are kept between starts; null for none */
  EndiveModule(String name, byte[] wasm, boolean compiled, WasmLimits limits, CompileCache cache) {
    this.name = name;
    this.limits = limits;
    try {
      this.module = Parser.parse(wasm);
    } catch (WasmEngineException | IllegalArgumentException e) {
      throw new IllegalArgumentException(name + " is not a valid Wasm module: " + e.getMessage(), e);
    }
    this.machines = compiled ? compile(name, module, cache) : InterpreterMachine::new;
    if (compiled) {
      String warning = HugeFunctions.warning(name, module, HugeFunctions.jvmSkipsHugeMethods());
      if (warning != null) {
        org.slf4j.LoggerFactory.getLogger("wasm." + name).warn(warning);
      }
    }
    var exportSection = module.exportSection();
    for (int i = 0; i < exportSection.exportCount(); i++) {
      var e = exportSection.getExport(i);
      if (e.exportType() == ExternalType.FUNCTION) {
        exports.add(e.name());
      }
    }
    var importSection = module.importSection();
    for (int i = 0; i < importSection.importCount(); i++) {
      var imp = importSection.getImport(i);
      imports.add(imp.module() + "." + imp.name());
    }
  }

  /**
   * Compiles once, through the on-disk cache when there is one; a function too large for one JVM
   * method is interpreted, not refused.
   */
  private static Function<Instance, Machine> compile(String name, WasmModule module, CompileCache cache) {
    if (cache != null) {
      try {
        return compiler(module).withCache(cache).compile();
      } catch (RuntimeException damaged) {
        // A damaged or unreadable entry: remove it and compile into the cache afresh.
        cache.evict(module.digest());
        try {
          return compiler(module).withCache(cache).compile();
        } catch (RuntimeException e) {
          org.slf4j.LoggerFactory.getLogger("wasm." + name).warn("the Wasm compile cache {} cannot be"
              + " used ({}): compiling without it", cache.file(module.digest()).getParent(), e.toString());
        }
      }
    }
    return compiler(module).compile();
  }

  private static MachineFactoryCompiler.Builder compiler(WasmModule module) {
    return MachineFactoryCompiler.builder(module).withInterpreterFallback(InterpreterFallback.SILENT);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public WasmLimits limits() {
    return limits;
  }

  @Override
  public Set<String> exportedFunctions() {
    return exports;
  }

  @Override
  public List<String> imports() {
    return imports;
  }

  @Override
  public List<ImportSignature> functionImports() {
    List<ImportSignature> out = new ArrayList<>();
    var importSection = module.importSection();
    for (int i = 0; i < importSection.importCount(); i++) {
      if (importSection.getImport(i) instanceof FunctionImport f) {
        FunctionType t = module.typeSection().getType(f.typeIndex());
        out.add(new ImportSignature(f.module(), f.name(), kinds(t.params()), kinds(t.returns())));
      }
    }
    return out;
  }

  private static List<HostFunctionDef.ValueKind> kinds(List<ValType> types) {
    return types.stream().map(t -> t.equals(ValType.I64) ? HostFunctionDef.ValueKind.I64
        : HostFunctionDef.ValueKind.I32).toList();
  }

  @Override
  public GuestInstance instantiate(List<HostFunctionDef> hostFunctions) {
    Map<String, HostFunctionDef> offered = new java.util.HashMap<>();
    for (HostFunctionDef f : hostFunctions) {
      offered.put(f.module() + "." + f.name(), f);
    }
    EndiveInstance holder = new EndiveInstance(name, limits);
    ImportValues.Builder values = ImportValues.builder();
    Map<String, HostFunction> wasi = null;
    var importSection = module.importSection();
    for (int i = 0; i < importSection.importCount(); i++) {
      var imp = importSection.getImport(i);
      String key = imp.module() + "." + imp.name();
      if (!(imp instanceof FunctionImport)) {
        throw new IllegalArgumentException(name + " imports " + key
            + ", which is not a function; only function imports are provided");
      }
      HostFunctionDef def = offered.get(key);
      if (def == null && imp.module().equals("wasi_snapshot_preview1")) {
        if (wasi == null) {
          wasi = wasi(holder);
        }
        HostFunction w = wasi.get(imp.name());
        if (w != null) {
          values.addFunction(w);
          continue;
        }
      }
      if (def == null) {
        throw new IllegalArgumentException(name + " imports " + key + ", which the host does not provide");
      }
      values.addFunction(hostFunction(def, holder));
    }
    Instance instance;
    try {
      instance = holder.guard(() -> Instance.builder(module)
          .withImportValues(values.build())
          .withMachineFactory(machines)
          .withMemoryLimits(new MemoryLimits(initialPages(), limits.maxMemoryPages()))
          // byte[] pages read through VarHandles: the default ByteBuffer pages cost a Wasm
          // decode about a third more (docs/performance.md); the default exists for Android.
          .withMemoryFactory(ByteArrayMemory::new)
          .build());
    } catch (GuestTrap e) {
      holder.close();
      throw e;
    }
    holder.bind(instance);
    if (exports.contains("_initialize")) {
      holder.function("_initialize").call();
    }
    return holder;
  }

  /**
   * WASI preview 1 for guests built against it (Rust wasip1, Go): no files, no environment, no
   * arguments; stdout and stderr go to the log; exit(0) is not an error.
   */
  private Map<String, HostFunction> wasi(EndiveInstance holder) {
    org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger("wasm." + name);
    WasiPreview1 preview1 = WasiPreview1.builder().withOptions(WasiOptions.builder()
        .withStdout(new LogStream(log, false), false)
        .withStderr(new LogStream(log, true), false)
        .withThrowOnExit0(false)
        .build()).build();
    holder.onClose(preview1);
    Map<String, HostFunction> byName = new java.util.HashMap<>();
    for (HostFunction f : preview1.toHostFunctions()) {
      byName.put(f.name(), f);
    }
    return byName;
  }

  private int initialPages() {
    return module.memorySection()
        .map(s -> s.memoryCount() == 0 ? 0 : Math.min(s.getMemory(0).limits().initialPages(),
            limits.maxMemoryPages()))
        .orElse(0);
  }

  private static HostFunction hostFunction(HostFunctionDef def, EndiveInstance holder) {
    FunctionType type = FunctionType.of(
        def.params().stream().map(EndiveModule::valType).toList(),
        def.results().stream().map(EndiveModule::valType).toList());
    return new HostFunction(def.module(), def.name(), type,
        (instance, args) -> def.body().call(holder.memory(), args));
  }

  private static ValType valType(HostFunctionDef.ValueKind k) {
    return k == HostFunctionDef.ValueKind.I32 ? ValType.I32 : ValType.I64;
  }
}
