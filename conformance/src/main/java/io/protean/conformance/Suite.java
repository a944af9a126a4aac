package io.protean.conformance;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecException;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Mutation;
import io.protean.abi.codec.ResponseClass;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * Runs the conformance checks on one codec implementation: each vector's own expectations, then
 * the generic checks every codec must pass whatever its protocol.
 */
public final class Suite {
  /** Frames up to this size are tried at every split point; longer ones at 256 spread points. */
  static final int ALL_SPLITS_UP_TO = 4096;
  static final int RANDOM_INPUTS = 300;
  static final int BIT_FLIPS_PER_VECTOR = 300;
  static final long SEED = 20261122L;

  private final String implementation;
  private final CodecFactory factory;
  private final LongSupplier guestFailures;
  private final LongSupplier guestMemory;
  private final ProtocolLibrary library;

  /**
   * A suite for {@code impl} on the vectors of {@code vectors} (a directory under the vectors
   * root, such as {@code thrift/framed-binary}: its first part names the protocol, whose own
   * library, where the suite has one, reads every error reply).
   */
  public Suite(Implementation impl, String vectors) {
    this.library = ProtocolLibrary.forVectors(vectors);
    this.implementation = impl.name();
    this.factory = impl.factory();
    this.guestFailures = impl.guestFailures();
    this.guestMemory = impl.guestMemory();
  }

  /**
   * Every check: one per included vector, then the generic ones. An implementation that includes
   * no vector (it excludes each, with its reason: a codec that does not speak that transport)
   * gets none: its generic checks would only repeat the module's run on its own vectors.
   */
  public List<CheckResult> run(List<Vector> vectors) {
    List<CheckResult> results = new ArrayList<>();
    if (vectors.isEmpty()) {
      return results;
    }
    for (Vector v : vectors) {
      results.add(check(v.name(), () -> vector(v)));
    }
    List<Vector> valid = vectors.stream().filter(v -> !v.error()).toList();
    results.add(check("split-points", () -> splitPoints(valid)));
    results.add(check("coalesced", () -> coalesced(valid)));
    results.add(check("bit-flips-and-truncations", () -> hostile(valid)));
    results.add(check("random-bytes", this::randomBytes));
    if (!valid.isEmpty()) {
      results.add(check("calls-after-a-trap", () -> callsAfterATrap(valid.get(0))));
    }
    return results;
  }

  /**
   * The checks that need no vector (a protocol without any yet): arbitrary bytes must end in a
   * frame, a wait or a codec error, without traps or growing guest memory.
   */
  public List<CheckResult> runWithoutVectors() {
    return List.of(check("random-bytes", this::randomBytes));
  }

  private interface Check {
    void run() throws Exception;
  }

  private CheckResult check(String name, Check check) {
    long t0 = System.nanoTime();
    try {
      check.run();
      return new CheckResult(implementation, name, true, "", System.nanoTime() - t0);
    } catch (AssertionError | Exception e) {
      String reason = e.getMessage() == null ? e.toString() : e.getMessage();
      return new CheckResult(implementation, name, false, reason, System.nanoTime() - t0);
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new AssertionError(message);
    }
  }

  /** A frame's observable result, for comparing decodes. */
  private static String describe(Frame f) {
    return f.type() + " id=" + f.requestId() + " bytes=" + f.length() + " status="
        + f.responseStatus() + " metadata=" + new java.util.TreeMap<>(f.metadata().toMap());
  }

  private Frame decodeOnce(Codec codec, byte[] bytes) {
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    try {
      codec.inputMoved();
      return codec.decode(in);
    } finally {
      in.release();
    }
  }

  private void vector(Vector v) {
    Codec codec = factory.newCodec();
    if (v.error()) {
      try {
        Frame f = decodeOnce(codec, v.input());
        if (f != null) {
          f.release();
        }
        throw new AssertionError("expected a codec error, got " + (f == null ? "need-more-data" : describe(f)));
      } catch (CodecException expected) {
        return;
      }
    }
    Frame f = decodeOnce(codec, v.input());
    require(f != null, "need-more-data for a complete frame");
    try {
      withResponseMetadata(codec, f);
      require(f.length() == v.frameLength(), "consumed " + f.length() + " bytes, expected " + v.frameLength());
      require(v.type() == null || f.type().name().equals(v.type()), "type " + f.type() + ", expected " + v.type());
      require(v.requestId() == null || f.requestId() == v.requestId(),
          "request id " + f.requestId() + ", expected " + v.requestId());
      require(v.status() == null || v.status().equals(f.responseStatus()),
          "status " + f.responseStatus() + ", expected " + v.status());
      require(java.util.Objects.equals(f.unreadable(), v.unreadable()),
          "unreadable " + f.unreadable() + ", expected " + v.unreadable());
      if (v.responseClass() != null) {
        ResponseClass c = codec.classify(f);
        require(c.name().equals(v.responseClass()),
            "response class " + c + ", expected " + v.responseClass());
      }
      if (v.metadata() != null) {
        Map<String, String> actual = f.metadata().toMap();
        require(actual.equals(v.metadata()), "metadata " + new java.util.TreeMap<>(actual)
            + ", expected " + new java.util.TreeMap<>(v.metadata()));
      }
      if (v.mutation() != null) {
        encodeRoundTrip(codec, f, v.mutation());
      }
      if (v.errorReply() != null) {
        errorReply(codec, f, ErrorType.valueOf(v.errorReply()));
      }
    } finally {
      f.release();
    }
  }

