package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.protean.proxy.codec.thrift.gen.Echo;
import io.protean.proxy.server.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.layered.TFramedTransport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * RBAC on the peer's IPv6 and IPv4 address, a local rate limit and an injected fault, in front
 * of libthrift's own server and generated clients: each refusal is the TApplicationException the
 * Thrift codec builds for its error type, with the proxy's message.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrafficFiltersThriftTest {
  private static final String FILTERS = """
            filters:
              - rbac:
                  rules:
                    action: allow
                    policies:
                      ipv6-loopback:
                        permissions: [{metadata: [{key: method, exact: echo}]}, {metadata: [{key: method, exact: add}]}, {metadata: [{key: method, exact: roundTrip}]}]
                        principals: [{direct_remote_ip: {address_prefix: "::1", prefix_len: 128}}]
              - local_ratelimit:
                  rules:
                    - match: [{key: method, exact: add}]
                      token_bucket: {max_tokens: 2, fill_interval: 1h}
              - fault:
                  rules:
                    - match: [{key: method, exact: roundTrip}]
                      abort: {error: overloaded, percent: 100, message: "roundTrip is failing today"}
        """; // indented as a listener's fields in the configuration below
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private Proxy proxy;

  @BeforeAll
  void start() throws Exception {
    EchoServer server = new EchoServer("t", false, true, false);
    closeables.add(server);
    String yaml = """
        workers: 2
        admin: {enabled: false}
        listeners:
          - name: v6
            address: "[::1]:0"
            codec: thrift
        FILTERS
            routes: [{cluster: t}]
          - name: v4
            address: 127.0.0.1:0
            codec: thrift
        FILTERS
            routes: [{cluster: t}]
        clusters:
          - {name: t, endpoints: ["127.0.0.1:PORT"]}
        """.replace("FILTERS\n", FILTERS).replace("PORT", Integer.toString(server.port()));
    proxy = Proxy.start(Proxy.configLoader().parse(yaml));
    closeables.add(proxy);
  }

  @AfterAll
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private Echo.Client client(String host, String listener) throws Exception {
    TTransport transport = new TFramedTransport(new TSocket(host,
        proxy.listenerAddress(listener).getPort(), 15_000));
    transport.open();
    closeables.add(transport::close);
    return new Echo.Client(new TBinaryProtocol(transport));
  }

  private static void assertRefused(Throwable t, String message) {
    assertThat(t).isInstanceOf(TApplicationException.class).hasMessage("protean: " + message);
    assertThat(((TApplicationException) t).getType()).isEqualTo(TApplicationException.INTERNAL_ERROR);
  }

  @Test
  void anIpv6PeerInTheRangeIsAllowedItsPermissionsOnly() throws Exception {
    Echo.Client c = client("::1", "v6");
    assertThat(c.echo("six")).isEqualTo("t:six");
    assertRefused(catchThrowable(() -> c.fail(1)), "rbac: access denied");
    assertThat(c.echo("still")).isEqualTo("t:still"); // the connection carries on
  }

  @Test
  void anIpv4PeerOutsideTheRangeIsDenied() throws Exception {
    Echo.Client c = client("127.0.0.1", "v4");
    assertRefused(catchThrowable(() -> c.echo("four")), "rbac: access denied");
  }

  @Test
  void aCallAboveTheLimitIsRateLimited() throws Exception {
    Echo.Client c = client("::1", "v6");
    assertThat(c.add(1, 2)).isEqualTo(3);
    assertThat(c.add(2, 2)).isEqualTo(4);
    assertRefused(catchThrowable(() -> c.add(3, 2)), "rate limited");
  }

  @Test
  void anInjectedAbortIsTheCodecsReplyForItsError() throws Exception {
    Echo.Client c = client("::1", "v6");
    assertRefused(catchThrowable(() -> c.roundTrip(new io.protean.proxy.codec.thrift.gen.Payload())),
        "roundTrip is failing today");
  }
}
