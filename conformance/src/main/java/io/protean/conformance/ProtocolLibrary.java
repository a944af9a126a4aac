package io.protean.conformance;

import com.alibaba.com.caucho.hessian.io.Hessian2Input;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import org.apache.dubbo.remoting.exchange.Response;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.transport.TMemoryInputTransport;

/**
 * Reads a codec's error reply with the protocol's own library — what a real client would do — for
 * the protocols whose library the suite carries (Dubbo: its hessian-lite; Thrift: libthrift).
 */
interface ProtocolLibrary {

  /** The library's name, for failure messages. */
  String name();

  /**
   * Reads {@code reply}, the codec's answer to {@code request} for {@code error} with the message
   * {@code message}; throws an {@link AssertionError} with the reason when a client would not
   * accept it.
   */
  void checkErrorReply(byte[] reply, Frame request, ErrorType error, String message) throws Exception;

  /** The library for a vector directory ({@code dubbo}, {@code thrift/framed-binary}...), or null. */
  static ProtocolLibrary forVectors(String vectors) {
    String protocol = vectors.replace('\\', '/').split("/")[0];
    return switch (protocol) {
      case "dubbo" -> new Dubbo();
      case "thrift" -> new Thrift();
      default -> null;
    };
  }

  private static void require(boolean ok, String why) {
    if (!ok) {
      throw new AssertionError(why);
    }
  }

  /** Dubbo's exchange header, then the error message as hessian2 (Dubbo's own hessian-lite). */
  final class Dubbo implements ProtocolLibrary {
    @Override
    public String name() {
      return "dubbo hessian-lite";
    }

    /** The status a Dubbo consumer should see for each proxy error. */
    static byte status(ErrorType error) {
      return switch (error) {
        case ROUTE_NOT_FOUND, CLUSTER_NOT_FOUND -> Response.SERVICE_NOT_FOUND;
        case NO_HEALTHY_UPSTREAM, UPSTREAM_CONNECT_FAILURE, UPSTREAM_RESET -> Response.SERVICE_ERROR;
        case TIMEOUT -> Response.SERVER_TIMEOUT;
        case OVERLOADED, RATE_LIMITED -> Response.SERVER_THREADPOOL_EXHAUSTED_ERROR;
        case CODEC_FAILURE, PERMISSION_DENIED -> Response.BAD_REQUEST;
        case LOCAL_REPLY, INTERNAL -> Response.SERVER_ERROR;
      };
    }

    @Override
    public void checkErrorReply(byte[] reply, Frame request, ErrorType error, String message)
        throws Exception {
      require(reply.length >= 16, "a Dubbo reply has a 16-byte header; this one has " + reply.length + " bytes");
      ByteBuffer h = ByteBuffer.wrap(reply);
      require(h.getShort(0) == (short) 0xdabb, "no Dubbo magic 0xdabb");
      int flag = reply[2] & 0xff;
      require((flag & 0x80) == 0, "the reply is flagged as a request");
      require((flag & 0x1f) == 2, "the reply's serialization is " + (flag & 0x1f) + ", not hessian2 (2)");
      require(reply[3] == status(error), "status " + reply[3] + " for " + error + ", a Dubbo consumer expects "
          + status(error));
      require(h.getLong(4) == request.requestId(), "the reply has id " + h.getLong(4) + ", the request "
          + request.requestId());
      require(h.getInt(12) == reply.length - 16, "the body length says " + h.getInt(12) + ", the body has "
          + (reply.length - 16) + " bytes");
      Hessian2Input in = new Hessian2Input(new ByteArrayInputStream(reply, 16, reply.length - 16));
      String text = in.readString();
      require(text != null && text.contains(message), "hessian2 reads the error message as '" + text
          + "', not containing '" + message + "'");
    }
  }

  /**
   * A TApplicationException message, read by libthrift in the reply's own transport and protocol
   * (THeader's envelope, which libthrift does not read, is checked here).
   */
  final class Thrift implements ProtocolLibrary {
    @Override
    public String name() {
      return "libthrift";
    }

    static int type(ErrorType error) {
      return switch (error) {
        case ROUTE_NOT_FOUND, CLUSTER_NOT_FOUND -> TApplicationException.UNKNOWN_METHOD;
        case CODEC_FAILURE -> TApplicationException.PROTOCOL_ERROR;
        default -> TApplicationException.INTERNAL_ERROR;
      };
    }

    @Override
    public void checkErrorReply(byte[] reply, Frame request, ErrorType error, String message)
        throws Exception {
      require(reply.length >= 4, "a " + reply.length + "-byte reply");
      int offset = 0;
      if (reply[0] != (byte) 0x80 && reply[0] != (byte) 0x82) {
        int length = ByteBuffer.wrap(reply).getInt(0);
        require(length == reply.length - 4, "the frame length says " + length + ", the frame has "
            + (reply.length - 4) + " bytes");
        offset = 4;
        if (reply.length >= 14 && ByteBuffer.wrap(reply).getShort(4) == 0x0fff) {
          // THeader, which libthrift does not read: its envelope is checked here, its message by
          // libthrift.
          ByteBuffer header = ByteBuffer.wrap(reply);
          require(header.getInt(8) == (int) request.requestId(), "THeader sequence number "
              + header.getInt(8) + ", the request's seq id is " + request.requestId());
          offset = 14 + (header.getShort(12) & 0xffff) * 4;
          require(offset < reply.length && reply[14] == (reply[offset] == (byte) 0x82 ? 2 : 0)
              && reply[15] == 0, "a THeader header naming its message's protocol, no transform");
        }
      }
      TMemoryInputTransport transport = new TMemoryInputTransport(reply, offset, reply.length - offset);
      TProtocol p = reply[offset] == (byte) 0x82 ? new TCompactProtocol(transport)
          : new TBinaryProtocol(transport, false, true);
      TMessage m = p.readMessageBegin();
      require(m.type == TMessageType.EXCEPTION, "message type " + m.type + ", not EXCEPTION (3)");
      require(m.seqid == (int) request.requestId(), "seq id " + m.seqid + ", the request's is "
          + request.requestId());
      String method = request.metadata().get("method");
      require(m.name.equals(method), "named '" + m.name + "', the request's method is '" + method + "'");
      TApplicationException x = TApplicationException.readFrom(p);
      p.readMessageEnd();
      require(x.getType() == type(error), "TApplicationException type " + x.getType() + " for " + error
          + ", expected " + type(error));
      require(message.equals(x.getMessage()), "the exception says '" + x.getMessage() + "', not '"
          + message + "'");
      require(transport.getBytesRemainingInBuffer() == 0, transport.getBytesRemainingInBuffer()
          + " bytes follow the exception");
    }
  }
}