  /** A response's metadata as filters see it: with what the codec reads only on demand. */
  private static void withResponseMetadata(Codec codec, Frame f) {
    if (f.type() == MessageType.RESPONSE || f.type() == MessageType.ERROR) {
      codec.decodeResponseMetadata(f);
    }
  }

  private void encodeRoundTrip(Codec codec, Frame f, Map<String, String> changes) {
    Mutation m = new Mutation();
    changes.forEach(m::set);
    ByteBuf encoded = codec.encode(f, m, ByteBufAllocator.DEFAULT);
    try {
      byte[] bytes = new byte[encoded.readableBytes()];
      encoded.getBytes(encoded.readerIndex(), bytes);
      Codec fresh = factory.newCodec();
      Frame again = decodeOnce(fresh, bytes);
      require(again != null, "the re-encoded frame is incomplete");
      try {
        withResponseMetadata(fresh, again);
        Map<String, String> expected = new java.util.LinkedHashMap<>(f.metadata().toMap());
        changes.forEach((k, v) -> {
          if (v == null) {
            expected.remove(k);
          } else {
            expected.put(k, v);
          }
        });
        require(again.metadata().toMap().equals(expected), "after encode: metadata "
            + new java.util.TreeMap<>(again.metadata().toMap()) + ", expected " + new java.util.TreeMap<>(expected));
        require(again.requestId() == f.requestId(), "encode changed the request id");
      } finally {
        again.release();
      }
    } finally {
      encoded.release();
    }
  }

  private void errorReply(Codec codec, Frame request, ErrorType error) {
    ByteBuf reply = codec.errorReply(request, error, "conformance " + error, ByteBufAllocator.DEFAULT);
    if (request.type() == MessageType.ONEWAY) {
      require(reply == null, "a one-way request was answered");
      return;
    }
    require(reply != null, "no error reply for a " + request.type());
    try {
      byte[] bytes = new byte[reply.readableBytes()];
      reply.getBytes(reply.readerIndex(), bytes);
      Frame r = decodeOnce(factory.newCodec(), bytes);
      require(r != null, "the error reply is incomplete");
      try {
        require(r.type() == MessageType.RESPONSE || r.type() == MessageType.ERROR,
            "the error reply decodes as " + r.type());
        require(r.requestId() == request.requestId(), "the error reply has id " + r.requestId()
            + ", the request " + request.requestId());
      } finally {
        r.release();
      }
      if (library != null) {
        try {
          library.checkErrorReply(bytes, request, error, "conformance " + error);
        } catch (AssertionError | Exception e) {
          throw new AssertionError(library.name() + " rejects the error reply: " + e.getMessage(), e);
        }
      }
    } finally {
      reply.release();
    }
  }

  /** Every split point: need-more-data until the frame is complete, then the same frame. */
  private void splitPoints(List<Vector> valid) {
    for (Vector v : valid) {
      Codec codec = factory.newCodec();
      Frame whole = decodeOnce(codec, v.input());
      String expected = describe(whole);
      whole.release();
      int len = v.frameLength();
      int step = len <= ALL_SPLITS_UP_TO ? 1 : Math.max(1, len / 256);
      for (int cut = 1; cut < len; cut += step) {
        ByteBuf in = Unpooled.buffer(len);
        try {
          in.writeBytes(v.input(), 0, cut);
          codec.inputMoved();
          Frame early = codec.decode(in);
          if (early != null) {
            early.release();
            throw new AssertionError(v.name() + ": a frame after only " + cut + " of " + len + " bytes");
          }
          in.writeBytes(v.input(), cut, len - cut);
          codec.inputMoved();
          Frame f = codec.decode(in);
          require(f != null, v.name() + ": no frame once complete (split at " + cut + ")");
          String got = describe(f);
          f.release();
          require(got.equals(expected), v.name() + " split at " + cut + ": " + got + ", expected " + expected);
        } finally {
          in.release();
        }
      }
    }
  }

