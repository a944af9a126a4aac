package io.protean.proxy.codec.dubbo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.FastThreadLocal;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Metadata;
import io.protean.abi.codec.Mutation;
import io.protean.abi.codec.RejectedRequestException;
import io.protean.abi.codec.ResponseClass;
import java.util.ArrayList;
import java.util.List;

/**
 * The Dubbo protocol codec, one per connection (the SPI's contract): its only state is a memo of
 * the last parameter types descriptor.
 *
 * <pre>
 * header (16 bytes, big-endian)
 *   0-1  magic 0xdabb
 *   2    flags: 0x80 request, 0x40 two-way, 0x20 event; low 5 bits serialization id (2 hessian2,
 *        23 fastjson2: each value a 4-byte length and a JSONB document, {@link JsonbReader})
 *   3    status (responses): 20 OK, 30/31 timeouts, 40 bad request, 60 service not found, ...
 *   4-11 request id
 *   12-15 body length
 * request body: dubbo version, service path, service version, method, parameter types
 *   descriptor, one value per parameter, attachments map
 * </pre>
 *
 * <p>A request in another serialization is framed but not read: it is marked
 * {@link Frame#unreadable} and the proxy answers it with BAD_REQUEST, keeping the connection.
 *
 * <pre>
 * </pre>
 *
 * <p>Request metadata: {@code interface}, {@code method}, {@code version} (the service version;
 * when the body has none, the {@code version} attachment), {@code dubbo} (protocol version), then
 * every attachment whose value is a string or scalar (group, timeout, custom keys), without
 * overriding the body's keys.
 *
 * <p>Response metadata: {@code event: true} for events; the attachments of an OK response of a
 * {@code *_WITH_ATTACHMENTS} type (Dubbo 2.0.2+ providers always send one, with at least
 * {@code dubbo}) only on demand ({@link #decodeResponseMetadata}, when a filter looks at the
 * response): they follow the value, and skipping the value costs with its size (CodecBenchmark:
 * decodeResponse against decodeResponseWithMetadata). A response body this codec cannot parse is
 * still forwarded, with no metadata.
 */
public final class DubboCodec implements Codec {
  static final int HEADER = 16;
  static final short MAGIC = (short) 0xdabb;
  static final int FLAG_REQUEST = 0x80;
  static final int FLAG_TWO_WAY = 0x40;
  static final int FLAG_EVENT = 0x20;
  static final int SERIALIZATION_MASK = 0x1f;
  static final int HESSIAN2 = DubboSerialization.HESSIAN2;
  static final int FASTJSON2 = DubboSerialization.FASTJSON2;
  static final byte OK = 20;
  /**
   * The first value of an OK response body (a hessian2 compact int, 0x90 + n): the response
   * carries an exception the service threw, without or with attachments (Dubbo's
   * RESPONSE_WITH_EXCEPTION 0 and RESPONSE_WITH_EXCEPTION_WITH_ATTACHMENTS 3).
   */
  private static final int WITH_EXCEPTION = 0x90;
  private static final int WITH_EXCEPTION_AND_ATTACHMENTS = 0x93;
  /** The 64-bit request id sits at bytes 4..11 of the header. */
  static final int ID_OFFSET = 4;
  static final int ID_WIDTH = 8;
  /** Response body types (a hessian2 int first in an OK response's body). */
  static final int RESPONSE_WITH_EXCEPTION = 0;
  static final int RESPONSE_NULL_VALUE = 2;
  static final int WITH_ATTACHMENTS = 3;
  static final int RESPONSE_NULL_VALUE_WITH_ATTACHMENTS = 5;
  /** Dubbo's Version.LOWEST_VERSION_FOR_RESPONSE_ATTACHMENT (2.0.2) and HIGHEST_PROTOCOL_VERSION. */
  private static final int FIRST_VERSION_WITH_RESPONSE_ATTACHMENTS = 2_00_02_00;
  private static final int LAST_PROTOCOL_VERSION = 2_00_99_00;

