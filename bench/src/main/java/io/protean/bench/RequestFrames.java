package io.protean.bench;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import org.apache.dubbo.common.URL;
import org.apache.dubbo.remoting.Channel;
import org.apache.dubbo.remoting.buffer.ChannelBuffer;
import org.apache.dubbo.remoting.buffer.ChannelBuffers;
import org.apache.dubbo.remoting.exchange.Request;
import org.apache.dubbo.rpc.RpcInvocation;
import org.apache.dubbo.rpc.model.FrameworkModel;
import org.apache.dubbo.rpc.protocol.dubbo.DubboCodec;

/**
 * Builds a real Dubbo request frame with Dubbo's own {@link DubboCodec}: an
 * {@link RpcInvocation} of {@code EchoService.echo(String)} in a two-way {@link Request},
 * serialized with hessian2, exactly as a Dubbo consumer writes it.
 */
public final class RequestFrames {
  /** The length of the Dubbo header: magic(2) flag(1) status(1) id(8) body length(4). */
  public static final int HEADER_LENGTH = 16;
  /** The offset of the big-endian request id in the header. */
  public static final int ID_OFFSET = 4;
  /** The offset of the status byte in a response header. */
  public static final int STATUS_OFFSET = 3;
  /** Dubbo's status OK. */
  public static final byte STATUS_OK = 20;

  private RequestFrames() {}

  /** A string of {@code bytes} printable ASCII characters, so its UTF-8 form has that length. */
  public static String payload(int bytes) {
    StringBuilder sb = new StringBuilder(bytes);
    for (int i = 0; i < bytes; i++) {
      sb.append((char) ('a' + i % 26));
    }
    return sb.toString();
  }

  /** The encoded frame of {@code EchoService.echo(payload)}, request id 0. */
  public static byte[] echoRequest(String payload) {
    String service = EchoService.class.getName();
    RpcInvocation inv = new RpcInvocation("echo", service, service,
        new Class<?>[] {String.class}, new Object[] {payload});
    Map<String, Object> attachments = new HashMap<>();
    attachments.put("path", service);
    attachments.put("interface", service);
    attachments.put("version", "0.0.0");
    attachments.put("timeout", "10000");
    inv.setObjectAttachments(attachments);
    Request request = new Request(0L);
    request.setVersion("2.0.2");
    request.setTwoWay(true);
    request.setData(inv);
    return encode(request, payload.length());
  }

  /**
   * A Dubbo {@code Request} or {@code Response} of the {@code EchoService} as Dubbo's own codec
   * writes it (hessian2); {@code payloadChars} sizes the buffer.
   */
  public static byte[] encode(Object message, int payloadChars) {
    FrameworkModel framework = new FrameworkModel();
    try {
      URL url = URL.valueOf("dubbo://127.0.0.1:20880/" + EchoService.class.getName()
          + "?serialization=hessian2").setScopeModel(framework.newApplication());
      ChannelBuffer out = ChannelBuffers.dynamicBuffer(256 + payloadChars * 2);
      new DubboCodec(framework).encode(channel(url), out, message);
      byte[] frame = new byte[out.readableBytes()];
      out.readBytes(frame);
      return frame;
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot encode the Dubbo " + message.getClass().getSimpleName(), e);
    } finally {
      framework.destroy();
    }
  }

  /** The least of a Dubbo {@link Channel} that the codec reads when it encodes: its URL. */
  private static Channel channel(URL url) {
    InetSocketAddress address = new InetSocketAddress("127.0.0.1", url.getPort());
    InvocationHandler handler = (proxy, method, args) -> {
      switch (method.getName()) {
        case "getUrl":
          return url;
        case "getRemoteAddress":
        case "getLocalAddress":
          return address;
        case "isConnected":
          return true;
        case "hashCode":
          return System.identityHashCode(proxy);
        case "equals":
          return proxy == args[0];
        case "toString":
          return "bench-encoder-channel";
        default:
          Class<?> type = method.getReturnType();
          if (type == boolean.class) {
            return false;
          }
          return null;
      }
    };
    return (Channel) Proxy.newProxyInstance(RequestFrames.class.getClassLoader(),
        new Class<?>[] {Channel.class}, handler);
  }
}
