package io.protean.wasm.codec;

import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Metadata;
import io.protean.abi.codec.ResponseClass;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.guest.GuestFunction;
import io.protean.wasm.guest.GuestInstance;
import io.protean.wasm.guest.GuestMemory;
import io.protean.wasm.guest.GuestModule;
import io.protean.wasm.guest.GuestTrap;
import io.protean.wasm.module.ModuleMetrics;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One codec module instance on one event loop, speaking the codec ABI v1 (wasm-abi/ABI.md): the
 * input buffer, the calls, and the checked reading of result blocks. Every guest-supplied pointer
 * and length is validated; a violation is a {@link GuestTrap} (INVALID_RESULT).
 */
final class CodecGuest implements AutoCloseable {
  /** Optional marker export: the module's encode also re-encodes responses with a mutation. */
  static final String ENCODES_RESPONSES = "protean_codec_encodes_responses";
  /** Optional export: builds the protocol's health-check (heartbeat) request. */
  static final String HEALTH_CHECK_REQUEST = "protean_codec_health_check_request";
  static final List<String> REQUIRED_EXPORTS = List.of("protean_codec_abi_v1", "protean_codec_input",
      "protean_codec_init", "protean_codec_decode", "protean_codec_encode",
      "protean_codec_error_reply", "protean_codec_heartbeat_reply");
  static final int FRAME = 0;
  static final int NEED_MORE_DATA = 1;
  static final int ERROR = 2;
  static final int OUT_OK = 0;
  static final int OUT_NO_REPLY = 1;
  private static final MessageType[] TYPES = {
    MessageType.REQUEST, MessageType.RESPONSE, MessageType.ONEWAY, MessageType.HEARTBEAT,
    MessageType.ERROR, MessageType.EVENT, MessageType.STREAM_INIT, MessageType.STREAM_DATA,
    MessageType.STREAM_CLOSE
  };
  /** The decode block's response_class byte (ABI.md); 0, what older modules write, is unknown. */
  private static final ResponseClass[] CLASSES = {
    ResponseClass.UNKNOWN, ResponseClass.SUCCESS, ResponseClass.APPLICATION_EXCEPTION,
    ResponseClass.REQUEST_REJECTED, ResponseClass.SERVER_ERROR, ResponseClass.SERVER_TIMEOUT,
    ResponseClass.OVERLOADED
  };

  private final String name;
  private final WasmLimits limits;
  private final GuestInstance instance;
  private final GuestMemory memory;
  private final GuestFunction input;
  private final GuestFunction decode;
  private final GuestFunction encode;
  private final GuestFunction errorReply;
  private final GuestFunction heartbeatReply;
  private final GuestFunction connectionClosed;
  private final GuestFunction healthCheckRequest;
  private int inputPtr;
  private int inputCapacity;
  private byte[] scratch = new byte[4096];
  /** The connection whose bytes are in the input buffer, or null. */
  Object inputOwner;
  boolean dead;
  private boolean closed;
  /** Where this instance is counted; null for a throw-away instance that validates a module. */
  private final ModuleMetrics metrics;
  /** The module this instance was made from (a reload makes a new one). */
  final GuestModule module;

  // The last decode result (one guest call per frame, so one result at a time).
  int status;
  int n;
  MessageType type;
  int idWidth;
  int idOffset;
  long requestId;
  String responseStatus;
  ResponseClass responseClass;
  /** The decode block's flags byte, bit 0: a request the guest frames but cannot read. */
  boolean unreadable;
  Metadata metadata;
  String errorMessage;

