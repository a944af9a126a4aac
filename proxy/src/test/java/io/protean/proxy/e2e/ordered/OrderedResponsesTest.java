package io.protean.proxy.e2e.ordered;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.server.Proxy;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * For a protocol that wants answers in request order, the proxy holds an early answer until the
 * earlier ones are written, even when the server answers out of order.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OrderedResponsesTest {

  @Test
  void answersLeaveInRequestOrder() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
      Thread serverThread = new Thread(() -> {
        // Reads three requests, then answers them last to first.
        try (Socket s = server.accept()) {
          DataInputStream in = new DataInputStream(s.getInputStream());
          DataOutputStream out = new DataOutputStream(s.getOutputStream());
          List<int[]> ids = new ArrayList<>();
          List<byte[]> bodies = new ArrayList<>();
          for (int i = 0; i < 3; i++) {
            int len = in.readInt();
            int id = in.readInt();
            in.readByte();
            byte[] body = new byte[len - 5];
            in.readFully(body);
            ids.add(new int[] {id});
            bodies.add(body);
          }
          for (int i = 2; i >= 0; i--) {
            out.writeInt(5 + bodies.get(i).length);
            out.writeInt(ids.get(i)[0]);
            out.writeByte(1);
            out.write(bodies.get(i));
            out.flush();
            Thread.sleep(50);
          }
          in.read(); // wait for the proxy to close
        } catch (Exception e) {
          // test over
        }
      });
      serverThread.start();
      try (Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
              workers: 1
              admin: {enabled: false}
              listeners:
                - {name: o, address: "127.0.0.1:0", codec: ordered_test, routes: [{cluster: s}]}
              clusters:
                - {name: s, endpoints: ["127.0.0.1:%d"]}
              """.formatted(server.getLocalPort())));
          Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.listenerAddress("o").getPort())) {
        DataOutputStream out = new DataOutputStream(client.getOutputStream());
        for (int id = 1; id <= 3; id++) {
          byte[] body = ("call-" + id).getBytes(StandardCharsets.US_ASCII);
          out.writeInt(5 + body.length);
          out.writeInt(id * 100);
          out.writeByte(0);
          out.write(body);
        }
        out.flush();
        DataInputStream in = new DataInputStream(client.getInputStream());
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          int len = in.readInt();
          int id = in.readInt();
          in.readByte();
          byte[] body = new byte[len - 5];
          in.readFully(body);
          answers.add(id + ":" + new String(body, StandardCharsets.US_ASCII));
        }
        assertThat(answers).containsExactly("100:call-1", "200:call-2", "300:call-3");
      }
      serverThread.join(5000);
    }
  }
}
