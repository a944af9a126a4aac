package io.protean.bench.jmh;

import io.protean.wasm.WasmLimits;
import io.protean.wasm.engine.Engine;
import io.protean.wasm.guest.GuestFunction;
import io.protean.wasm.guest.GuestInstance;
import io.protean.wasm.guest.GuestModule;
import io.protean.wasm.guest.HostFunctionDef;
import io.protean.wasm.guest.HostFunctionDef.ValueKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import run.endive.compiler.InterpreterFallback;
import run.endive.compiler.MachineFactoryCompiler;
import run.endive.runtime.ExportFunction;
import run.endive.runtime.HostFunction;
import run.endive.runtime.ImportValues;
import run.endive.runtime.Instance;
import run.endive.runtime.InterpreterMachine;
import run.endive.runtime.Machine;
import run.endive.wasi.WasiPreview1;
import run.endive.wasm.Parser;
import run.endive.wasm.WasmModule;
import run.endive.wasm.types.FunctionImport;
import run.endive.wasm.types.FunctionType;
import run.endive.wasm.types.MemoryLimits;

/**
 * The fixed cost of one call into a guest: {@code protean_codec_abi_v1}, an export every codec
 * module has and whose body is empty (Rust: {@code extern "C" fn protean_codec_abi_v1() {}}; Go:
 * a {@code //go:wasmexport} of an empty function, which still enters the Go runtime: the export
 * wrapper switches to a goroutine stack and back).
 *
 * <ul>
 *   <li>{@code api=wasm-host}: through the proxy's host ({@code Engine.load},
 *       {@code GuestModule.instantiate}, {@code GuestInstance.function(..).call()}), the way every
 *       codec call goes: it includes the call-time watchdog (a deadline armed and disarmed per
 *       call) and the conversion of failures into traps;
 *   <li>{@code api=endive}: the same module bytes on Endive directly ({@code ExportFunction.apply}
 *       on an {@code Instance} built as wasm-host's {@code EndiveModule} builds it: same machine
 *       factory, memory limits, WASI preview 1 and {@code _initialize}), so the difference is
 *       what the host adds.
 * </ul>
 *
 * <pre>java -cp bench/target/protean-bench.jar org.openjdk.jmh.Main GuestCallBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
    "-XX:-DontCompileHugeMethods"}) // as the ./protean launcher
public class GuestCallBenchmark {
  static final String NO_OP = "protean_codec_abi_v1";
  private static final long[] NO_ARGS = new long[0];

  /** rust-dubbo: example-codecs-rust/wasm/dubbo.wasm (72 KiB); go-thrift: example-codecs-tinygo/wasm/thrift.wasm (2 MiB, Go 1.26). */
  @Param({"rust-dubbo", "go-thrift"})
  public String module;

  @Param({"compiler", "interpreter"})
  public String engine;

  @Param({"wasm-host", "endive"})
  public String api;

  private GuestInstance hostInstance;
  private GuestFunction hostFunction;
  private WasiPreview1 wasi;
  private ExportFunction endiveFunction;

  @Setup
  public void setup() {
    byte[] bytes = moduleBytes(module);
    Engine e = Engine.valueOf(engine.toUpperCase(java.util.Locale.ROOT));
    if (api.equals("wasm-host")) {
      hostInstance = hostInstance(module, bytes, e);
      hostFunction = hostInstance.function(NO_OP);
    } else {
      endiveFunction = endiveInstance(bytes, e).export(NO_OP);
    }
    if (hostFunction == null && endiveFunction == null) {
      throw new IllegalStateException(module + " does not export " + NO_OP);
    }
  }

  static byte[] moduleBytes(String module) {
    return switch (module) {
      case "rust-dubbo" -> BenchFrames.module("dubbo", "example-codecs-rust/wasm/dubbo.wasm");
      case "go-thrift" -> BenchFrames.module("thrift", "example-codecs-tinygo/wasm/thrift.wasm");
      default -> throw new IllegalArgumentException(module);
    };
  }

  /** An instance through wasm-host's public engine API, with the one import codecs may use. */
  static GuestInstance hostInstance(String name, byte[] bytes, Engine engine) {
    GuestModule m = engine.load(name + ".wasm", bytes, CodecBenchmark.LIMITS);
    HostFunctionDef log = new HostFunctionDef("env", "proxy_log",
        List.of(ValueKind.I32, ValueKind.I32, ValueKind.I32), List.of(ValueKind.I32),
        (memory, args) -> new long[] {0});
    return m.instantiate(List.of(log));
  }

  /** The same module on Endive directly, set up as wasm-host's EndiveModule does. */
  private Instance endiveInstance(byte[] bytes, Engine engine) {
    WasmModule m = Parser.parse(bytes);
    Function<Instance, Machine> machines = engine == Engine.COMPILER
        ? MachineFactoryCompiler.builder(m).withInterpreterFallback(InterpreterFallback.SILENT).compile()
        : InterpreterMachine::new;
    wasi = WasiPreview1.builder().build();
    Map<String, HostFunction> wasiByName = new HashMap<>();
    for (HostFunction f : wasi.toHostFunctions()) {
      wasiByName.put(f.name(), f);
    }
    List<run.endive.runtime.ImportFunction> functions = new ArrayList<>();
    var imports = m.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      FunctionImport f = (FunctionImport) imports.getImport(i);
      if (f.module().equals("wasi_snapshot_preview1")) {
        functions.add(wasiByName.get(f.name()));
      } else {
        FunctionType t = m.typeSection().getType(f.typeIndex());
        functions.add(new HostFunction(f.module(), f.name(), t,
            (instance, args) -> new long[t.returns().size()]));
      }
    }
    int initial = m.memorySection().map(s -> s.getMemory(0).limits().initialPages()).orElse(0);
    Instance instance = Instance.builder(m)
        .withImportValues(ImportValues.builder().withFunctions(functions).build())
        .withMachineFactory(machines)
        .withMemoryLimits(new MemoryLimits(initial, WasmLimits.DEFAULT.maxMemoryPages()))
        .build();
    if (hasExport(m, "_initialize")) {
      instance.export("_initialize").apply();
    }
    return instance;
  }

  private static boolean hasExport(WasmModule m, String name) {
    var exports = m.exportSection();
    for (int i = 0; i < exports.exportCount(); i++) {
      if (exports.getExport(i).name().equals(name)) {
        return true;
      }
    }
    return false;
  }

  /** The export's results: none (Endive returns null for a function without results). */
  @Benchmark
  public long[] call() {
    return hostFunction != null ? hostFunction.call(NO_ARGS) : endiveFunction.apply(NO_ARGS);
  }

  @TearDown
  public void tearDown() {
    if (hostInstance != null) {
      hostInstance.close();
    }
    if (wasi != null) {
      wasi.close();
    }
  }
}