  /** All valid frames in one buffer decode one after the other, as they do alone. */
  private void coalesced(List<Vector> valid) {
    ByteBuf all = Unpooled.buffer();
    List<String> expected = new ArrayList<>();
    try {
      for (Vector v : valid) {
        Frame f = decodeOnce(factory.newCodec(), v.input());
        expected.add(describe(f));
        f.release();
        all.writeBytes(v.input(), 0, v.frameLength());
      }
      Codec codec = factory.newCodec();
      codec.inputMoved();
      for (String e : expected) {
        Frame f = codec.decode(all);
        require(f != null, "need-more-data in the middle of coalesced frames");
        String got = describe(f);
        f.release();
        require(got.equals(e), "coalesced: " + got + ", expected " + e);
      }
      require(!all.isReadable(), all.readableBytes() + " bytes left over");
    } finally {
      all.release();
    }
  }

  /** Bit flips and truncations: a frame, need-more-data or a codec error; never anything else. */
  private void hostile(List<Vector> valid) {
    Random random = new Random(SEED);
    long failuresBefore = guestFailures.getAsLong();
    for (Vector v : valid) {
      byte[] frame = java.util.Arrays.copyOf(v.input(), v.frameLength());
      for (int i = 0; i < BIT_FLIPS_PER_VECTOR; i++) {
        byte[] flipped = frame.clone();
        int at = random.nextInt(flipped.length);
        flipped[at] ^= (byte) (1 << random.nextInt(8));
        survive(flipped, v.name() + " with bit " + at + " flipped");
      }
      for (int cut = 1; cut < frame.length; cut += Math.max(1, frame.length / 64)) {
        survive(java.util.Arrays.copyOf(frame, cut), v.name() + " truncated to " + cut);
      }
    }
    require(guestFailures.getAsLong() == failuresBefore, "the guest trapped or timed out on hostile input ("
        + (guestFailures.getAsLong() - failuresBefore) + " instance failures)");
  }

  /**
   * Seeded random inputs, reproducible with {@link #SEED}: never a trap, and (Wasm) guest memory
   * does not grow after the first third, the warm-up.
   */
  private void randomBytes() {
    Random random = new Random(SEED);
    long failuresBefore = guestFailures.getAsLong();
    long memoryAfterWarmUp = 0;
    for (int i = 0; i < RANDOM_INPUTS; i++) {
      if (i == RANDOM_INPUTS / 3) {
        memoryAfterWarmUp = guestMemory.getAsLong();
      }
      byte[] junk = new byte[1 + random.nextInt(512)];
      random.nextBytes(junk);
      survive(junk, "random input #" + i);
    }
    require(guestFailures.getAsLong() == failuresBefore, "the guest trapped or timed out on random input ("
        + (guestFailures.getAsLong() - failuresBefore) + " instance failures)");
    long memoryAtEnd = guestMemory.getAsLong();
    require(memoryAtEnd <= memoryAfterWarmUp, "guest memory grew from " + memoryAfterWarmUp + " to "
        + memoryAtEnd + " bytes after warm-up (a leak?)");
  }

  /**
   * A guest call stopped half-way (here by interrupting the thread, as the call time limit does)
   * is refused with a codec error, counted as one instance failure, and later calls, on that
   * connection or a new one, never run on the broken instance: they are refused cleanly or decode
   * correctly on a new one. A native codec ignores the interrupt and simply decodes.
   */
  private void callsAfterATrap(Vector v) {
    Codec codec = factory.newCodec();
    Frame reference = decodeOnce(factory.newCodec(), v.input());
    String expected = describe(reference);
    reference.release();
    long failuresBefore = guestFailures.getAsLong();
    boolean trapped;
    Thread.currentThread().interrupt();
    try {
      Frame f = decodeOnce(codec, v.input());
      require(f != null && describe(f).equals(expected), "an interrupted call decoded "
          + (f == null ? "nothing" : describe(f)) + ", expected " + expected);
      f.release();
      trapped = false;
    } catch (CodecException refused) {
      trapped = true;
    } finally {
      Thread.interrupted();
    }
    long failures = guestFailures.getAsLong() - failuresBefore;
    require(failures == (trapped ? 1 : 0), "an interrupted call " + (trapped ? "failed" : "succeeded")
        + " and counted " + failures + " instance failures");
    for (Codec next : List.of(codec, factory.newCodec())) {
      try {
        Frame f = decodeOnce(next, v.input());
        require(f != null && describe(f).equals(expected), "after a trap a call decoded "
            + (f == null ? "nothing" : describe(f)) + ", expected " + expected);
        f.release();
      } catch (CodecException refused) {
        require(next == codec, "a new connection was refused after a trap: " + refused.getMessage());
      }
    }
    require(guestFailures.getAsLong() - failuresBefore == failures, "calls after the trap failed again");
  }

  private void survive(byte[] bytes, String what) {
    try {
      Frame f = decodeOnce(factory.newCodec(), bytes);
      if (f != null) {
        f.release();
      }
    } catch (CodecException expected) {
      Objects.requireNonNull(expected.getMessage(), what + ": a codec error without a message");
    } catch (RuntimeException e) {
      throw new AssertionError(what + ": " + e, e);
    }
  }
}
