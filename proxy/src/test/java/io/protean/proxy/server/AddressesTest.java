package io.protean.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.config.model.ProxyConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Listen addresses checked against the real machine: DNS, sockets held by others, Netty binds. */
class AddressesTest {
  private final List<ServerSocket> occupied = new ArrayList<>();

  @AfterEach
  void release() throws IOException {
    for (ServerSocket s : occupied) {
      s.close();
    }
  }

  /** A loopback port some other process (here: this test) listens on. */
  private int occupiedPort() throws IOException {
    ServerSocket s = new ServerSocket();
    s.bind(new InetSocketAddress("127.0.0.1", 0));
    occupied.add(s);
    return s.getLocalPort();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }

  /** A configuration whose listeners (named l0, l1, ...) listen on these addresses. */
  private static ProxyConfig listeningOn(String admin, String... addresses) {
    StringBuilder y = new StringBuilder(admin == null ? "admin: {enabled: false}\n"
        : "admin: {address: \"" + admin + "\"}\n");
    y.append("listeners:\n");
    for (int i = 0; i < addresses.length; i++) {
      y.append("  - {name: l").append(i).append(", address: \"").append(addresses[i])
          .append("\", codec: dubbo, routes: [{cluster: c}]}\n");
    }
    y.append("clusters: [{name: c, endpoints: [\"not-resolved-at-start.invalid:1\"]}]\n");
    return Proxy.configLoader().parse(y.toString());
  }

  @Test
  void freeAddressesPassAndAreFreeAgainAfterwards() throws IOException {
    int port = freePort();
    ProxyConfig config = listeningOn("127.0.0.1:0", "127.0.0.1:" + port, "127.0.0.1:0", "localhost:0");
    assertThatCode(() -> Addresses.checkBindable(config, a -> false)).doesNotThrowAnyException();
    // every probe socket was closed: the proxy itself can listen there now
    try (ServerSocket again = new ServerSocket()) {
      again.bind(new InetSocketAddress("127.0.0.1", port));
    }
  }

  @Test
  void aPortInUseNamesTheField() throws IOException {
    int port = occupiedPort();
    assertThatThrownBy(() -> Addresses.checkBindable(
        listeningOn("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:" + port), a -> false))
        .isInstanceOf(ConfigException.class)
        .hasMessage("listeners[1].address: 127.0.0.1:" + port + " is already in use");
    assertThatThrownBy(() -> Addresses.checkBindable(
        listeningOn("127.0.0.1:" + port, "127.0.0.1:0"), a -> false))
        .hasMessage("admin.address: 127.0.0.1:" + port + " is already in use");
  }

  @Test
  void anAddressTheProxyAlreadyHoldsIsSkipped() throws IOException {
    int port = occupiedPort();
    HostPort ours = new HostPort("127.0.0.1", port);
    assertThatCode(() -> Addresses.checkBindable(
        listeningOn("127.0.0.1:0", "127.0.0.1:" + port), ours::equals)).doesNotThrowAnyException();
  }

  @Test
  void anUnresolvableHostNamesTheField() {
    assertThatThrownBy(() -> Addresses.checkBindable(
        listeningOn("127.0.0.1:0", "127.0.0.1:0", "no-such-host.invalid:20880"), a -> false))
        .isInstanceOf(ConfigException.class)
        .hasMessage("listeners[1].address: cannot resolve host 'no-such-host.invalid'");
  }

  @Test
  void aHostThatIsNotThisMachine() {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737), assigned to no machine.
    assertThatThrownBy(() -> Addresses.checkBindable(listeningOn(null, "192.0.2.1:0"), a -> false))
        .hasMessage("listeners[0].address: cannot listen on 192.0.2.1:0: 192.0.2.1 is not an address "
            + "of this machine");
  }

  @Test
  void twoNamesForOneAddressCollideLikeTheyWouldInTheProxy() throws IOException {
    // The loader cannot know that localhost is 127.0.0.1 (it never resolves); binding does.
    int port = freePort();
    assertThatThrownBy(() -> Addresses.checkBindable(
        listeningOn("127.0.0.1:0", "127.0.0.1:" + port, "localhost:" + port), a -> false))
        .hasMessage("listeners[1].address: localhost:" + port + " is already used by listener 'l0' "
            + "(127.0.0.1:" + port + ")");
  }

  /** The exceptions a real Netty bind throws, on each transport this machine has. */
  @Test
  void aFailedNettyBindGivesTheSameMessages() throws Exception {
    int port = occupiedPort();
    List<Transport> transports = new ArrayList<>(List.of(nio()));
    if (!Transport.best().name().equals("nio")) {
      transports.add(Transport.best());
    }
    for (Transport t : transports) {
      EventLoopGroup group = t.newGroup(1, "addresses-test");
      try {
        HostPort inUse = new HostPort("127.0.0.1", port);
        assertThat(Addresses.bindFailed("listeners[3].address", inUse, bind(t, group, inUse.toAddress())))
            .as(t.name()).hasMessage("listeners[3].address: 127.0.0.1:" + port + " is already in use")
            .hasCauseInstanceOf(Exception.class);
        HostPort foreign = new HostPort("192.0.2.1", 20880);
        assertThat(Addresses.bindFailed("admin.address", foreign, bind(t, group, foreign.toAddress())))
            .as(t.name()).hasMessage("admin.address: cannot listen on 192.0.2.1:20880: 192.0.2.1 is "
                + "not an address of this machine");
        HostPort unresolved = new HostPort("no-such-host.invalid", 20880);
        assertThat(Addresses.bindFailed("listeners[0].address", unresolved,
            bind(t, group, unresolved.toUnresolvedAddress())))
            .as(t.name()).hasMessage("listeners[0].address: cannot resolve host 'no-such-host.invalid'");
      } finally {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
      }
    }
  }

  @Test
  void theDefaultAdminAddressGetsAReminder() {
    HostPort admin = new HostPort("127.0.0.1", 9901);
    assertThat(Addresses.bindFailed("admin.address", admin, new java.net.BindException("Address already in use")))
        .hasMessage("admin.address: 127.0.0.1:9901 is already in use (the admin's default address; set "
            + "admin.address, or admin.enabled: false)");
    assertThat(Addresses.bindFailed("listeners[0].address", new HostPort("127.0.0.1", 20880),
        new IllegalStateException("boom")))
        .hasMessage("listeners[0].address: cannot listen on 127.0.0.1:20880: java.lang.IllegalStateException: boom");
  }

  private static Transport nio() {
    String before = System.getProperty("protean.transport");
    System.setProperty("protean.transport", "nio");
    try {
      return Transport.best();
    } finally {
      if (before == null) {
        System.clearProperty("protean.transport");
      } else {
        System.setProperty("protean.transport", before);
      }
    }
  }

  /** What Proxy sees: the exception {@code bind(...).sync()} throws. */
  private static Throwable bind(Transport t, EventLoopGroup group, InetSocketAddress address) {
    try {
      new ServerBootstrap().group(group).channel(t.serverChannel())
          .childHandler(new ChannelInboundHandlerAdapter()).bind(address).sync().channel().close().sync();
    } catch (Exception e) {
      return e;
    }
    throw new AssertionError(t.name() + " bound " + address);
  }
}
