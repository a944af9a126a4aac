package io.protean.proxy.codec.dubbo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.MessageType;
import io.protean.abi.codec.Metadata;
import io.protean.abi.codec.Mutation;
import java.util.Map;
import org.apache.dubbo.remoting.exchange.Response;
import org.apache.dubbo.rpc.AppResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Response attachments: decoded as metadata (on demand) and re-encoded with a mutation, on responses written by
 * Apache Dubbo's own codec and read back by Dubbo's own consumer-side decoder. Every response type:
 * a value, null, an exception, each with attachments (clients of protocol 2.0.2+) and without.
 */
class DubboResponseCodecTest {
  private static final DubboCodec codec = new DubboCodec(DubboLimits.DEFAULT);
  private static DubboResponses dubbo;

  @BeforeAll
  static void start() {
    dubbo = new DubboResponses();
  }

  @AfterAll
  static void stop() {
    dubbo.close();
  }

  private static Object result(String kind) {
    return switch (kind) {
      case "value" -> "hello";
      case "null" -> null;
      case "exception" -> new IllegalStateException("boom");
      default -> throw new IllegalArgumentException(kind);
    };
  }

  private static Frame decode(byte[] bytes) {
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    try {
      Frame f = codec.decode(in);
      assertThat(f).isNotNull();
      assertThat(in.isReadable()).isFalse();
      return f;
    } finally {
      in.release();
    }
  }

  private static Frame request(String dubboVersion) {
    Metadata m = new Metadata();
    m.put("dubbo", dubboVersion);
    return new Frame(Unpooled.EMPTY_BUFFER, MessageType.REQUEST, 1, m, null, 0, 0);
  }

  private static byte[] bytes(ByteBuf b) {
    try {
      return ByteBufUtil.getBytes(b);
    } finally {
      b.release();
    }
  }

  @ParameterizedTest
  @CsvSource({"value, 4", "null, 5", "exception, 3"})
  void attachmentsOfA202ResponseAreMetadata(String kind, int type) {
    byte[] wire = dubbo.response(7, "2.0.2", result(kind), Map.of("x-served", "p1", "x-n", 3));
    assertThat(wire[DubboCodec.HEADER] & 0xff).as("response type").isEqualTo(0x90 + type);
    Frame f = decode(wire);
    try {
      assertThat(f.type()).isEqualTo(MessageType.RESPONSE);
      assertThat(f.metadata().isEmpty()).as("read on demand only").isTrue();
      codec.decodeResponseMetadata(f);
      assertThat(f.metadata().toMap()).containsEntry("x-served", "p1").containsEntry("x-n", "3")
          .containsEntry("dubbo", "2.0.2");
    } finally {
      f.release();
    }
  }

  @ParameterizedTest
  @CsvSource({"value, 1", "null, 2", "exception, 0"})
  void aResponseWithoutAttachmentsHasNoMetadata(String kind, int type) {
    byte[] wire = dubbo.response(7, "2.0.0", result(kind), Map.of("x-served", "p1"));
    assertThat(wire[DubboCodec.HEADER] & 0xff).as("response type").isEqualTo(0x90 + type);
    Frame f = decode(wire);
    try {
      codec.decodeResponseMetadata(f);
      assertThat(f.metadata().isEmpty()).isTrue();
    } finally {
      f.release();
    }
  }

  @ParameterizedTest
  @CsvSource({"value, 2.0.2", "null, 2.0.2", "exception, 2.0.2", "value, 2.0.0", "null, 2.0.0",
      "exception, 2.0.0"})
  void reencodedResponsesAreReadByDubbosOwnDecoder(String kind, String providerSide) {
    byte[] wire = dubbo.response(9, providerSide, result(kind), Map.of("x-gone", "a", "x-kept", "k"));
    Frame f = decode(wire);
    try {
      Mutation m = new Mutation().remove("x-gone").set("x-added", "yes").set("x-kept", "k2");
      byte[] out = bytes(codec.encodeResponse(request("2.0.2"), f, m, ByteBufAllocator.DEFAULT));
      // Our own decoder sees the change...
      Frame again = decode(out);
      codec.decodeResponseMetadata(again);
      assertThat(again.requestId()).isEqualTo(9);
      assertThat(again.metadata().toMap()).containsEntry("x-added", "yes")
          .containsEntry("x-kept", "k2").doesNotContainKey("x-gone");
      again.release();
      // ...and so does a Dubbo consumer, with the value or exception intact.
      AppResponse read = dubbo.read(out);
      assertThat(read.getObjectAttachments()).containsEntry("x-added", "yes")
          .containsEntry("x-kept", "k2").doesNotContainKey("x-gone");
      switch (kind) {
        case "value" -> assertThat(read.getValue()).isEqualTo("hello");
        case "null" -> assertThat(read.getValue()).isNull();
        default -> assertThat(read.getException()).hasMessage("boom");
      }
    } finally {
      f.release();
    }
  }

