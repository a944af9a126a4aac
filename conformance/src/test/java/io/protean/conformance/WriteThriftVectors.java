package io.protean.conformance;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.protean.abi.codec.Frame;
import io.protean.proxy.codec.CodecRegistry;
import io.protean.proxy.config.model.ProxyConfig.CodecConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TList;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.protocol.TStruct;
import org.apache.thrift.protocol.TType;
import org.apache.thrift.transport.TMemoryBuffer;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.layered.TFramedTransport;

/**
 * Regenerates conformance/vectors/thrift/TRANSPORT-PROTOCOL/libthrift-*.yaml: messages written by Apache Thrift's own
 * library (libthrift 0.20.0) in every transport and protocol. The expected outcome written is what
 * the native codec decodes; review the diff when regenerating.
 *
 * <pre>conformance/write-thrift-vectors.sh</pre>
 */
public final class WriteThriftVectors {
  private WriteThriftVectors() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "conformance/vectors/thrift");
    Files.createDirectories(dir);
    for (boolean framed : new boolean[] {true, false}) {
      for (boolean compact : new boolean[] {false, true}) {
        String kind = (framed ? "framed-" : "unframed-") + (compact ? "compact" : "binary");
        // A Thrift connection keeps the transport and protocol of its first message: one directory
        // per combination, so the suite's coalesced check feeds a consistent stream.
        Path sub = dir.resolve(kind);
        Files.createDirectories(sub);
        write(sub, "libthrift-" + kind + "-call", message(framed, compact, "getUser", TMessageType.CALL, 7),
            "a call written by libthrift 0.20.0 (" + kind + ")");
        write(sub, "libthrift-" + kind + "-multiplexed-call",
            message(framed, compact, "Calc:add", TMessageType.CALL, 8),
            "a TMultiplexedProtocol call (service Calc) written by libthrift 0.20.0 (" + kind + ")");
        write(sub, "libthrift-" + kind + "-oneway", message(framed, compact, "log", TMessageType.ONEWAY, 9),
            "a one-way call written by libthrift 0.20.0 (" + kind + ")");
        write(sub, "libthrift-" + kind + "-reply", message(framed, compact, "getUser", TMessageType.REPLY, 7),
            "a reply written by libthrift 0.20.0 (" + kind + ")");
        write(sub, "libthrift-" + kind + "-exception",
            message(framed, compact, "getUser", TMessageType.EXCEPTION, 7),
            "an exception message written by libthrift 0.20.0 (" + kind + ")");
      }
    }
  }

  private static byte[] message(boolean framed, boolean compact, String name, byte type, int seq) throws Exception {
    TMemoryBuffer memory = new TMemoryBuffer(256);
    TTransport t = framed ? new TFramedTransport(memory) : memory;
    TProtocol p = compact ? new TCompactProtocol(t) : new TBinaryProtocol(t);
    p.writeMessageBegin(new TMessage(name, type, seq));
    p.writeStructBegin(new TStruct("args"));
    p.writeFieldBegin(new TField("text", TType.STRING, (short) 1));
    p.writeString("h\u00e9llo");
    p.writeFieldEnd();
    p.writeFieldBegin(new TField("ids", TType.LIST, (short) 2));
    p.writeListBegin(new TList(TType.I64, 3));
    p.writeI64(1);
    p.writeI64(-2);
    p.writeI64(1L << 40);
    p.writeListEnd();
    p.writeFieldEnd();
    p.writeFieldBegin(new TField("flag", TType.BOOL, (short) 40));
    p.writeBool(false);
    p.writeFieldEnd();
    p.writeFieldStop();
    p.writeStructEnd();
    p.writeMessageEnd();
    t.flush();
    byte[] out = new byte[memory.length()];
    System.arraycopy(memory.getArray(), 0, out, 0, out.length);
    return out;
  }

  private static void write(Path dir, String name, byte[] bytes, String description) throws Exception {
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    Frame f = new CodecRegistry().create(new CodecConfig("thrift", Map.of()), "codec").newCodec().decode(in);
    StringBuilder y = new StringBuilder();
    y.append("description: ").append(description).append('\n');
    y.append("input_hex: ").append(HexFormat.of().formatHex(bytes)).append('\n');
    y.append("expect:\n  type: ").append(f.type()).append("\n  request_id: ").append(f.requestId()).append('\n');
    if (f.responseStatus() != null) {
      y.append("  status: ").append(f.responseStatus()).append('\n');
    }
    y.append("  metadata:\n");
    new TreeMap<>(f.metadata().toMap()).forEach((k, v) -> y.append("    \"").append(k).append("\": \"")
        .append(v).append("\"\n"));
    if (f.type().name().equals("REQUEST") || f.type().name().equals("ONEWAY")) {
      y.append("error_reply: ROUTE_NOT_FOUND\n");
    }
    f.release();
    in.release();
    Files.writeString(dir.resolve(name + ".yaml"), y);
  }
}
