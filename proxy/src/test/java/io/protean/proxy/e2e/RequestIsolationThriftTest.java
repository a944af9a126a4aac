package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.codec.thrift.gen.Echo;
import io.protean.proxy.server.Proxy;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.layered.TFramedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One client's Thrift calls with a readable header but malformed arguments (a string longer than
 * its frame, which makes a libthrift TThreadedSelectorServer close the connection) are answered
 * with a PROTOCOL_ERROR TApplicationException by the proxy and never reach the upstream
 * connection they would share with other clients, whose calls all succeed.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RequestIsolationThriftTest {

  @Test
  void malformedArgumentsNeverReachTheSharedUpstreamConnection() throws Exception {
    try (EchoServer server = new EchoServer("lib", false, true, false);
        Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
            workers: 1
            admin: {address: "127.0.0.1:0"}
            listeners:
              - {name: thrift, address: "127.0.0.1:0", codec: thrift, routes: [{cluster: lib}]}
            clusters:
              - {name: lib, endpoints: ["127.0.0.1:%d"], connections_per_endpoint: 1}
            """.formatted(server.port())))) {
      int port = proxy.listenerAddress("thrift").getPort();
      TTransport good = new TFramedTransport(new TSocket("127.0.0.1", port, 15_000));
      good.open();
      Echo.Client client = new Echo.Client(new TBinaryProtocol(good));
      TTransport other = new TFramedTransport(new TSocket("127.0.0.1", port, 15_000));
      other.open();
      Echo.Client slowClient = new Echo.Client(new TBinaryProtocol(other));
      AtomicInteger answered = new AtomicInteger();
      try (Socket bad = new Socket("127.0.0.1", port)) {
        bad.setSoTimeout(15_000);
        TProtocol badReplies = new TBinaryProtocol(new TFramedTransport(new TSocket(bad)));
        // A call in flight on the shared upstream connection while the bad calls arrive.
        CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> {
          try {
            return slowClient.slow(1500);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        server.slowStarted.await(10, TimeUnit.SECONDS);
        for (int i = 1; i <= 8; i++) {
          bad.getOutputStream().write(truncatedStringCall(i));
          bad.getOutputStream().flush();
          TMessage m = badReplies.readMessageBegin();
          assertThat(m.type).isEqualTo(TMessageType.EXCEPTION);
          assertThat(m.seqid).isEqualTo(i);
          TApplicationException x = TApplicationException.readFrom(badReplies);
          badReplies.readMessageEnd();
          assertThat(x.getType()).isEqualTo(TApplicationException.PROTOCOL_ERROR);
          assertThat(x.getMessage()).contains("truncated");
          assertThat(client.add(i, 1)).isEqualTo(i + 1);
          answered.incrementAndGet();
        }
        assertThat(slow.get(20, TimeUnit.SECONDS)).isEqualTo("lib slept 1500");
        // The bad client's connection carries on too.
        bad.getOutputStream().write(frame(call("echo", 99, stringField("fine"))));
        bad.getOutputStream().flush();
        TMessage m = badReplies.readMessageBegin();
        assertThat(m.type).isEqualTo(TMessageType.REPLY);
        assertThat(m.seqid).isEqualTo(99);
      } finally {
        good.close();
        other.close();
      }
      assertThat(answered).hasValue(8);
      AdminClient admin = new AdminClient(proxy.adminAddress());
      assertThat(admin.sum("protean_cluster_upstream_connects_total", "cluster=\"lib\""))
          .as("the shared upstream connection was never closed").isEqualTo(1);
      assertThat(admin.sum("protean_listener_rejected_requests_total", "listener=\"thrift\""))
          .isEqualTo(8);
    }
  }

  /** A framed binary CALL of echo whose string argument declares 1 MB and carries 4 bytes. */
  private static byte[] truncatedStringCall(int seqId) throws Exception {
    ByteArrayOutputStream args = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(args);
    d.writeByte(11); // STRING
    d.writeShort(1);
    d.writeInt(1_000_000);
    d.write("abcd".getBytes(StandardCharsets.US_ASCII));
    d.writeByte(0); // STOP
    return frame(call("echo", seqId, args.toByteArray()));
  }

  private static byte[] stringField(String s) throws Exception {
    ByteArrayOutputStream args = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(args);
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    d.writeByte(11);
    d.writeShort(1);
    d.writeInt(b.length);
    d.write(b);
    d.writeByte(0);
    return args.toByteArray();
  }

  private static byte[] call(String method, int seqId, byte[] args) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(out);
    d.writeInt(0x80010000 | TMessageType.CALL);
    byte[] name = method.getBytes(StandardCharsets.US_ASCII);
    d.writeInt(name.length);
    d.write(name);
    d.writeInt(seqId);
    d.write(args);
    return out.toByteArray();
  }

  private static byte[] frame(byte[] message) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new DataOutputStream(out).writeInt(message.length);
    out.write(message);
    return out.toByteArray();
  }
}
