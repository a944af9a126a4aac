package io.protean.proxy.codec.dubbo;

import java.io.ByteArrayInputStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Map;
import org.apache.dubbo.common.URL;
import org.apache.dubbo.remoting.Channel;
import org.apache.dubbo.remoting.buffer.ChannelBuffer;
import org.apache.dubbo.remoting.buffer.ChannelBuffers;
import org.apache.dubbo.remoting.exchange.Response;
import org.apache.dubbo.rpc.AppResponse;
import org.apache.dubbo.rpc.RpcInvocation;
import org.apache.dubbo.rpc.model.FrameworkModel;
import org.apache.dubbo.rpc.protocol.dubbo.DecodeableRpcResult;

/**
 * Dubbo responses as Apache Dubbo's own codec writes them, and read back as a Dubbo consumer
 * reads them ({@link DecodeableRpcResult}), for the response types a real provider sends only
 * for some client versions.
 */
final class DubboResponses implements AutoCloseable {
  private final FrameworkModel framework = new FrameworkModel();
  private final URL url = URL.valueOf("dubbo://127.0.0.1:20880/" + "io.protean.demo.peers.DemoService"
      + "?serialization=hessian2").setScopeModel(framework.newApplication());
  private final Channel channel = channel(url);

  /**
   * A response as a provider answers a client of protocol {@code version}: with attachments (the
   * {@code *_WITH_ATTACHMENTS} types) from 2.0.2 on, without before.
   *
   * @param result a value, null, or a Throwable (an exception response)
   */
  byte[] response(long id, String version, Object result, Map<String, Object> attachments) {
    Response response = new Response(id, version);
    response.setStatus(Response.OK);
    AppResponse app = result instanceof Throwable t ? new AppResponse(t) : new AppResponse(result);
    app.setObjectAttachments(new java.util.HashMap<>(attachments));
    response.setResult(app);
    return encode(response);
  }

  /** An error-status response ({@code status} other than OK) with its message. */
  byte[] error(long id, byte status, String message) {
    Response response = new Response(id, "2.0.2");
    response.setStatus(status);
    response.setErrorMessage(message);
    return encode(response);
  }

  private byte[] encode(Response response) {
    try {
      ChannelBuffer out = ChannelBuffers.dynamicBuffer(256);
      new org.apache.dubbo.rpc.protocol.dubbo.DubboCodec(framework).encode(channel, out, response);
      byte[] frame = new byte[out.readableBytes()];
      out.readBytes(frame);
      return frame;
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads an OK response frame of a {@code String} method as a Dubbo consumer does. */
  AppResponse read(byte[] frame) {
    RpcInvocation inv = new RpcInvocation("greet", "io.protean.demo.peers.DemoService",
        "io.protean.demo.peers.DemoService", new Class<?>[] {String.class}, new Object[] {"x"});
    inv.setReturnType(String.class);
    Response response = new Response(0L);
    byte[] body = Arrays.copyOfRange(frame, DubboCodec.HEADER, frame.length);
    DecodeableRpcResult result = new DecodeableRpcResult(channel, response,
        new ByteArrayInputStream(body), inv, (byte) DubboCodec.HESSIAN2);
    try {
      result.decode(channel, new ByteArrayInputStream(body));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    return result;
  }

  @Override
  public void close() {
    framework.destroy();
  }

  /** The least of a Dubbo {@link Channel} its codec reads: the URL. */
  private static Channel channel(URL url) {
    InetSocketAddress address = new InetSocketAddress("127.0.0.1", url.getPort());
    InvocationHandler handler = (proxy, method, args) -> switch (method.getName()) {
      case "getUrl" -> url;
      case "getRemoteAddress", "getLocalAddress" -> address;
      case "isConnected" -> true;
      case "hashCode" -> System.identityHashCode(proxy);
      case "equals" -> proxy == args[0];
      case "toString" -> "test-channel";
      default -> method.getReturnType() == boolean.class ? false : null;
    };
    return (Channel) Proxy.newProxyInstance(DubboResponses.class.getClassLoader(),
        new Class<?>[] {Channel.class}, handler);
  }
}
