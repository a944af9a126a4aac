package io.protean.proxy.codec.thrift;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.HealthCheck;
import java.util.List;
import java.util.Map;

/**
 * A Thrift call as a health check, like Envoy's contrib {@code ThriftHealthCheck}: the method
 * {@code method_name} called with no arguments (an empty args struct), and what its answer must be:
 * <ul>
 *   <li>{@code success} (default): a REPLY carrying the result (field 0) or nothing (a void method);
 *   <li>{@code reply}: any REPLY, a declared exception included (the server ran the handler);
 *   <li>{@code any}: any answer, a TApplicationException (an unknown method, say) included: the
 *       server is up and speaks Thrift.
 * </ul>
 * {@code transport} and {@code protocol} default to the codec's; a codec that detects them per
 * connection ({@code auto}) needs them given here, since the check speaks first.
 */
final class ThriftHealthCheck implements HealthCheck {
  enum Expect { SUCCESS, REPLY, ANY }

  private final String method;
  private final Expect expect;
  private final ThriftTransport transport;
  private final ThriftProtocol protocol;
  private final ThriftLimits limits;

  private ThriftHealthCheck(String method, Expect expect, ThriftTransport transport,
      ThriftProtocol protocol, ThriftLimits limits) {
    this.method = method;
    this.expect = expect;
    this.transport = transport;
    this.protocol = protocol;
    this.limits = limits;
  }

  /**
   * @param transport the codec's transport, or null when it detects it
   * @param protocol  the codec's protocol name, or null when it detects it
   * @throws IllegalArgumentException naming the option
   */
  static ThriftHealthCheck of(Map<String, Object> options, ThriftTransport transport,
      String protocol, ThriftLimits limits) {
    String method = null;
    Expect expect = Expect.SUCCESS;
    for (Map.Entry<String, Object> e : options.entrySet()) {
      switch (e.getKey()) {
        case "method_name" -> {
          if (!(e.getValue() instanceof String s) || s.isEmpty()) {
            throw new IllegalArgumentException("method_name: expected a method name, found '"
                + e.getValue() + "'");
          }
          method = s;
        }
        case "expect" -> expect = Expect.valueOf(choice("expect", e.getValue(),
            List.of("success", "reply", "any")).toUpperCase(java.util.Locale.ROOT));
        case "transport" -> transport = ThriftTransport.valueOf(choice("transport", e.getValue(),
            List.of("framed", "unframed", "header")).toUpperCase(java.util.Locale.ROOT));
        case "protocol" -> protocol = choice("protocol", e.getValue(), List.of("binary", "compact"));
        default -> throw new IllegalArgumentException(e.getKey()
            + ": unknown option (expected method_name, expect, transport or protocol)");
      }
    }
    if (method == null) {
      throw new IllegalArgumentException("method_name: required (the method the check calls with"
          + " no arguments)");
    }
    if (transport == null) {
      throw new IllegalArgumentException("transport: required, since the codec detects its"
          + " transport per connection (framed, unframed or header)");
    }
    if (protocol == null) {
      throw new IllegalArgumentException("protocol: required, since the codec detects its"
          + " protocol per connection (binary or compact)");
    }
    return new ThriftHealthCheck(method, expect, transport,
        protocol.equals("binary") ? BinaryProtocol.STRICT : CompactProtocol.INSTANCE, limits);
  }

  private static String choice(String option, Object value, List<String> allowed) {
    if (!(value instanceof String s) || !allowed.contains(s)) {
      throw new IllegalArgumentException(option + ": expected one of " + String.join(", ", allowed)
          + ", found '" + value + "'");
    }
    return s;
  }

  @Override
  public ByteBuf request(long id, ByteBufAllocator alloc) {
    ByteBuf out = alloc.buffer(32 + method.length());
    int mark = transport.beginFrame(out, protocol, (int) id);
    protocol.writeCall(out, method, (int) id);
    transport.endFrame(out, mark);
    return out;
  }

  @Override
  public boolean passes(Frame answer) {
    String type = answer.metadata().get("message_type");
    if (expect == Expect.ANY) {
      return "reply".equals(type) || "exception".equals(type);
    }
    if (!"reply".equals(type)) {
      return false;
    }
    if (expect == Expect.REPLY) {
      return true;
    }
    ByteBuf in = answer.content();
    int start = in.readerIndex();
    int end = in.writerIndex();
    int message = start + transport.messageOffset(in);
    ThriftReader r = new ThriftReader(in, start, message, end, true, limits);
    protocol.readMessageBegin(r);
    int field = protocol.readFirstFieldId(r);
    return field <= 0; // the result, or a void method's empty struct; >0 is a declared exception
  }
}
