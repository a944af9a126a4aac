package io.protean.bench.jmh;

import io.protean.bench.RequestFrames;
import io.protean.proxy.codec.thrift.gen.Echo;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.dubbo.remoting.exchange.Response;
import org.apache.dubbo.rpc.AppResponse;
import org.apache.thrift.TBase;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.transport.TMemoryBuffer;

/**
 * Real wire frames for the micro-benchmarks, each written by the protocol's own library: Dubbo
 * requests and responses by Dubbo's own codec ({@link RequestFrames#encode}, hessian2), Thrift
 * calls and replies by libthrift's generated {@code Echo} code over {@link TBinaryProtocol}
 * (strict), with the framed transport's 4-byte length in front. All are {@code echo(String)} calls and their answers, padded
 * to a target size with the string payload.
 */
public final class BenchFrames {
  private BenchFrames() {}

  /** A Dubbo {@code EchoService.echo} request of about {@code bytes} bytes, request id 0. */
  public static byte[] dubboRequest(int bytes) {
    int base = RequestFrames.echoRequest("").length;
    return RequestFrames.echoRequest(RequestFrames.payload(Math.max(1, bytes - base)));
  }

  /** Dubbo's OK response (with attachments, as Dubbo 2.7+ writes it) to request 0 of about {@code bytes}. */
  public static byte[] dubboResponse(int bytes) {
    int base = dubboResponse("").length;
    return dubboResponse(RequestFrames.payload(Math.max(1, bytes - base)));
  }

  private static byte[] dubboResponse(String value) {
    Response response = new Response(0L, "2.0.2");
    response.setStatus(Response.OK);
    AppResponse result = new AppResponse(value);
    Map<String, Object> attachments = new HashMap<>();
    attachments.put("dubbo", "2.0.2");
    result.setObjectAttachments(attachments);
    response.setResult(result);
    return RequestFrames.encode(response, value.length());
  }

  /** A framed strict-binary Thrift {@code Echo.echo} call of about {@code bytes} bytes, seq id 0. */
  public static byte[] thriftCall(int bytes) {
    int base = thrift(TMessageType.CALL, new Echo.echo_args("")).length;
    return thrift(TMessageType.CALL,
        new Echo.echo_args(RequestFrames.payload(Math.max(1, bytes - base))));
  }

  /** The framed strict-binary reply to {@link #thriftCall}: {@code Echo.echo_result(success)}. */
  public static byte[] thriftReply(int bytes) {
    int base = thrift(TMessageType.REPLY, new Echo.echo_result("")).length;
    return thrift(TMessageType.REPLY,
        new Echo.echo_result(RequestFrames.payload(Math.max(1, bytes - base))));
  }

  private static byte[] thrift(byte type, TBase<?, ?> struct) {
    try {
      TMemoryBuffer buffer = new TMemoryBuffer(256);
      TBinaryProtocol protocol = new TBinaryProtocol(buffer);
      protocol.writeMessageBegin(new TMessage("echo", type, 0));
      struct.write(protocol);
      protocol.writeMessageEnd();
      int length = buffer.length();
      return ByteBuffer.allocate(4 + length).putInt(length).put(buffer.getArray(), 0, length).array();
    } catch (TException e) {
      throw new IllegalStateException("cannot write the Thrift message", e);
    }
  }

  /**
   * The bytes of an example module: {@code -Dprotean.<name>.wasm=PATH}, else {@code path} from the
   * repository root (JMH runs) or from a module directory (Maven test runs).
   */
  public static byte[] module(String name, String path) {
    String configured = System.getProperty("protean." + name + ".wasm");
    Path p = configured != null ? Path.of(configured)
        : Files.exists(Path.of(path)) ? Path.of(path) : Path.of("..", path);
    try {
      return Files.readAllBytes(p);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot read " + p.toAbsolutePath()
          + " (run from the repository root, or set -Dprotean." + name + ".wasm)", e);
    }
  }
}
