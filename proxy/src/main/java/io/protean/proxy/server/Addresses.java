package io.protean.proxy.server;

import io.netty.channel.unix.Errors.NativeIoException;
import io.protean.proxy.config.model.ConfigException;
import io.protean.proxy.config.model.HostPort;
import io.protean.proxy.config.model.ProxyConfig;
import io.protean.proxy.config.model.ProxyConfig.ListenerConfig;
import io.protean.proxy.config.yaml.ConfigLoader;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The checks on listen addresses that need the machine: does each host resolve, is each address
 * free. The loader checks what the file alone shows (two listeners on one address); this finds
 * what only the OS knows (a port another process holds, a host that is not an address of this
 * machine, two host names for one address), and turns a failed bind into the same one-line
 * message naming the field.
 */
public final class Addresses {
  // Linux errno values, as Netty's epoll transport reports them (negated) in NativeIoException.
  private static final int EACCES = 13;
  private static final int EADDRINUSE = 98;
  private static final int EADDRNOTAVAIL = 99;

  private Addresses() {}

  /**
   * Resolves every listener's and the admin's host and listens on each address with a plain
   * socket, all held open together (so two names for one address collide as they would in the
   * proxy), then closes them all. Port 0 is bound too, which checks that the host is an address
   * of this machine. Cluster endpoints are not resolved: they are looked up at connect time, so a
   * name that does not resolve yet does not stop the proxy.
   *
   * @param alreadyOurs addresses to skip because the calling proxy listens on them itself (a
   *                    reload); {@code a -> false} when nothing runs yet
   * @throws ConfigException naming the field: {@code listeners[0].address: cannot resolve host
   *     'foo'}, {@code listeners[0].address: 127.0.0.1:20880 is already in use}, {@code
   *     listeners[1].address: localhost:20880 is already used by listener 'a' (127.0.0.1:20880)}
   */
  public static void checkBindable(ProxyConfig config, Predicate<HostPort> alreadyOurs) {
    List<Target> targets = new ArrayList<>();
    for (int i = 0; i < config.listeners().size(); i++) {
      ListenerConfig l = config.listeners().get(i);
      targets.add(new Target("listeners[" + i + "].address", l.address(), "listener '" + l.name() + "'"));
    }
    if (config.admin() != null) {
      targets.add(new Target("admin.address", config.admin().address(), "the admin"));
    }
    List<Held> held = new ArrayList<>();
    try {
      for (Target t : targets) {
        if (alreadyOurs.test(t.address)) {
          continue;
        }
        InetSocketAddress resolved = resolve(t.field, t.address);
        try {
          held.add(new Held(t, resolved, listen(resolved)));
        } catch (IOException e) {
          throw clash(t, resolved, held, e);
        }
      }
    } finally {
      held.forEach(h -> close(h.socket));
    }
  }

  /**
   * The message for a bind of {@code address} (the value of {@code fieldPath}) that failed with
   * {@code cause}, as thrown by Netty's {@code bind(...).sync()} on epoll
   * ({@code Errors.NativeIoException}) or NIO ({@code BindException}), or an unresolved address.
   * Any other cause still gives one line, with the cause's own message; the cause is attached.
   *
   * @return {@code listeners[0].address: 127.0.0.1:20880 is already in use} and the like
   */
  public static ConfigException bindFailed(String fieldPath, HostPort address, Throwable cause) {
    ConfigException e = new ConfigException(fieldPath, problem(address, cause)
        + (fieldPath.equals("admin.address") ? ConfigLoader.adminHint(address) : ""));
    e.initCause(cause);
    return e;
  }

  private record Target(String field, HostPort address, String owner) {}

  private record Held(Target target, InetSocketAddress address, ServerSocket socket) {}

  private static InetSocketAddress resolve(String field, HostPort address) {
    InetSocketAddress resolved = address.toAddress();
    if (resolved.isUnresolved()) {
      throw new ConfigException(field, "cannot resolve host '" + address.host() + "'");
    }
    return resolved;
  }

  /** Listens as a listener does (SO_REUSEADDR, so a closed connection's TIME_WAIT is no clash). */
  private static ServerSocket listen(InetSocketAddress address) throws IOException {
    ServerSocket socket = new ServerSocket();
    try {
      socket.setReuseAddress(true);
      socket.bind(address, 1);
      return socket;
    } catch (IOException e) {
      close(socket);
      throw e;
    }
  }

  /**
   * Why {@code t} could not listen: if it can once the sockets held for the earlier targets are
   * closed, it clashes with one of them; else whatever the OS said.
   */
  private static ConfigException clash(Target t, InetSocketAddress resolved, List<Held> held,
      IOException failure) {
    if (!held.isEmpty() && resolved.getPort() != 0) {
      held.forEach(h -> close(h.socket));
      try {
        close(listen(resolved));
        Held earlier = held.stream().filter(h -> overlaps(h.address, resolved)).findFirst()
            .orElse(held.get(0));
        return new ConfigException(t.field, t.address + " is already used by "
            + earlier.target.owner + " (" + earlier.target.address + ")"
            + (t.field.equals("admin.address") ? ConfigLoader.adminHint(t.address) : ""));
      } catch (IOException stillFails) {
        // not a clash among our own addresses
      }
    }
    return bindFailed(t.field, t.address, failure);
  }

  private static boolean overlaps(InetSocketAddress a, InetSocketAddress b) {
    return a.getPort() == b.getPort() && (a.getAddress().equals(b.getAddress())
        || a.getAddress().isAnyLocalAddress() || b.getAddress().isAnyLocalAddress());
  }

  private static String problem(HostPort address, Throwable cause) {
    for (Throwable c = cause; c != null; c = c.getCause()) {
      if (c instanceof UnresolvedAddressException || c instanceof UnknownHostException) {
        return "cannot resolve host '" + address.host() + "'";
      }
      if (c instanceof NativeIoException n) {
        switch (-n.expectedErr()) {
          case EADDRINUSE:
            return inUse(address);
          case EADDRNOTAVAIL:
            return notLocal(address);
          case EACCES:
            return "cannot listen on " + address + ": permission denied" + privilegedHint(address);
          default:
            return "cannot listen on " + address + ": " + n.getMessage();
        }
      }
      if (c instanceof BindException) {
        // The JDK says which errno only in the message; decide by what can be checked instead.
        InetAddress ip = address.toAddress().getAddress();
        if (ip != null && !isLocal(ip)) {
          return notLocal(address);
        }
        if (address.port() >= 1024) {
          return inUse(address);
        }
        return "cannot listen on " + address + ": " + c.getMessage() + privilegedHint(address);
      }
    }
    return "cannot listen on " + address + ": " + cause;
  }

  private static String inUse(HostPort address) {
    return address + " is already in use";
  }

  private static String notLocal(HostPort address) {
    return "cannot listen on " + address + ": " + address.host()
        + " is not an address of this machine";
  }

  private static String privilegedHint(HostPort address) {
    return address.port() > 0 && address.port() < 1024
        ? " (a port below 1024 needs root or CAP_NET_BIND_SERVICE)" : "";
  }

  private static boolean isLocal(InetAddress ip) {
    if (ip.isAnyLocalAddress() || ip.isLoopbackAddress()) {
      return true; // Linux answers for all of 127.0.0.0/8, not only the interface's address
    }
    try {
      return NetworkInterface.getByInetAddress(ip) != null;
    } catch (SocketException e) {
      return true; // cannot tell: do not claim it is foreign
    }
  }

  private static void close(ServerSocket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing a listening socket we opened: nothing to do
    }
  }
}
