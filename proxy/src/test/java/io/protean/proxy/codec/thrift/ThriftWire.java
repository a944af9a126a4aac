package io.protean.proxy.codec.thrift;

import io.protean.proxy.codec.thrift.gen.Echo;
import io.protean.proxy.codec.thrift.gen.EchoFailure;
import io.protean.proxy.codec.thrift.gen.Inner;
import io.protean.proxy.codec.thrift.gen.Payload;
import io.protean.proxy.codec.thrift.gen.Colour;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.protocol.TMultiplexedProtocol;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.transport.TMemoryBuffer;
import org.apache.thrift.transport.TIOStreamTransport;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.layered.TFramedTransport;

/**
 * One transport and protocol combination, with libthrift's own classes producing and reading the
 * bytes: generated {@link Echo.Client}s write calls, a generated {@link Echo.Processor} answers them.
 */
enum ThriftWire {
  BINARY_FRAMED(false, true, true),
  BINARY_UNFRAMED(false, false, true),
  /** TBinaryProtocol with strictWrite=false: the old header (name, type, seq id). */
  OLD_BINARY_FRAMED(false, true, false),
  COMPACT_FRAMED(true, true, true),
  COMPACT_UNFRAMED(true, false, true);

  final boolean compact;
  final boolean framed;
  final boolean strict;

  ThriftWire(boolean compact, boolean framed, boolean strict) {
    this.compact = compact;
    this.framed = framed;
    this.strict = strict;
  }

  interface ClientCall {
    void send(Echo.Client client) throws Exception;
  }

  TProtocol protocol(TTransport t) throws Exception {
    TTransport transport = framed ? new TFramedTransport(t) : t;
    return compact ? new TCompactProtocol(transport) : new TBinaryProtocol(transport, false, strict);
  }

  /** A client's call as bytes; {@code service} non-null makes it multiplexed. */
  byte[] call(String service, ClientCall call) throws Exception {
    TMemoryBuffer out = new TMemoryBuffer(64);
    TProtocol p = protocol(out);
    call.send(new Echo.Client(service == null ? p : new TMultiplexedProtocol(p, service)));
    return Arrays.copyOf(out.getArray(), out.length());
  }

  byte[] call(ClientCall call) throws Exception {
    return call(null, call);
  }

  /** The processor's answer to {@code request}. */
  byte[] answer(byte[] request) throws Exception {
    TMemoryBuffer out = new TMemoryBuffer(64);
    new Echo.Processor<>(HANDLER).process(protocol(input(request)), protocol(out));
    return Arrays.copyOf(out.getArray(), out.length());
  }

  /** A reader of {@code bytes} in this wire's transport and protocol. */
  TProtocol reader(byte[] bytes) throws Exception {
    return protocol(input(bytes));
  }

  /**
   * A stream over {@code bytes}. Not TMemoryInputTransport: under TFramedTransport it counts the
   * frame length against a message size limit of exactly the buffer's length, and fails.
   */
  private static TTransport input(byte[] bytes) throws Exception {
    return new TIOStreamTransport(new ByteArrayInputStream(bytes));
  }

  /** A payload with every Thrift type, nested {@code depth} levels deep through {@link Inner}. */
  static Payload payload(int depth) {
    Inner inner = new Inner(1, List.of());
    for (int i = 2; i <= depth; i++) {
      inner = new Inner(i, List.of(inner));
    }
    inner.setLabel("root");
    return new Payload(true, (byte) -3, (short) 300, 70_000, 1L << 40, 0.25, "text \u00e9 text",
        ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 0xff}), List.of("a", "bb", ""),
        Map.of("x", 1, "y", -1), Set.of(1L, -2L, 1L << 50), inner,
        Map.of(7, List.of(new Inner(8, List.of()), new Inner(9, List.of()))), Colour.GREEN,
        List.of(true, false, true));
  }

  /** Echoes; {@code fail(code)} throws the declared exception, or a runtime one for code < 0. */
  static final Echo.Iface HANDLER = new Echo.Iface() {
    @Override
    public String echo(String text) {
      return text;
    }

    @Override
    public int add(int a, int b) {
      return a + b;
    }

    @Override
    public void note(String text) {}

    @Override
    public String fail(int code) throws EchoFailure {
      if (code < 0) {
        throw new IllegalStateException("undeclared failure " + code);
      }
      throw new EchoFailure(code, "failed with " + code);
    }

    @Override
    public Payload roundTrip(Payload payload) {
      return payload;
    }

    @Override
    public String slow(int millis) throws org.apache.thrift.TException {
      return "slept " + millis;
    }
  };
}