  /**
   * @param metrics where a serving instance is counted from creation to close; null for a
   *                throw-away one
   */
  CodecGuest(GuestModule module, byte[] config, ModuleMetrics metrics) {
    this.module = module;
    this.metrics = metrics;
    this.name = module.name();
    this.limits = module.limits();
    this.instance = module.instantiate(HostImports.forCodec(module));
    try {
      this.memory = instance.memory();
      this.input = instance.function("protean_codec_input");
      this.decode = instance.function("protean_codec_decode");
      this.encode = instance.function("protean_codec_encode");
      this.errorReply = instance.function("protean_codec_error_reply");
      this.heartbeatReply = instance.function("protean_codec_heartbeat_reply");
      this.connectionClosed = instance.function("protean_codec_connection_closed");
      this.healthCheckRequest = module.exportedFunctions().contains(HEALTH_CHECK_REQUEST)
          ? instance.function(HEALTH_CHECK_REQUEST) : null;
      int at = ensureInput(Math.max(config.length, 1));
      memory.write(at, config, 0, config.length);
      long rc = instance.function("protean_codec_init").call(config.length)[0];
      if ((int) rc != 0) {
        throw new IllegalArgumentException(name + ": protean_codec_init returned " + (int) rc);
      }
      instance.started();
    } catch (RuntimeException e) {
      instance.close();
      throw e;
    }
    if (metrics != null) {
      metrics.instanceCreated();
    }
  }

  /** The input buffer address, with room for at least {@code size} bytes. */
  int ensureInput(int size) {
    if (size > inputCapacity) {
      int ptr = (int) input.call(size)[0];
      check(ptr, size, "input buffer");
      inputPtr = ptr;
      inputCapacity = size;
      inputOwner = null; // a new buffer: nothing cached in it
    }
    return inputPtr;
  }

  /** Copies bytes into the input buffer at {@code offset} (capacity must already suffice). */
  void writeInput(int offset, io.netty.buffer.ByteBuf from, int index, int length) {
    if (from.hasArray()) {
      memory.write(inputPtr + offset, from.array(), from.arrayOffset() + index, length);
      return;
    }
    if (scratch.length < length) {
      scratch = new byte[Math.max(length, scratch.length * 2)];
    }
    from.getBytes(index, scratch, 0, length);
    memory.write(inputPtr + offset, scratch, 0, length);
  }

  void writeInput(int offset, byte[] bytes) {
    writeInput(offset, bytes, 0, bytes.length);
  }

  void writeInput(int offset, byte[] bytes, int from, int length) {
    memory.write(inputPtr + offset, bytes, from, length);
  }

  /** Calls decode and reads its block into this object's result fields. */
  void decode(int conn, int offset, int len) {
    ByteBuffer b = block(decode.call(conn, offset, len)[0]);
    status = b.getInt(4);
    n = b.getInt(8);
    metadata = null;
    switch (status) {
      case NEED_MORE_DATA -> {
        if (n != 0 && n <= len) {
          throw invalid("NEED_MORE_DATA asks for " + n + " bytes but " + len + " are there");
        }
      }
      case ERROR -> errorMessage = string(b, 12, n, "error message");
      case FRAME -> readFrame(b, len);
      default -> throw invalid("unknown decode status " + status);
    }
  }

  private void readFrame(ByteBuffer b, int len) {
    if (n < 1 || n > len) {
      throw invalid("frame of " + n + " bytes from " + len + " available");
    }
    need(b, 28, "frame header");
    int t = b.get(12) & 0xff;
    if (t >= TYPES.length) {
      throw invalid("unknown message type " + t);
    }
    type = TYPES[t];
    idWidth = b.get(13) & 0xff;
    idOffset = b.getInt(16);
    if (idWidth != 0 && idWidth != 4 && idWidth != 8 || idWidth != 0 && (idOffset < 0 || idOffset > n - idWidth)) {
      throw invalid("request id at " + idOffset + "+" + idWidth + " outside the " + n + "-byte frame");
    }
    int c = b.get(14) & 0xff;
    // A value a later ABI may add is "unknown" here, not an error.
    responseClass = c < CLASSES.length ? CLASSES[c] : ResponseClass.UNKNOWN;
    unreadable = (b.get(15) & 1) != 0;
    requestId = b.getLong(20);
    int p = 28;
    int statusLen = length(b, p, "status");
    responseStatus = statusLen == 0 ? null : string(b, p + 4, statusLen, "status");
    p += 4 + statusLen;
    need(b, p + 4, "pair count");
    int pairs = b.getInt(p);
    p += 4;
    if (pairs < 0 || pairs > limits.maxPairs()) {
      throw invalid(Integer.toUnsignedString(pairs) + " metadata pairs (limit " + limits.maxPairs() + ")");
    }
    metadata = new Metadata(pairs);
    for (int i = 0; i < pairs; i++) {
      int kl = length(b, p, "key");
      String key = string(b, p + 4, kl, "key");
      p += 4 + kl;
      int vl = length(b, p, "value");
      String value = string(b, p + 4, vl, "value");
      p += 4 + vl;
      metadata.put(key, value);
    }
  }

