package io.protean.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.ErrorType;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.Mutation;
import io.protean.proxy.codec.dubbo.DubboCodecFactory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The suite fails when it should: a codec that forgets a metadata key, one that accepts garbage,
 * and one whose error replies decode back but would mislead a Dubbo consumer are all caught, with
 * reasons that say what is wrong.
 */
class BrokenCodecTest {

  /** Passes everything to the real codec; subclasses break one thing. */
  private abstract static class DelegatingCodec implements Codec {
    final Codec codec;

    DelegatingCodec(Codec codec) {
      this.codec = codec;
    }

    @Override
    public ByteBuf encode(Frame frame, Mutation m, ByteBufAllocator a) {
      return codec.encode(frame, m, a);
    }

    @Override
    public ByteBuf errorReply(Frame r, ErrorType e, String msg, ByteBufAllocator a) {
      return codec.errorReply(r, e, msg, a);
    }

    @Override
    public ByteBuf heartbeatReply(Frame h, ByteBufAllocator a) {
      return codec.heartbeatReply(h, a);
    }

    @Override
    public io.protean.abi.codec.ResponseClass classify(Frame response) {
      return codec.classify(response);
    }
  }

  /** The native Dubbo codec, broken on purpose by {@code breakage}. */
  private static CodecFactory broken(java.util.function.UnaryOperator<Codec> breakage) {
    CodecFactory real = new DubboCodecFactory();
    return new CodecFactory() {
      @Override
      public String protocol() {
        return "dubbo";
      }

      @Override
      public Codec newCodec() {
        return breakage.apply(real.newCodec());
      }
    };
  }

  @Test
  void aCodecThatDropsAMetadataKeyFails() {
    CodecFactory f = broken(real -> new DelegatingCodec(real) {
      @Override
      public Frame decode(ByteBuf in) {
        Frame frame = codec.decode(in);
        if (frame != null) {
          frame.metadata().remove("method");
        }
        return frame;
      }

    });
    List<CheckResult> results = new Suite(new Implementation("drops-method", f, () -> 0, () -> 0), "dubbo")
        .run(Vector.loadAll(Path.of("vectors/dubbo")));
    assertThat(results).filteredOn(r -> r.check().equals("captured-request-greet"))
        .singleElement().satisfies(r -> {
          assertThat(r.passed()).isFalse();
          assertThat(r.reason()).startsWith("metadata {").contains("expected {").contains("method=greet");
        });
    assertThat(results).filteredOn(r -> r.check().startsWith("error-")).allMatch(CheckResult::passed);
  }

  @Test
  void aCodecThatAcceptsGarbageFails() {
    CodecFactory f = broken(real -> new DelegatingCodec(real) {
      @Override
      public Frame decode(ByteBuf in) {
        try {
          return codec.decode(in);
        } catch (RuntimeException e) {
          in.skipBytes(in.readableBytes());
          return null; // swallows the error: the stream looks merely incomplete
        }
      }

    });
    List<CheckResult> results = new Suite(new Implementation("swallows-errors", f, () -> 0, () -> 0), "dubbo")
        .run(Vector.loadAll(Path.of("vectors/dubbo")));
    assertThat(results).filteredOn(r -> r.check().equals("error-bad-magic")).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo("expected a codec error, got need-more-data"));
  }

  @Test
  void anErrorReplyTheProtocolsLibraryRejectsFails() {
    CodecFactory f = broken(real -> new DelegatingCodec(real) {
      @Override
      public Frame decode(ByteBuf in) {
        return codec.decode(in);
      }

      @Override
      public ByteBuf errorReply(Frame r, ErrorType e, String msg, ByteBufAllocator a) {
        ByteBuf reply = codec.errorReply(r, e, msg, a);
        if (reply != null) {
          reply.setByte(reply.readerIndex() + 3, 20); // status OK: the consumer would take it for a result
        }
        return reply;
      }
    });
    List<CheckResult> results = new Suite(new Implementation("says-ok", f, () -> 0, () -> 0), "dubbo")
        .run(Vector.loadAll(Path.of("vectors/dubbo")));
    assertThat(results).filteredOn(r -> r.check().equals("captured-request-greet")).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo("dubbo hessian-lite rejects the error reply:"
            + " status 20 for ROUTE_NOT_FOUND, a Dubbo consumer expects 60"));
  }
}