  /** Bodies up to this size are parsed from a reused per-thread copy; larger ones get their own. */
  private static final int SCRATCH_MAX = 64 << 10;
  private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
    @Override
    protected byte[] initialValue() {
      return new byte[4096];
    }
  };

  private final DubboLimits limits;
  /** The last parameter types descriptor parsed on this connection and its parameter count. */
  private String lastTypes;
  private int lastParams;

  public DubboCodec(DubboLimits limits) {
    this.limits = limits;
  }

  @Override
  public Frame decode(ByteBuf in) {
    int start = in.readerIndex();
    if (in.readableBytes() < 2) {
      checkMagic(in, start, in.readableBytes());
      return null;
    }
    checkMagic(in, start, 2);
    if (in.readableBytes() < HEADER) {
      return null;
    }
    int bodyLength = in.getInt(start + 12);
    int flags = in.getUnsignedByte(start + 2);
    boolean request = (flags & (FLAG_REQUEST | FLAG_EVENT)) == FLAG_REQUEST;
    if (bodyLength < 0 || bodyLength > limits.maxBodyBytes()) {
      String problem = "body length " + Integer.toUnsignedString(bodyLength)
          + " exceeds the limit of " + limits.maxBodyBytes() + " bytes";
      if (request && bodyLength > 0) {
        // The header says where the request ends: answer it and skip its body unbuffered.
        Frame rejected = rejected(flags, in.getLong(start + 4));
        in.skipBytes(HEADER);
        throw new RejectedRequestException(rejected, bodyLength, "dubbo: " + problem);
      }
      throw new DubboCodecException(problem);
    }
    if (in.readableBytes() < HEADER + bodyLength) {
      return null;
    }
    long id = in.getLong(start + 4);
    int bodyStart = start + HEADER;
    int bodyEnd = bodyStart + bodyLength;
    Frame frame;
    if ((flags & FLAG_REQUEST) == 0) {
      frame = response(in, flags, id, start);
    } else if (!request) {
      frame = event(in, flags, id, start, bodyStart, bodyEnd);
    } else {
      MessageType type = (flags & FLAG_TWO_WAY) != 0 ? MessageType.REQUEST : MessageType.ONEWAY;
      int serialization = flags & SERIALIZATION_MASK;
      boolean readable = DubboSerialization.readable(serialization);
      Metadata metadata;
      try {
        metadata = readable ? requestMetadata(in, flags, bodyStart, bodyEnd) : new Metadata(0);
      } catch (DubboCodecException e) {
        // A complete frame: only this request is bad, the stream is still in step.
        in.skipBytes(HEADER + bodyLength);
        throw new RejectedRequestException(rejected(flags, id), 0, e.getMessage());
      }
      frame = new Frame(in.retainedSlice(start, HEADER + bodyLength), type, id, metadata, null,
          ID_OFFSET, ID_WIDTH);
      if (!readable) {
        // The framing is Dubbo's whatever the body: answer the call, keep the connection.
        frame.unreadable(DubboSerialization.unsupported("request", serialization));
      }
    }
    in.skipBytes(HEADER + bodyLength);
    return frame;
  }

  @Override
  public Frame incompleteRequest(ByteBuf buffered) {
    int start = buffered.readerIndex();
    if (buffered.readableBytes() < HEADER || buffered.getShort(start) != MAGIC) {
      return null;
    }
    int flags = buffered.getUnsignedByte(start + 2);
    return (flags & (FLAG_REQUEST | FLAG_EVENT)) == FLAG_REQUEST
        ? rejected(flags, buffered.getLong(start + 4)) : null;
  }

  /** A request known by its header only, for {@link RejectedRequestException}. */
  private static Frame rejected(int flags, long id) {
    MessageType type = (flags & FLAG_TWO_WAY) != 0 ? MessageType.REQUEST : MessageType.ONEWAY;
    return new Frame(Unpooled.EMPTY_BUFFER, type, id, new Metadata(0), null, 0, 0);
  }

  private static void checkMagic(ByteBuf in, int start, int available) {
    if (available >= 1 && in.getUnsignedByte(start) != 0xda
        || available >= 2 && in.getUnsignedByte(start + 1) != 0xbb) {
      throw new DubboCodecException(String.format("expected magic 0xdabb, found 0x%02x%s",
          in.getUnsignedByte(start), available >= 2
              ? String.format("%02x", in.getUnsignedByte(start + 1)) : ""));
    }
  }

  private static Frame response(ByteBuf in, int flags, long id, int start) {
    int bodyLength = in.getInt(start + 12);
    int status = in.getUnsignedByte(start + 3);
    Metadata metadata = new Metadata(1);
    if ((flags & FLAG_EVENT) != 0) {
      metadata.put("event", "true");
    }
    return new Frame(in.retainedSlice(start, HEADER + bodyLength),
        status == OK ? MessageType.RESPONSE : MessageType.ERROR, id, metadata, DubboStatus.name(status),
        ID_OFFSET, ID_WIDTH);
  }

  private Frame event(ByteBuf in, int flags, long id, int start, int bodyStart, int bodyEnd) {
    Metadata metadata = new Metadata(1);
    MessageType type;
    if ((flags & FLAG_TWO_WAY) != 0) {
      type = MessageType.HEARTBEAT;
    } else {
      type = MessageType.EVENT;
      String data = null;
      if ((flags & SERIALIZATION_MASK) == HESSIAN2 && bodyEnd > bodyStart) {
        data = reader(in, bodyStart, bodyEnd, Hessian2Reader::new)
            .readScalarOrSkip("event data", limits.maxValueChars());
      } else if ((flags & SERIALIZATION_MASK) == FASTJSON2 && bodyEnd > bodyStart) {
        JsonbReader r = reader(in, bodyStart, bodyEnd, JsonbReader::new);
        r.beginValue("event data");
        data = r.readScalarOrSkip("event data", limits.maxValueChars());
      }
      metadata.put("event", data == null ? "unknown" : data);
    }
    return new Frame(in.retainedSlice(start, bodyEnd - start), type, id, metadata, null,
        ID_OFFSET, ID_WIDTH);
  }

  /**
   * A reader over the body: on the buffer's own array when it has one, else on one copy (Netty's
   * per-read checks would otherwise dominate the parse). Reader positions are array positions;
   * {@link #bufferIndex} maps them back.
   */
  private <R> R reader(ByteBuf in, int bodyStart, int bodyEnd, ReaderFactory<R> reader) {
    int len = bodyEnd - bodyStart;
    if (in.hasArray()) {
      int s = in.arrayOffset() + bodyStart;
      return reader.over(in.array(), s, s + len, limits);
    }
    byte[] copy = len <= SCRATCH_MAX ? SCRATCH.get() : new byte[len];
    if (copy.length < len) {
      copy = new byte[Math.max(len, copy.length * 2)];
      SCRATCH.set(copy);
    }
    in.getBytes(bodyStart, copy, 0, len);
    return reader.over(copy, 0, len, limits);
  }

  /** A reader of one serialization over a byte-array range (its constructor). */
  @FunctionalInterface
  private interface ReaderFactory<R> {
    R over(byte[] buf, int start, int end, DubboLimits limits);
  }

  /** The buffer index of a reader position ({@code readerStart} is where the body starts in the reader). */
  private static int bufferIndex(int readerPosition, int readerStart, int bodyStart) {
    return readerPosition - readerStart + bodyStart;
  }

  /**
   * Positions in a request body, found by {@link #parseRequest}. For fastjson2, also where the
   * attachments document's bytes before its first entry end ({@code mapHeadEnd}, -1 for none) and
   * whether its entries use symbols or references ({@code shared}: then none can be dropped).
   */
  private record Parsed(Metadata metadata, int attachmentsStart, List<int[]> entries,
      List<String> keys, int mapHeadEnd, boolean shared) {}

  private Metadata requestMetadata(ByteBuf in, int flags, int bodyStart, int bodyEnd) {
    return parseRequest(in, flags, bodyStart, bodyEnd, false).metadata;
  }

  /**
   * Parses a request body. With {@code spans}, also records where the attachments map starts and
   * the byte span and key of each entry (for re-encoding).
   */
  private Parsed parseRequest(ByteBuf in, int flags, int bodyStart, int bodyEnd, boolean spans) {
    int serialization = flags & SERIALIZATION_MASK;
    if (!DubboSerialization.readable(serialization)) {
      throw new DubboCodecException(DubboSerialization.unsupported("request", serialization));
    }
    RequestReader r = serialization == FASTJSON2 ? reader(in, bodyStart, bodyEnd, JsonbReader::new)
        : reader(in, bodyStart, bodyEnd, Hessian2Reader::new);
    int readerStart = r.position();
    int max = limits.maxValueChars();
    String dubboVersion = r.readText("the dubbo version", max);
    String service = r.readText("the service path", max);
    String version = r.readText("the service version", max);
    String method = r.readText("the method name", max);
    String types = r.readText("the parameter types", Integer.MAX_VALUE);
    if (service == null || method == null) {
      throw r.error("request without " + (service == null ? "service path" : "method name"));
    }
    Metadata m = callMetadata(dubboVersion, service, version, method);
    int params = parameterCount(types);
    if (params >= 2 && isGeneric(method, types)) {
      genericCall(m, r.readText("the generic call's method name", max),
          r.readTextList("the generic call's parameter types", max));
      params -= 2;
    }
    for (int i = 0; i < params; i++) {
      r.skipArgument();
    }
    int attachmentsStart = bufferIndex(r.position(), readerStart, bodyStart);
    List<int[]> entries = spans ? new ArrayList<>() : null;
    List<String> keys = spans ? new ArrayList<>() : null;
    int mapHeadEnd = -1;
    boolean shared = false;
    if (!r.atEnd()) {
      if (r instanceof JsonbReader j) {
        mapHeadEnd = readJsonbAttachments(j, m, entries, keys, "the attachments");
        mapHeadEnd = mapHeadEnd < 0 ? -1 : bufferIndex(mapHeadEnd, readerStart, bodyStart);
        shared = j.sawShared();
      } else {
        readAttachments((Hessian2Reader) r, m, entries, keys);
      }
    }
    if (entries != null) {
      for (int[] span : entries) {
        span[0] = bufferIndex(span[0], readerStart, bodyStart);
        span[1] = bufferIndex(span[1], readerStart, bodyStart);
      }
    }
    return new Parsed(m, attachmentsStart, entries, keys, mapHeadEnd, shared);
  }

  /** The metadata every request has, from the body's first strings. */
  private static Metadata callMetadata(String dubboVersion, String service, String version,
      String method) {
    Metadata m = new Metadata(8);
    m.put("interface", service);
    m.put("method", method);
    if (version != null && !version.isEmpty()) {
      m.put("version", version);
    }
    if (dubboVersion != null) {
      m.put("dubbo", dubboVersion);
    }
    return m;
  }

  /** Dubbo's generic invocation: GenericService.$invoke(String method, String[] types, Object[] args). */
  private static final String GENERIC_TYPES =
      "Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;";

  private static boolean isGeneric(String method, String types) {
    return ("$invoke".equals(method) || "$invokeAsync".equals(method))
        && GENERIC_TYPES.equals(types);
  }

  /**
   * A generic call is routed as the call it stands for: {@code method} is the real method (the
   * first argument), {@code parameter_types} its comma-separated Java type names (the second),
   * {@code generic: true} says so. A first argument that is no string keeps {@code $invoke}.
   */
  private static void genericCall(Metadata m, String method, List<String> types) {
    if (method == null) {
      return;
    }
    m.put("method", method);
    m.put("generic", "true");
    if (types != null) {
      m.put("parameter_types", String.join(",", types));
    }
  }

  /**
   * Reads a length-prefixed JSONB attachments map into {@code m} (or, with {@code entries}, the
   * span and key of each entry). Returns the reader position after the map's start, or -1 when
   * the map is null.
   */
  private int readJsonbAttachments(JsonbReader r, Metadata m, List<int[]> entries,
      List<String> keys, String what) {
    r.beginValue(what);
    if (!r.readMapStart(what)) {
      r.endValue(what);
      return -1;
    }
    int headEnd = r.position();
    int taken = 0;
    while (!r.atObjectEnd(what)) {
      int entryStart = r.position();
      String key = r.readName("an attachment key", limits.maxValueChars());
      if (entries != null) {
        r.skip(0);
        entries.add(new int[] {entryStart, r.position()});
        keys.add(key);
        continue;
      }
      String value = r.readScalarOrSkip("an attachment value", limits.maxValueChars());
      if (key != null && value != null && !m.contains(key) && taken < limits.maxMetadataKeys()) {
        m.put(key, value);
        taken++;
      }
    }
    r.endValue(what);
    return headEnd;
  }

  private void readAttachments(Hessian2Reader r, Metadata m, List<int[]> entries, List<String> keys) {
    int tag = r.peek();
    if (tag == 'N') {
      return;
    }
    if (tag != 'H' && tag != 'M') {
      throw r.error(String.format("expected the attachments map, found tag 0x%02x", tag));
    }
    r.readMapStart(tag);
    int taken = 0;
    while (r.peek() != 'Z') {
      int entryStart = r.position();
      String key = r.readScalarOrSkip("an attachment key", limits.maxValueChars());
      if (entries != null) {
        // Re-encoding needs the keys and where each entry lies, not the values: making their
        // strings again was most of a set_metadata request's re-encode (async-profiler).
        r.skip(0);
        entries.add(new int[] {entryStart, r.position()});
        keys.add(key);
        continue;
      }
      String value = r.readScalarOrSkip("an attachment value", limits.maxValueChars());
      if (key != null && value != null && !m.contains(key) && taken < limits.maxMetadataKeys()) {
        m.put(key, value);
        taken++;
      }
    }
  }

  /** Where the parts of an OK response body sit (buffer indexes), for re-encoding. */
  private static final class ResponseBody {
    int type;
    int valueStart;
    int valueEnd;
    final List<int[]> entries = new ArrayList<>();
    final List<String> keys = new ArrayList<>();
    /** fastjson2: as in {@link Parsed}. */
    int mapHeadEnd = -1;
    boolean shared;
  }

  /**
   * Adds an OK response's attachments to its metadata; none when the body does not parse: the
   * client, not the proxy, is the judge of a response (a re-encode of it then fails and the
   * response goes unchanged).
   */
  @Override
  public void decodeResponseMetadata(Frame response) {
    ByteBuf in = response.content();
    int start = in.readerIndex();
    int flags = in.getUnsignedByte(start + 2);
    int bodyLength = in.getInt(start + 12);
    if ((flags & (FLAG_REQUEST | FLAG_EVENT)) != 0 || in.getUnsignedByte(start + 3) != OK
        || !DubboSerialization.readable(flags & SERIALIZATION_MASK) || bodyLength <= 0) {
      return;
    }
    Metadata attachments;
    try {
      attachments = parseResponse(in, flags & SERIALIZATION_MASK, start + HEADER,
          start + HEADER + bodyLength, null);
    } catch (DubboCodecException e) {
      return;
    }
    Metadata m = response.metadata();
    attachments.forEach((k, v) -> {
      if (!m.contains(k)) {
        m.put(k, v);
      }
    });
  }

  /**
   * Parses an OK hessian2 or fastjson2 response body: the type, the value or exception (skipped), the
   * attachments map for the {@code *_WITH_ATTACHMENTS} types. With {@code body}, also records
   * where each part sits.
   */
  private Metadata parseResponse(ByteBuf in, int serialization, int bodyStart, int bodyEnd,
      ResponseBody body) {
    RequestReader r = serialization == FASTJSON2 ? reader(in, bodyStart, bodyEnd, JsonbReader::new)
        : reader(in, bodyStart, bodyEnd, Hessian2Reader::new);
    int readerStart = r.position();
    long type = r instanceof JsonbReader j ? j.readIntegerValue("the response type")
        : ((Hessian2Reader) r).readInt("the response type");
    if (type < RESPONSE_WITH_EXCEPTION || type > RESPONSE_NULL_VALUE_WITH_ATTACHMENTS) {
      throw r.error("unknown response type " + type);
    }
    int valueStart = r.position();
    if (type != RESPONSE_NULL_VALUE && type != RESPONSE_NULL_VALUE_WITH_ATTACHMENTS) {
      r.skipArgument();
    }
    int valueEnd = r.position();
    Metadata m = new Metadata(type >= WITH_ATTACHMENTS ? 4 : 1);
    List<int[]> entries = body == null ? null : body.entries;
    List<String> keys = body == null ? null : body.keys;
    int headEnd = -1;
    if (type >= WITH_ATTACHMENTS) {
      if (r instanceof JsonbReader j) {
        headEnd = readJsonbAttachments(j, m, entries, keys, "the response attachments");
      } else {
        readAttachments((Hessian2Reader) r, m, entries, keys);
      }
    }
    if (body != null) {
      body.type = (int) type;
      body.valueStart = bufferIndex(valueStart, readerStart, bodyStart);
      body.valueEnd = bufferIndex(valueEnd, readerStart, bodyStart);
      body.mapHeadEnd = headEnd < 0 ? -1 : bufferIndex(headEnd, readerStart, bodyStart);
      body.shared = r instanceof JsonbReader j && j.sawShared();
      for (int[] span : body.entries) {
        span[0] = bufferIndex(span[0], readerStart, bodyStart);
        span[1] = bufferIndex(span[1], readerStart, bodyStart);
      }
    }
    return m;
  }

  /** The parameter count of {@code types}, remembered for the next request (the same instance). */
  private int parameterCount(String types) {
    if (types != null && types == lastTypes) { // the same instance: AsciiStrings reuses repeats
      return lastParams;
    }
    int params = countParameters(types);
    lastTypes = types;
    lastParams = params;
    return params;
  }

  /** Counts the parameters in a JVM descriptor such as {@code Ljava/lang/String;[I[[Lx/Y;J}. */
  private static int countParameters(String desc) {
    if (desc == null) {
      return 0;
    }
    int n = 0;
    for (int i = 0; i < desc.length(); i++) {
      char c = desc.charAt(i);
      if (c == '[') {
        continue;
      }
      if (c == 'L') {
        int semi = desc.indexOf(';', i);
        if (semi < 0) {
          throw new DubboCodecException("unterminated class name in parameter types '" + desc + "'");
        }
        i = semi;
      } else if ("ZBCDFIJSV".indexOf(c) < 0) {
        throw new DubboCodecException("invalid parameter types '" + desc + "'");
      }
      n++;
    }
    return n;
  }

  /**
   * Rewrites the attachments map of a request: unchanged entries are copied byte for byte, mutated
   * keys get string values, removed keys are dropped, new keys are appended. The service path,
   * version and method in the body are not rewritten (they are not attachments). Removing an
   * attachment whose value is a list, map or object can shift hessian2 back-references that later
   * values make; Dubbo's own attachments are strings, which have none.
   */
  @Override
  public ByteBuf encode(Frame frame, Mutation mutation, ByteBufAllocator alloc) {
    if (frame.type() == MessageType.RESPONSE || frame.type() == MessageType.ERROR) {
      return encodeResponse(frame, mutation, alloc, true); // no request to ask: assume 2.0.2+
    }
    if (frame.type() != MessageType.REQUEST && frame.type() != MessageType.ONEWAY) {
      throw new DubboCodecException("only requests and responses can be re-encoded, not "
          + frame.type());
    }
    ByteBuf src = frame.content();
    int start = src.readerIndex();
    int flags = src.getUnsignedByte(start + 2);
    int bodyStart = start + HEADER;
    int bodyEnd = bodyStart + src.getInt(start + 12);
    Parsed p = parseRequest(src, flags, bodyStart, bodyEnd, true);

    ByteBuf out = alloc.buffer(src.readableBytes() + 64);
    try {
      out.writeBytes(src, start, p.attachmentsStart - start);
      if ((flags & SERIALIZATION_MASK) == FASTJSON2) {
        writeJsonbAttachments(out, src, p.attachmentsStart, p.mapHeadEnd, p.entries, p.keys,
            p.shared, mutation);
      } else {
        writeAttachments(out, src, p.entries, p.keys, mutation);
      }
      out.setInt(12, out.readableBytes() - HEADER);
      return out;
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
  }

  /**
   * Rewrites the attachments of a response the way {@link #encode} does a request's. A response
   * without attachments ({@code RESPONSE_VALUE}, {@code _NULL_VALUE}, {@code _WITH_EXCEPTION})
   * that gains one becomes its {@code *_WITH_ATTACHMENTS} variant, which a client reads from
   * protocol version 2.0.2 on (the request's {@code dubbo} key; Dubbo's own provider asks the same).
   * A response with an error status carries only a message: it cannot carry attachments.
   */
  @Override
  public ByteBuf encodeResponse(Frame request, Frame response, Mutation mutation,
      ByteBufAllocator alloc) {
    return encodeResponse(response, mutation, alloc,
        readsResponseAttachments(request.metadata().get("dubbo")));
  }

  private ByteBuf encodeResponse(Frame frame, Mutation mutation, ByteBufAllocator alloc,
      boolean clientReadsAttachments) {
    ByteBuf src = frame.content();
    int start = src.readerIndex();
    int flags = src.getUnsignedByte(start + 2);
    int status = src.getUnsignedByte(start + 3);
    if ((flags & FLAG_EVENT) != 0) {
      throw new DubboCodecException("an event response carries no attachments");
    }
    if (status != OK) {
      throw new DubboCodecException("a response with status " + DubboStatus.name(status)
          + " carries only an error message, no attachments");
    }
    int serialization = flags & SERIALIZATION_MASK;
    if (!DubboSerialization.readable(serialization)) {
      throw new DubboCodecException(DubboSerialization.unsupported("response", serialization));
    }
    int bodyStart = start + HEADER;
    int bodyEnd = bodyStart + src.getInt(start + 12);
    ResponseBody body = new ResponseBody();
    parseResponse(src, serialization, bodyStart, bodyEnd, body);
    boolean hadAttachments = body.type >= WITH_ATTACHMENTS;
    if (!hadAttachments && mutation.sets().isEmpty()) {
      return alloc.buffer(frame.length()).writeBytes(src, start, frame.length()); // nothing to remove
    }
    if (!hadAttachments && !clientReadsAttachments) {
      throw new DubboCodecException("the client's protocol version predates response attachments"
          + " (2.0.2)");
    }
    ByteBuf out = alloc.buffer(frame.length() + 64);
    try {
      out.writeBytes(src, start, HEADER);
      int type = hadAttachments ? body.type : body.type + WITH_ATTACHMENTS;
      if (serialization == FASTJSON2) {
        // fastjson2 writes the type byte as a JSONB int8 document (FastJson2ObjectOutput.writeByte).
        out.writeInt(2).writeByte(JsonbReader.INT8).writeByte(type);
        out.writeBytes(src, body.valueStart, body.valueEnd - body.valueStart);
        writeJsonbAttachments(out, src, body.valueEnd, body.mapHeadEnd, body.entries, body.keys,
            body.shared, mutation);
      } else {
        out.writeByte(0x90 + type);
        out.writeBytes(src, body.valueStart, body.valueEnd - body.valueStart);
        writeAttachments(out, src, body.entries, body.keys, mutation);
      }
      out.setInt(12, out.readableBytes() - HEADER);
      return out;
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
  }

  /** An attachments map: the unchanged entries byte for byte, then the mutation's sets. */
  private static void writeAttachments(ByteBuf out, ByteBuf src, List<int[]> entries,
      List<String> keys, Mutation mutation) {
    out.writeByte('H');
    for (int i = 0; i < entries.size(); i++) {
      String key = keys.get(i);
      if (key != null && (mutation.removes(key) || mutation.sets().contains(key))) {
        continue;
      }
      int[] span = entries.get(i);
      out.writeBytes(src, span[0], span[1] - span[0]);
    }
    Metadata sets = mutation.sets();
    for (int i = 0; i < sets.size(); i++) {
      Hessian2Writer.writeString(out, sets.keyAt(i));
      Hessian2Writer.writeString(out, sets.valueAt(i));
    }
    out.writeByte('Z');
  }

  /**
   * A fastjson2 attachments document: its length, the original bytes before the first entry
   * (a type name, when the map had one), the unchanged entries byte for byte, the mutation's sets.
   * Entries that use symbols or references may depend on one another, so none is dropped then.
   */
  private static void writeJsonbAttachments(ByteBuf out, ByteBuf src, int valueStart,
      int mapHeadEnd, List<int[]> entries, List<String> keys, boolean shared, Mutation mutation) {
    int lengthAt = out.writerIndex();
    out.writeInt(0);
    if (mapHeadEnd < 0) {
      out.writeByte(JsonbReader.OBJECT);
    } else {
      out.writeBytes(src, valueStart + 4, mapHeadEnd - valueStart - 4);
    }
    for (int i = 0; i < entries.size(); i++) {
      String key = keys.get(i);
      if (key != null && (mutation.removes(key) || mutation.sets().contains(key))) {
        if (shared) {
          throw new DubboCodecException("fastjson2: the attachments refer to one another (symbols"
              + " or references): attachment '" + key + "' cannot be changed or removed");
        }
        continue;
      }
      int[] span = entries.get(i);
      out.writeBytes(src, span[0], span[1] - span[0]);
    }
    Metadata sets = mutation.sets();
    for (int i = 0; i < sets.size(); i++) {
      JsonbWriter.writeString(out, sets.keyAt(i));
      JsonbWriter.writeString(out, sets.valueAt(i));
    }
    out.writeByte(JsonbReader.OBJECT_END);
    out.setInt(lengthAt, out.writerIndex() - lengthAt - 4);
  }

  /** Dubbo's Version.isSupportResponseAttachment: protocol versions 2.0.2 to 2.0.99. */
  static boolean readsResponseAttachments(String version) {
    if (version == null || version.isEmpty()) {
      return false;
    }
    int v = 0;
    int parts = 0;
    int part = 0;
    for (int i = 0; i <= version.length() && parts < 4; i++) {
      char c = i < version.length() ? version.charAt(i) : '.';
      if (c == '.') {
        v = v * 100 + Math.min(part, 99);
        parts++;
        part = 0;
      } else if (c >= '0' && c <= '9') {
        part = part * 10 + (c - '0');
      } else {
        return false;
      }
    }
    for (; parts < 4; parts++) {
      v *= 100;
    }
    return v >= FIRST_VERSION_WITH_RESPONSE_ATTACHMENTS && v <= LAST_PROTOCOL_VERSION;
  }

  @Override
  public ByteBuf errorReply(Frame request, ErrorType error, String message, ByteBufAllocator alloc) {
    if (request.type() != MessageType.REQUEST) {
      return null;
    }
    ByteBuf out = alloc.buffer(HEADER + message.length() + 8);
    out.writeShort(MAGIC).writeByte(HESSIAN2).writeByte(DubboStatus.of(error))
        .writeLong(request.requestId()).writeInt(0);
    Hessian2Writer.writeString(out, message);
    out.setInt(12, out.readableBytes() - HEADER);
    return out;
  }

  /**
   * A non-OK status by its meaning ({@link DubboStatus#classOf}); an OK one is a business
   * exception when its body starts with an exception response type, else a success.
   */
  @Override
  public ResponseClass classify(Frame response) {
    ByteBuf b = response.content();
    int start = b.readerIndex();
    if (b.readableBytes() < HEADER) {
      return ResponseClass.UNKNOWN;
    }
    int status = b.getUnsignedByte(start + 3);
    if (status != OK) {
      return DubboStatus.classOf(status);
    }
    int flags = b.getUnsignedByte(start + 2);
    if ((flags & FLAG_EVENT) == 0 && (flags & SERIALIZATION_MASK) == HESSIAN2
        && b.readableBytes() > HEADER) {
      int type = b.getUnsignedByte(start + HEADER);
      if (type == WITH_EXCEPTION || type == WITH_EXCEPTION_AND_ATTACHMENTS) {
        return ResponseClass.APPLICATION_EXCEPTION;
      }
    }
    if ((flags & FLAG_EVENT) == 0 && (flags & SERIALIZATION_MASK) == FASTJSON2
        && b.readableBytes() > HEADER) {
      try {
        long type = reader(b, start + HEADER, start + b.readableBytes(), JsonbReader::new)
            .readIntegerValue("the response type");
        if (type == RESPONSE_WITH_EXCEPTION || type == WITH_ATTACHMENTS + RESPONSE_WITH_EXCEPTION) {
          return ResponseClass.APPLICATION_EXCEPTION;
        }
      } catch (DubboCodecException e) {
        return ResponseClass.UNKNOWN;
      }
    }
    return ResponseClass.SUCCESS;
  }

  /**
   * The reply carries the heartbeat's own body: a heartbeat's data is null in the sender's
   * serialization, which is what Dubbo looks for in the reply (CodecSupport.isHeartBeat compares
   * the bytes): hessian2 {@code N}, fastjson2 a 1-byte JSONB null behind its length. A body too
   * large to be a null gets hessian2's.
   */
  @Override
  public ByteBuf heartbeatReply(Frame heartbeat, ByteBufAllocator alloc) {
    ByteBuf in = heartbeat.content();
    int start = in.readerIndex();
    int serialization = in.getUnsignedByte(start + 2) & SERIALIZATION_MASK;
    int bodyLength = heartbeat.length() - HEADER;
    ByteBuf out = alloc.buffer(HEADER + 8).writeShort(MAGIC).writeByte(FLAG_EVENT | serialization)
        .writeByte(OK).writeLong(heartbeat.requestId());
    if (bodyLength > 0 && bodyLength <= 8) {
      return out.writeInt(bodyLength).writeBytes(in, start + HEADER, bodyLength);
    }
    return out.writeInt(1).writeByte('N');
  }

  /**
   * Dubbo's READONLY event ({@code Constants.READONLY_EVENT}, "R"), which a provider sends every
   * client when it shuts down: a one-way event request whose body is the hessian2 string "R". A
   * Dubbo consumer then marks the connection read-only and sends new calls to other providers.
   */
  @Override
  public ByteBuf goAway(ByteBufAllocator alloc) {
    return alloc.buffer(HEADER + 2).writeShort(MAGIC).writeByte(FLAG_REQUEST | FLAG_EVENT | HESSIAN2)
        .writeByte(0).writeLong(0).writeInt(2).writeByte(0x01).writeByte('R');
  }

  /** "service.method version V group G". */
  @Override
  public String describe(Frame request) {
    Metadata m = request.metadata();
    return m.get("interface") + "." + m.get("method")
        + (m.get("version") == null ? "" : " version " + m.get("version"))
        + (m.get("group") == null ? "" : " group " + m.get("group"));
  }
}
