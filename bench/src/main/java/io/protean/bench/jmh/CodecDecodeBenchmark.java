package io.protean.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.Frame;
import io.protean.bench.RequestFrames;
import io.protean.proxy.codec.dubbo.DubboCodecFactory;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.codec.WasmCodecFactory;
import io.protean.wasm.engine.Engine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
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

/**
 * Decoding one real Dubbo request (encoded by Dubbo's own codec) per operation: the native Java
 * codec vs the Rust Wasm codec on the Endive compiler and interpreter. Each Wasm decode includes
 * the copy of the frame into guest memory, as on the proxy's data path.
 *
 * <pre>java -cp bench/target/protean-bench.jar org.openjdk.jmh.Main CodecDecodeBenchmark</pre>
 * (run from the repository root, so example-codecs-rust/wasm/dubbo.wasm is found).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled"})
public class CodecDecodeBenchmark {
  @Param({"native", "wasm-compiler", "wasm-interpreter"})
  public String codec;

  /** Target frame size in bytes (the payload is sized to reach it). */
  @Param({"256"})
  public int frameBytes;

  private Codec decoder;
  private ByteBuf frame;

  @Setup
  public void setup() throws Exception {
    byte[] bytes = RequestFrames.echoRequest("");
    bytes = RequestFrames.echoRequest(RequestFrames.payload(Math.max(1, frameBytes - bytes.length)));
    frame = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
    decoder = switch (codec) {
      case "native" -> new DubboCodecFactory().newCodec();
      case "wasm-compiler" -> wasm(Engine.COMPILER);
      case "wasm-interpreter" -> wasm(Engine.INTERPRETER);
      default -> throw new IllegalArgumentException(codec);
    };
  }

  private static Codec wasm(Engine engine) throws Exception {
    Path module = Path.of(System.getProperty("protean.dubbo.wasm", "example-codecs-rust/wasm/dubbo.wasm"));
    return new WasmCodecFactory("dubbo", engine.load("dubbo.wasm", Files.readAllBytes(module),
        WasmLimits.DEFAULT), WasmLimits.DEFAULT, "{}".getBytes()).newCodec();
  }

  @Benchmark
  public long decode() {
    ByteBuf in = frame.duplicate();
    decoder.inputMoved(); // a new read: the Wasm codec copies the frame into guest memory
    Frame f = decoder.decode(in);
    long id = f.requestId() + f.metadata().size();
    f.release();
    return id;
  }

  @TearDown
  public void tearDown() {
    frame.release();
  }
}