  @Test
  void aLargeValueIsSkippedToReachTheAttachments() {
    String big = "\u00e9x".repeat(300_000);
    Frame f = decode(dubbo.response(1, "2.0.2", big, Map.of("x-after", "big")));
    try {
      codec.decodeResponseMetadata(f);
      assertThat(f.metadata().get("x-after")).isEqualTo("big");
      byte[] out = bytes(codec.encodeResponse(request("2.0.2"), f, new Mutation().set("x-more", "1"),
          ByteBufAllocator.DEFAULT));
      AppResponse read = dubbo.read(out);
      assertThat(read.getValue()).isEqualTo(big);
      assertThat(read.getObjectAttachments()).containsEntry("x-more", "1")
          .containsEntry("x-after", "big");
    } finally {
      f.release();
    }
  }

  @Test
  void anErrorStatusCarriesNoAttachments() {
    Frame f = decode(dubbo.error(3, Response.SERVICE_ERROR, "it broke"));
    try {
      assertThat(f.type()).isEqualTo(MessageType.ERROR);
      codec.decodeResponseMetadata(f);
      assertThat(f.metadata().isEmpty()).isTrue();
      assertThatThrownBy(() -> codec.encodeResponse(request("2.0.2"), f,
          new Mutation().set("x", "y"), ByteBufAllocator.DEFAULT))
          .isInstanceOf(DubboCodecException.class)
          .hasMessageContaining("status SERVICE_ERROR carries only an error message");
      assertThat(new DubboCodecFactory().encodeRefusal(MessageType.ERROR)).isNotNull();
      assertThat(new DubboCodecFactory().encodeRefusal(MessageType.RESPONSE)).isNull();
    } finally {
      f.release();
    }
  }

  @Test
  void aClientBefore202GetsNoNewAttachments() {
    Frame f = decode(dubbo.response(3, "2.0.0", "hello", Map.of()));
    try {
      assertThatThrownBy(() -> codec.encodeResponse(request("2.0.0"), f,
          new Mutation().set("x", "y"), ByteBufAllocator.DEFAULT))
          .isInstanceOf(DubboCodecException.class).hasMessageContaining("predates");
      // Removing from a response that has no attachments changes nothing.
      byte[] same = bytes(codec.encodeResponse(request("2.0.0"), f, new Mutation().remove("x"),
          ByteBufAllocator.DEFAULT));
      assertThat(same).isEqualTo(ByteBufUtil.getBytes(f.content()));
    } finally {
      f.release();
    }
  }

  @Test
  void theRequestIdIsPatchedOnTheReencodedBytes() {
    Frame f = decode(dubbo.response(5, "2.0.2", "hello", Map.of()));
    try {
      ByteBuf out = codec.encodeResponse(request("2.0.2"), f, new Mutation().set("x", "y"),
          ByteBufAllocator.DEFAULT);
      Frame again = decode(bytes(f.withRequestId(out, 77)));
      codec.decodeResponseMetadata(again);
      assertThat(again.requestId()).isEqualTo(77);
      assertThat(again.metadata().get("x")).isEqualTo("y");
      again.release();
    } finally {
      f.release();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"2.0.2", "2.0.10", "2.0.99", "2.0.2.1"})
  void protocolVersionsThatReadResponseAttachments(String version) {
    assertThat(DubboCodec.readsResponseAttachments(version)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "2.0.0", "2.0.1", "2.6.5", "3.3.6", "2.0.x"})
  void protocolVersionsThatDoNot(String version) {
    assertThat(DubboCodec.readsResponseAttachments(version)).isFalse();
  }
}
