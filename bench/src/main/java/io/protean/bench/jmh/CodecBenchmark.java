package io.protean.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.Mutation;
import io.protean.proxy.codec.dubbo.DubboCodecFactory;
import io.protean.proxy.codec.thrift.ThriftCodecFactory;
import io.protean.proxy.observability.Stats;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.codec.WasmCodecFactory;
import io.protean.wasm.engine.Engine;
import io.protean.wasm.module.ModuleSource;
import java.nio.charset.StandardCharsets;
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
 * What a codec does per request and per response on the proxy's data path, for each protocol and
 * each way of running its codec:
 *
 * <ul>
 *   <li>{@code decodeRequest}: a client's request, on the downstream connection's codec (every
 *       request);
 *   <li>{@code decodeResponse}: the server's answer, on the upstream connection's codec (every
 *       response);
 *   <li>{@code decodeResponseWithMetadata}: the same plus the response metadata a codec reads
 *       only on demand (when a filter looks at the response; Dubbo: the attachments after the
 *       value, so it grows with the value);
 *   <li>{@code encodeRequest}: re-encoding the request with a metadata mutation (only when a filter
 *       changed the metadata). Dubbo sets one attachment; binary Thrift has no header map, so its
 *       codecs accept only an empty mutation, and this is the round trip of the unchanged frame;
 *   <li>{@code errorReply}: the protocol's error answer (a local reply: no route, timeout...).
 * </ul>
 *
 * <p>Frames are real: Dubbo's own codec wrote the Dubbo ones, libthrift's generated code (framed
 * transport, strict binary protocol) the Thrift ones ({@link BenchFrames}). Each Wasm decode
 * includes copying the frame into guest memory ({@link Codec#inputMoved()} first, as for a new
 * read), each Wasm encode copying the frame in and the result out. Codecs: the native Java ones,
 * the Rust Dubbo module ({@code example-codecs-rust/wasm/dubbo.wasm}) and the Go Thrift module
 * ({@code example-codecs-tinygo/wasm/thrift.wasm}) on the Endive compiler and interpreter.
 *
 * <pre>java -cp bench/target/protean-bench.jar org.openjdk.jmh.Main CodecBenchmark</pre>
 * (from the repository root, so the modules are found).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// -XX:-DontCompileHugeMethods as the ./protean launcher: the Go module has functions over HotSpot's
// 8000-byte method limit (wasm-host HugeFunctions).
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-XX:-DontCompileHugeMethods"})
public class CodecBenchmark {
  @Param({"dubbo", "thrift"})
  public String protocol;

  @Param({"native", "wasm-compiler", "wasm-interpreter"})
  public String codec;

  /** Target size in bytes of the request and of the response (the string payload fills it). */
  @Param({"256"})
  public int frameBytes;

  /** The defaults, but 20 s per call: the Go runtime's start-up on the interpreter can pass 1 s. */
  static final WasmLimits LIMITS = new WasmLimits(WasmLimits.DEFAULT.maxMemoryPages(),
      java.time.Duration.ofSeconds(20), WasmLimits.DEFAULT.maxBlockBytes(),
      WasmLimits.DEFAULT.maxPairs(), WasmLimits.DEFAULT.maxStringBytes());
  private static final String MESSAGE = "protean: no route matches io.protean.bench.EchoService.echo";
  private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
  private Codec downstream;
  private Codec upstream;
  private ByteBuf request;
  private ByteBuf response;
  /** The request as decoded once by {@link #downstream}, for the encode paths. */
  private Frame requestFrame;
  private Mutation mutation;

  @Setup
  public void setup() {
    CodecFactory factory = factory(protocol, codec);
    downstream = factory.newCodec();
    upstream = factory.newCodec();
    boolean dubbo = protocol.equals("dubbo");
    request = direct(dubbo ? BenchFrames.dubboRequest(frameBytes) : BenchFrames.thriftCall(frameBytes));
    response = direct(dubbo ? BenchFrames.dubboResponse(frameBytes) : BenchFrames.thriftReply(frameBytes));
    mutation = dubbo ? new Mutation().set("x-tenant", "blue") : new Mutation();
    requestFrame = downstream.decode(request.duplicate());
    if (requestFrame == null) {
      throw new IllegalStateException(protocol + "/" + codec + " did not decode the request");
    }
  }

  /** The codec factory for a protocol ("dubbo", "thrift") run natively or as Wasm. */
  static CodecFactory factory(String protocol, String codec) {
    boolean dubbo = protocol.equals("dubbo");
    return switch (codec) {
      case "native" -> dubbo ? new DubboCodecFactory() : new ThriftCodecFactory();
      case "wasm-compiler" -> wasm(protocol, Engine.COMPILER);
      case "wasm-interpreter" -> wasm(protocol, Engine.INTERPRETER);
      default -> throw new IllegalArgumentException(codec);
    };
  }

  private static CodecFactory wasm(String protocol, Engine engine) {
    String path = protocol.equals("dubbo") ? "example-codecs-rust/wasm/dubbo.wasm"
        : "example-codecs-tinygo/wasm/thrift.wasm";
    byte[] bytes = BenchFrames.module(protocol, path);
    return new WasmCodecFactory(protocol, ModuleSource.of(protocol + ".wasm", bytes, engine, LIMITS),
        "{}".getBytes(StandardCharsets.UTF_8), new Stats());
  }

  private static ByteBuf direct(byte[] bytes) {
    return Unpooled.directBuffer(bytes.length).writeBytes(bytes);
  }

  @Benchmark
  public long decodeRequest() {
    return decode(downstream, request);
  }

  @Benchmark
  public long decodeResponse() {
    return decode(upstream, response);
  }

  /**
   * A response for a chain whose filters look at it: the response metadata the codec reads only
   * on demand (Dubbo's attachments, after the value) too.
   */
  @Benchmark
  public long decodeResponseWithMetadata() {
    ByteBuf in = response.duplicate();
    upstream.inputMoved();
    Frame f = upstream.decode(in);
    upstream.decodeResponseMetadata(f);
    long r = f.requestId() + f.metadata().size() + f.length() + f.type().ordinal();
    f.release();
    return r;
  }

  private static long decode(Codec c, ByteBuf bytes) {
    ByteBuf in = bytes.duplicate();
    c.inputMoved(); // a new read: a Wasm codec copies the bytes into guest memory
    Frame f = c.decode(in);
    long r = f.requestId() + f.metadata().size() + f.length() + f.type().ordinal();
    f.release();
    return r;
  }

  @Benchmark
  public long encodeRequest() {
    return consume(downstream.encode(requestFrame, mutation, alloc));
  }

  @Benchmark
  public long errorReply() {
    return consume(downstream.errorReply(requestFrame, ErrorType.ROUTE_NOT_FOUND, MESSAGE, alloc));
  }

  private static long consume(ByteBuf out) {
    long r = out.readableBytes() + out.getByte(out.writerIndex() - 1);
    out.release();
    return r;
  }

  @TearDown
  public void tearDown() {
    requestFrame.release();
    request.release();
    response.release();
  }
}
