package io.protean.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

  @Test
  void idsFindTheirSlotAfterTheSequenceWraps() {
    int shift = new ThriftWire(0).connectionShift();
    int inflight = 3; // not a power of two: a plain bit mask would lose the slot at the wrap
    long perSlot = (1L << shift) / inflight;
    for (long seq : new long[] {0, 1, perSlot - 1, perSlot, perSlot + 1, 10 * perSlot + 7}) {
      for (int slot = 0; slot < inflight; slot++) {
        long id = RpcLoad.requestId(2047, seq, slot, inflight, shift);
        assertThat(RpcLoad.slotOf(id, inflight, shift)).isEqualTo(slot);
        assertThat(id >>> shift).isEqualTo(2047);
        assertThat(id).isLessThanOrEqualTo(Integer.MAX_VALUE); // a Thrift seq id is an i32
      }
    }
  }

  @Test
  void refusesMoreConnectionsThanThriftIdsCanName() {
    RpcLoad load = RpcLoadTest.load("thrift", 1, 64);
    load.connections = 2049;
    assertThatThrownBy(load::run).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("31-bit");
  }
}
