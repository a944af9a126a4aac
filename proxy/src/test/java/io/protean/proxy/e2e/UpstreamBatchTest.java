package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.server.Proxy;
import io.protean.proxy.codec.dubbo.DubboCapture;
import io.protean.demo.peers.DubboConsumer;
import io.protean.demo.peers.DubboProvider;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The requests a client pipelines in one write travel over one upstream connection, and the next
 * write's over the next connection: with a real Dubbo provider behind a recording relay, two
 * upstream connections (one worker: a pool is per worker), and a client that writes 8 real request
 * frames at once, twice.
 */
class UpstreamBatchTest {
  private static final int BATCH = 8;

  @Test
  void oneClientWriteGoesUpstreamOverOneConnection() throws Exception {
    try (DubboProvider provider = new DubboProvider("batch", Ports.free(), "1.0.0", "");
        DubboCapture relay = new DubboCapture(provider.port());
        Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
            workers: 1
            listeners:
              - name: dubbo
                address: 127.0.0.1:0
                codec: dubbo
                routes: [{cluster: provider}]
            clusters:
              - name: provider
                connections_per_endpoint: 2
                endpoints: ["127.0.0.1:%d"]
            """.formatted(relay.port())))) {
      int port = proxy.listenerAddress("dubbo").getPort();
      // One real request, as Dubbo's consumer writes it (its id is the proxy's upstream id).
      try (DubboConsumer consumer = new DubboConsumer(port, "1.0.0", "", 10_000)) {
        assertThat(consumer.service().greet("ann")).contains("ann");
      }
      byte[] greet = relay.requestFrames().get(0);

      try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
        client.setSoTimeout(10_000);
        DataInputStream in = new DataInputStream(client.getInputStream());
        for (int batch = 0; batch < 2; batch++) {
          ByteArrayOutputStream write = new ByteArrayOutputStream();
          TreeSet<Long> sent = new TreeSet<>();
          for (int i = 0; i < BATCH; i++) {
            long id = 1000L * (batch + 1) + i;
            byte[] frame = greet.clone();
            ByteBuffer.wrap(frame).putLong(4, id);
            // greet("ann") becomes greet("an1") or greet("an2"): same length, so still valid.
            frame[indexOf(frame, ANN) + 3] = (byte) ('1' + batch);
            write.writeBytes(frame);
            sent.add(id);
          }
          client.getOutputStream().write(write.toByteArray()); // one write, one segment
          TreeSet<Long> answered = new TreeSet<>();
          for (int i = 0; i < BATCH; i++) {
            byte[] header = new byte[16];
            in.readFully(header);
            ByteBuffer h = ByteBuffer.wrap(header);
            assertThat(h.get(3)).as("status OK").isEqualTo((byte) 20);
            answered.add(h.getLong(4));
            in.readFully(new byte[h.getInt(12)]);
          }
          assertThat(answered).isEqualTo(sent);
        }
      }

      // Upstream: each batch whole on one connection, the two batches on different connections
      // (chosen per request, each batch was split 4 and 4).
      List<List<byte[]>> byConnection = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      do {
        byConnection = relay.requestFramesByConnection();
      } while (byConnection.stream().mapToInt(List::size).sum() < 1 + 2 * BATCH
          && System.nanoTime() < deadline && sleep());
      List<String> batchesPerConnection = new ArrayList<>();
      for (List<byte[]> frames : byConnection) {
        StringBuilder seen = new StringBuilder();
        for (byte[] f : frames) {
          int at = indexOf(f, AN);
          seen.append(at < 0 ? '?' : (char) f[at + 3]);
        }
        batchesPerConnection.add(seen.toString());
      }
      // "n": the consumer's greet("ann"), first, on the first connection.
      assertThat(batchesPerConnection).containsExactlyInAnyOrder("n" + "2".repeat(BATCH), "1".repeat(BATCH));
    }
  }

  /** The hessian2 string "ann" (one-byte length 3), and its first two characters. */
  private static final byte[] ANN = {3, 'a', 'n', 'n'};
  private static final byte[] AN = {3, 'a', 'n'};

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static boolean sleep() {
    try {
      Thread.sleep(10);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
