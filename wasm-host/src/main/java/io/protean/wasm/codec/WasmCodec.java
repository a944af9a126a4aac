package io.protean.wasm.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecException;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.Mutation;
import io.protean.wasm.guest.GuestTrap;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One connection's view of a Wasm codec: its connection id and its input cache. Decoding copies
 * the connection's buffered bytes into the guest once and then decodes frame after frame at
 * advancing offsets, one guest call per frame. {@link #close()} tells the instance that holds the
 * connection's state ({@code protean_codec_connection_closed}), so guest memory does not grow
 * with every connection the proxy has ever had.
 */
final class WasmCodec implements Codec {
  private final WasmCodecFactory factory;
  private final int conn;
  /** The event loop whose instance this connection uses; null until its first guest call. */
  private WasmCodecFactory.Loop loop;
  // What of our input buffer is already in guest memory: in's bytes [copiedStart, copiedEnd).
  private CodecGuest copiedInto;
  private ByteBuf copiedFrom;
  private int copiedStart;
  private int copiedEnd;
  /** Bytes the next frame needs (from the guest's NEED_MORE_DATA), 0 if unknown. */
  private int needed;
  /** The instance this connection last called: the one that may hold its state. */
  private CodecGuest called;
  private boolean closed;

  WasmCodec(WasmCodecFactory factory, int conn) {
    this.factory = factory;
    this.conn = conn;
  }

  @Override
  public void inputMoved() {
    copiedFrom = null;
  }

  @Override
  public Frame decode(ByteBuf in) {
    int r = in.readerIndex();
    int w = in.writerIndex();
    if (needed > 0 && w - r < needed) {
      return null; // the guest already said how much it needs: no call until it is here
    }
    CodecGuest g = guest();
    try {
      int offset = stage(g, in, r, w);
      g.decode(conn, offset, w - r);
    } catch (GuestTrap trap) {
      copiedFrom = null;
      throw factory.failed(g, trap);
    } finally {
      called(g);
    }
    switch (g.status) {
      case CodecGuest.NEED_MORE_DATA -> {
        needed = g.n;
        return null;
      }
      case CodecGuest.ERROR -> throw new CodecException(factory.moduleName() + ": " + g.errorMessage);
      default -> {
        needed = 0;
        Frame frame;
        if (g.unreadable) {
          // The status carries why (ABI.md: decode block flags).
          frame = new Frame(in.retainedSlice(r, g.n), g.type, g.requestId, g.metadata, null,
              g.idOffset, g.idWidth).unreadable(g.responseStatus == null
                  ? factory.moduleName() + " cannot read this request" : g.responseStatus);
        } else {
          frame = new Frame(in.retainedSlice(r, g.n), g.type, g.requestId, g.metadata,
              g.responseStatus, g.idOffset, g.idWidth).classified(g.responseClass);
        }
        in.skipBytes(g.n);
        return frame;
      }
    }
  }

  /** Makes in's bytes [r, w) available in the guest's input buffer; returns r's offset there. */
  private int stage(CodecGuest g, ByteBuf in, int r, int w) {
    if (g == copiedInto && g.inputOwner == this && in == copiedFrom
        && r >= copiedStart && r <= copiedEnd && w >= copiedEnd) {
      if (w == copiedEnd) {
        return r - copiedStart;
      }
      g.ensureInput(w - copiedStart);
      if (g.inputOwner == this) { // the buffer did not move: append only the new bytes
        g.writeInput(copiedEnd - copiedStart, in, copiedEnd, w - copiedEnd);
        copiedEnd = w;
        return r - copiedStart;
      }
    }
    g.ensureInput(w - r);
    g.writeInput(0, in, r, w - r);
    g.inputOwner = this;
    copiedInto = g;
    copiedFrom = in;
    copiedStart = r;
    copiedEnd = w;
    return 0;
  }

  @Override
  public ByteBuf encode(Frame frame, Mutation mutation, ByteBufAllocator alloc) {
    byte[] block = mutationBlock(mutation);
    return call(frame, block, (g, frameLen) -> g.output(g.encodeFn(), conn, frameLen, block.length), alloc);
  }

  @Override
  public ByteBuf errorReply(Frame request, ErrorType error, String message, ByteBufAllocator alloc) {
    byte[] text = message.getBytes(StandardCharsets.UTF_8);
    return call(request, text, (g, frameLen) ->
        g.output(g.errorReplyFn(), conn, frameLen, errorNumber(error), text.length), alloc);
  }

  @Override
  public ByteBuf heartbeatReply(Frame heartbeat, ByteBufAllocator alloc) {
    return call(heartbeat, new byte[0], (g, frameLen) -> g.output(g.heartbeatReplyFn(), conn, frameLen), alloc);
  }

  /**
   * The module's health-check request with request id {@code id}, built by
   * {@code protean_codec_health_check_request} from {@code options} (JSON); a new buffer owned by
   * the caller.
   *
   * @throws CodecException when the module has no such export, reports an error, or traps
   */
  ByteBuf healthCheckRequest(long id, byte[] options, ByteBufAllocator alloc) {
    CodecGuest g = guest();
    byte[] out;
    try {
      if (g.healthCheckRequestFn() == null) {
        throw new CodecException(factory.moduleName() + " does not export "
            + CodecGuest.HEALTH_CHECK_REQUEST + " (any more: a reload replaced the module)");
      }
      g.ensureInput(Math.max(options.length, 1));
      g.inputOwner = null; // overwrites the cached decode input
      g.writeInput(0, options);
      out = g.output(g.healthCheckRequestFn(), id, options.length);
    } catch (GuestTrap trap) {
      throw factory.failed(g, trap);
    } finally {
      called(g);
    }
    if (out == null || out.length == 0) {
      throw new CodecException(factory.moduleName() + " built an empty health-check request");
    }
    return alloc.buffer(out.length).writeBytes(out);
  }

  private interface OutputCall {
    byte[] apply(CodecGuest g, int frameLen);
  }

  /** Writes the frame (with the client's request id restored) and {@code extra} into the input. */
  private ByteBuf call(Frame frame, byte[] extra, OutputCall call, ByteBufAllocator alloc) {
    CodecGuest g = guest();
    ByteBuf bytes = frame.content();
    int len = bytes.readableBytes();
    byte[] out;
    try {
      g.ensureInput(len + extra.length);
      g.inputOwner = null; // these calls overwrite the cached decode input
      g.writeInput(0, bytes, bytes.readerIndex(), len);
      if (frame.idWidth() != 0) {
        // Forwarded bytes carry the upstream id; the guest must see the client's.
        byte[] id = java.nio.ByteBuffer.allocate(8).putLong(frame.requestId()).array();
        g.writeInput(frame.idOffset(), id, 8 - frame.idWidth(), frame.idWidth());
      }
      if (extra.length > 0) {
        g.writeInput(len, extra);
      }
      out = call.apply(g, len);
    } catch (GuestTrap trap) {
      throw factory.failed(g, trap);
    } finally {
      called(g);
    }
    return out == null ? null : alloc.buffer(out.length).writeBytes(out);
  }

  /** The instance to call: the current one of this connection's event loop. */
  private CodecGuest guest() {
    if (loop == null) {
      loop = factory.loop();
      loop.attach();
    } else if (closed) {
      loop.attach(); // a late call holds the loop's instance until it returns (called())
    }
    try {
      return loop.guest();
    } catch (RuntimeException e) {
      if (closed) {
        loop.detach();
      }
      throw e;
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      copiedFrom = null;
      forget();
      if (loop != null) {
        loop.detach(); // may close a released loop's instance: after forget(), never before
      }
    }
  }

  private void called(CodecGuest g) {
    called = g;
    if (closed) {
      forget(); // a call after close() (a late reply) leaves no state behind either
      loop.detach();
    }
  }

  /**
   * Tells the instance this connection last called that it is gone, if that instance is still
   * this loop's live one: a failed or replaced instance is closed already, and its successor
   * never saw the connection.
   */
  private void forget() {
    CodecGuest g = called;
    called = null;
    if (g == null || !loop.isCurrent(g)) {
      return;
    }
    try {
      g.connectionClosed(conn);
    } catch (GuestTrap trap) {
      factory.failed(g, trap); // counted and logged; the connection is closing anyway
    }
  }

  /** ABI.md error numbering. */
  static int errorNumber(ErrorType error) {
    return switch (error) {
      case ROUTE_NOT_FOUND -> 0;
      case CLUSTER_NOT_FOUND -> 1;
      case NO_HEALTHY_UPSTREAM -> 2;
      case UPSTREAM_CONNECT_FAILURE -> 3;
      case UPSTREAM_RESET -> 4;
      case TIMEOUT -> 5;
      case OVERLOADED -> 6;
      case RATE_LIMITED -> 7;
      case CODEC_FAILURE -> 8;
      case LOCAL_REPLY -> 9;
      case INTERNAL -> 10;
      case PERMISSION_DENIED -> 11;
    };
  }

  /** ABI.md mutation block: u32 count, then {u32 key_len, key, i32 value_len (-1 remove), value}. */
  static byte[] mutationBlock(Mutation m) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int count = m.sets().size() + m.removals().size();
    writeInt(out, count);
    for (int i = 0; i < m.removals().size(); i++) {
      byte[] k = m.removals().keyAt(i).getBytes(StandardCharsets.UTF_8);
      writeInt(out, k.length);
      out.writeBytes(k);
      writeInt(out, -1);
    }
    for (int i = 0; i < m.sets().size(); i++) {
      byte[] k = m.sets().keyAt(i).getBytes(StandardCharsets.UTF_8);
      byte[] v = m.sets().valueAt(i).getBytes(StandardCharsets.UTF_8);
      writeInt(out, k.length);
      out.writeBytes(k);
      writeInt(out, v.length);
      out.writeBytes(v);
    }
    return out.toByteArray();
  }

  private static void writeInt(ByteArrayOutputStream out, int v) {
    out.write(v);
    out.write(v >>> 8);
    out.write(v >>> 16);
    out.write(v >>> 24);
  }
}
