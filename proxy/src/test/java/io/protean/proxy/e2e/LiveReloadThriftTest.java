package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.codec.thrift.gen.Echo;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.layered.TFramedTransport;

/** {@link LiveReloadTest} with libthrift's own generated clients and servers (framed, binary). */
class LiveReloadThriftTest extends LiveReloadTest {

  @Override
  int startUpstream(String name, List<AutoCloseable> closeables) throws Exception {
    EchoServer s = new EchoServer(name, false, true, false);
    closeables.add(s);
    return s.port();
  }

  @Override
  String codec() {
    return "thrift";
  }

  @Override
  String everyCall() {
    return "{key: method, exact: echo}";
  }

  /** Binary Thrift has no header map to set: the filter here denies {@code add} calls. */
  @Override
  String filter() {
    return "{deny: {match: [{key: method, exact: add}], message: no adding here}}";
  }

  @Override
  boolean filterReroutes() {
    return false;
  }

  /** A probe's {@code add} is refused by the filter, or answered once it is gone. */
  @Override
  void checkFilter(boolean on) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    String outcome;
    do {
      try {
        outcome = "answered " + probe.add(1, 2);
      } catch (TApplicationException e) {
        outcome = e.getMessage();
      }
    } while (!outcome.contains(on ? "no adding here" : "answered 3") && System.nanoTime() < deadline);
    assertThat(outcome).contains(on ? "no adding here" : "answered 3");
  }

  private Echo.Client probe;

  @Override
  void started(List<AutoCloseable> closeables) throws Exception {
    probe = newClient("main", closeables);
  }

  @Override
  Call client(String listener, List<AutoCloseable> closeables) throws Exception {
    Echo.Client client = newClient(listener, closeables);
    return () -> {
      String reply = client.echo("x"); // "u1:x"
      return reply.substring(0, reply.indexOf(':'));
    };
  }

  private Echo.Client newClient(String listener, List<AutoCloseable> closeables) throws Exception {
    TTransport transport = new TFramedTransport(new TSocket("127.0.0.1",
        proxy.listenerAddress(listener).getPort(), 10_000));
    transport.open();
    closeables.add(transport::close);
    return new Echo.Client(new TBinaryProtocol(transport));
  }
}
