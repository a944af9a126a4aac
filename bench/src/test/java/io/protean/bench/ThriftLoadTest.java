package io.protean.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** The generator in Thrift mode against a real libthrift server in this JVM, for about a second. */
class ThriftLoadTest {

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void everyReplyOfARealThriftServerChecksOut() throws Exception {
    int port = freePort();
    try (ThriftServerMain server = new ThriftServerMain(port, 2)) {
      RpcLoad.Result r = RpcLoadTest.load("thrift", port, 64).run();
      assertThat(r.errorSamples()).isEmpty();
      assertThat(r.ok()).isTrue();
      assertThat(r.requests()).isPositive();
      assertThat(r.p99Us()).isGreaterThanOrEqualTo(r.p50Us());
      // The reply body holds the echoed payload plus the result struct's framing.
      assertThat(r.responseBytes()).isGreaterThan(64);
    }
  }

  @Test
  void theRequestIsAFramedStrictBinaryEchoCall() {
    byte[] frame = new ThriftWire(5).request();
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(frame);
    assertThat(b.getInt(0)).isEqualTo(frame.length - 4);
    assertThat(b.getInt(4)).isEqualTo(0x80010001); // version 1, CALL
    assertThat(new String(frame, 12, 4)).isEqualTo("echo");
    assertThat(b.getInt(ThriftWire.SEQ_ID_OFFSET)).isZero();
  }
}
