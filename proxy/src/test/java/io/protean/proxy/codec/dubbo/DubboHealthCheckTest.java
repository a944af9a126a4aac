package io.protean.proxy.codec.dubbo;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.protean.abi.codec.Codec;
import io.protean.abi.codec.Frame;
import io.protean.abi.codec.HealthCheck;
import io.protean.abi.codec.MessageType;
import io.protean.demo.peers.DubboProvider;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a real Dubbo 3.3 provider answers to the heartbeat the health check sends: an event
 * response, status OK, with the request's id; the check passes it. An error response fails it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DubboHealthCheckTest {
  private final HealthCheck check = new DubboCodecFactory().healthCheck(Map.of());

  @Test
  void aDubboProviderAnswersTheHeartbeatAndTheAnswerPasses() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (DubboProvider provider = new DubboProvider("hb", port, "1.0.0", null);
        Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      socket.setSoTimeout(10_000);
      ByteBuf request = check.request(0x1234_5678_9abcL, UnpooledByteBufAllocator.DEFAULT);
      byte[] bytes = ByteBufUtil.getBytes(request);
      request.release();
      socket.getOutputStream().write(bytes);

      InputStream in = socket.getInputStream();
      byte[] header = in.readNBytes(16);
      int bodyLength = Unpooled.wrappedBuffer(header).getInt(12);
      byte[] body = in.readNBytes(bodyLength);
      System.out.println("Dubbo 3.3 heartbeat answer: " + ByteBufUtil.hexDump(header) + " "
          + ByteBufUtil.hexDump(body));

      Codec codec = new DubboCodecFactory().newCodec();
      ByteBuf answer = Unpooled.wrappedBuffer(header, body);
      Frame f = codec.decode(answer);
      try {
        assertThat(f.type()).isEqualTo(MessageType.RESPONSE);
        assertThat(f.requestId()).isEqualTo(0x1234_5678_9abcL);
        assertThat(f.responseStatus()).isEqualTo("OK");
        assertThat(check.passes(f)).isTrue();
      } finally {
        f.release();
        answer.release();
      }
    }
  }

  @Test
  void anErrorAnswerOrAPlainResponseFails() {
    Codec codec = new DubboCodecFactory().newCodec();
    // An event response with status 70 (SERVER_ERROR) and a plain (non-event) OK response.
    for (int[] flagsAndStatus : new int[][] {{0x22, 70}, {0x02, 20}}) {
      ByteBuf b = Unpooled.buffer().writeShort(0xdabb).writeByte(flagsAndStatus[0])
          .writeByte(flagsAndStatus[1]).writeLong(7).writeInt(1).writeByte('N');
      Frame f = codec.decode(b);
      try {
        assertThat(check.passes(f)).as("flags/status %s", (Object) flagsAndStatus).isFalse();
      } finally {
        f.release();
        b.release();
      }
    }
  }

  @Test
  void optionsAreRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new DubboCodecFactory().healthCheck(Map.of("method_name", "x")))
        .hasMessageStartingWith("method_name: unknown option");
  }
}
