package io.protean.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.demo.peers.DubboProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code protean demo} in-process: its exit code says whether its calls went as shown. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  private String output() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void exitsZeroWhenEveryCallGoesAsExpected() throws Exception {
    assertThat(Demo.run(out)).as(output()).isZero();
    // The same calls answered through both listeners: the native codec's and the Wasm one's.
    assertThat(output().split("hello alice-1 from provider-v1@", -1)).hasSize(3);
    assertThat(output())
        .contains("greet(\"alice-1\") version 1.0.0  ->  hello alice-1 from provider-v1@")
        .contains("greet(\"bob-1\")   version 2.0.0  ->  hello bob-1 from provider-v2@")
        .contains("protean: no route matches")
        .contains("[refused, as expected]")
        .contains("listener dubbo_wasm")
        .contains("slow(10)         version 1.0.0  ->  Dubbo RpcException: protean: method slow is denied")
        // The live reload: the answers move to provider v2 and back; the other consumer's calls
        // during the reloads all succeed.
        .contains("/reload  (cluster canary added, v1 route -> canary)  ->  200 { \"result\" : \"applied\"")
        .contains("greet(\"erin\")    version 1.0.0  ->  hello erin from provider-v1-canary@")
        .contains("greet(\"frank\")   version 1.0.0  ->  hello frank from provider-v1@")
        .containsPattern("meanwhile, [1-9][0-9]* calls by another consumer: 0 failed")
        .contains("calls, all as expected ==")
        .doesNotContain("NOT AS EXPECTED");
  }

  @Test
  void exitsNonZeroWhenAProviderCannotBeReached() throws Exception {
    int v1Port = freePort();
    int v2Port = freePort();
    // A provider that is gone: closed before the demo starts, so nothing listens on its port.
    DubboProvider gone = new DubboProvider("provider-v2@127.0.0.1:" + v2Port, v2Port, "2.0.0", null);
    gone.close();
    try (DubboProvider v1 = new DubboProvider("provider-v1@127.0.0.1:" + v1Port, v1Port, "1.0.0", null)) {
      assertThat(new Demo(out, v1, gone).run()).as(output()).isEqualTo(1);
    }
    assertThat(output())
        .contains("hello alice-1 from provider-v1@")
        .doesNotContain("hello bob-1")
        .contains("greet(\"bob-1\")   version 2.0.0: expected an answer from provider-v2@")
        // The version-3.0.0 call is still refused the expected way: it is not among the failures.
        .doesNotContain("greet(\"carol\")   version 3.0.0: expected")
        // Three version-2.0.0 calls on each listener, and the calls the live reload sent to v2.
        .containsPattern("== [0-9]+ of [0-9]+ calls did not go as expected ==");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }
}