  /**
   * Calls an output-producing export and returns the data, or null for NO_REPLY.
   *
   * @throws io.protean.abi.codec.CodecException when the guest reports an error
   */
  byte[] output(GuestFunction f, long... args) {
    ByteBuffer b = block(f.call(args)[0]);
    int st = b.getInt(4);
    int len = b.getInt(8);
    need(b, 12 + (long) len, "output data");
    return switch (st) {
      case OUT_OK -> {
        byte[] data = new byte[len];
        b.get(12, data);
        yield data;
      }
      case OUT_NO_REPLY -> null;
      case 2 -> throw new io.protean.abi.codec.CodecException(name + ": " + string(b, 12, len, "message"));
      default -> throw invalid("unknown output status " + st);
    };
  }

  /** The guest's current linear memory size in bytes. */
  long memoryBytes() {
    return memory.size();
  }

  GuestFunction encodeFn() {
    return encode;
  }

  GuestFunction errorReplyFn() {
    return errorReply;
  }

  GuestFunction heartbeatReplyFn() {
    return heartbeatReply;
  }

  /** The optional health-check export, or null when the module has none. */
  GuestFunction healthCheckRequestFn() {
    return healthCheckRequest;
  }

  void connectionClosed(int conn) {
    if (connectionClosed != null && !dead) {
      connectionClosed.call(conn);
    }
  }

  /** Reads a whole block in one go after checking its pointer and length. */
  private ByteBuffer block(long ptrValue) {
    int ptr = (int) ptrValue;
    check(ptr, 12, "result block");
    int blockLen = memory.readInt(ptr);
    if (blockLen < 12 || blockLen > limits.maxBlockBytes()) {
      throw invalid("result block length " + Integer.toUnsignedString(blockLen));
    }
    check(ptr, blockLen, "result block");
    return ByteBuffer.wrap(memory.read(ptr, blockLen)).order(ByteOrder.LITTLE_ENDIAN);
  }

  private int length(ByteBuffer b, int at, String what) {
    need(b, at + 4L, what + " length");
    int len = b.getInt(at);
    if (len < 0 || len > limits.maxStringBytes()) {
      throw invalid(what + " of " + Integer.toUnsignedString(len) + " bytes (limit "
          + limits.maxStringBytes() + ")");
    }
    need(b, at + 4L + len, what);
    return len;
  }

  private String string(ByteBuffer b, int at, int len, String what) {
    if (len < 0) {
      throw invalid(what + " length " + len);
    }
    need(b, (long) at + len, what);
    return new String(b.array(), at, len, StandardCharsets.UTF_8);
  }

  private void need(ByteBuffer b, long end, String what) {
    if (end > b.capacity()) {
      throw invalid(what + " runs past the end of its " + b.capacity() + "-byte block");
    }
  }

  private void check(int ptr, int len, String what) {
    long size = memory.size();
    long p = Integer.toUnsignedLong(ptr);
    if (len < 0 || p + len > size) {
      throw invalid(what + " at " + p + "+" + len + " lies outside guest memory (" + size + " bytes)");
    }
  }

  private GuestTrap invalid(String problem) {
    return new GuestTrap(GuestTrap.Reason.INVALID_RESULT, name + ": invalid result: " + problem, null);
  }

  /** Ends the instance; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    instance.close();
    if (metrics != null) {
      metrics.instanceClosed();
    }
  }
}
