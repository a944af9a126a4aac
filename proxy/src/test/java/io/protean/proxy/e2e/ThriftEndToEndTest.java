package io.protean.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.protean.proxy.Proxy;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TProcessor;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.protocol.TProtocolUtil;
import org.apache.thrift.protocol.TStruct;
import org.apache.thrift.protocol.TType;
import org.apache.thrift.server.TServer;
import org.apache.thrift.server.TThreadPoolServer;
import org.apache.thrift.transport.TServerSocket;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.layered.TFramedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Thrift through the proxy with Apache Thrift's own server (TThreadPoolServer, framed transport,
 * binary protocol) and client-side protocol stack: routing by method and by multiplexed service,
 * one-way calls, error replies as TApplicationException.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ThriftEndToEndTest {

  /** A real libthrift server whose handler answers "NAME:method:text" and records one-way texts. */
  static final class Server implements AutoCloseable {
    final String name;
    final List<String> oneways = new CopyOnWriteArrayList<>();
    final TServer server;
    final TServerSocket socket;
    final Thread thread;

    Server(String name) throws Exception {
      this.name = name;
      socket = new TServerSocket(new InetSocketAddress("127.0.0.1", 0));
      TProcessor processor = (in, out) -> {
        TMessage msg = in.readMessageBegin();
        String text = "";
        in.readStructBegin();
        for (TField f = in.readFieldBegin(); f.type != TType.STOP; f = in.readFieldBegin()) {
          if (f.id == 1 && f.type == TType.STRING) {
            text = in.readString();
          } else {
            TProtocolUtil.skip(in, f.type);
          }
          in.readFieldEnd();
        }
        in.readStructEnd();
        in.readMessageEnd();
        if (msg.type == TMessageType.ONEWAY) {
          oneways.add(text);
          return;
        }
        out.writeMessageBegin(new TMessage(msg.name, TMessageType.REPLY, msg.seqid));
        out.writeStructBegin(new TStruct("result"));
        out.writeFieldBegin(new TField("success", TType.STRING, (short) 0));
        out.writeString(name + ":" + msg.name + ":" + text);
        out.writeFieldEnd();
        out.writeFieldStop();
        out.writeStructEnd();
        out.writeMessageEnd();
        out.getTransport().flush();
      };
      server = new TThreadPoolServer(new TThreadPoolServer.Args(socket).processor(processor)
          .transportFactory(new TFramedTransport.Factory()).protocolFactory(new TBinaryProtocol.Factory())
          .minWorkerThreads(2).maxWorkerThreads(8));
      thread = new Thread(server::serve, "thrift-" + name);
      thread.setDaemon(true);
      thread.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!server.isServing() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    }

    int port() {
      return socket.getServerSocket().getLocalPort();
    }

    @Override
    public void close() {
      server.stop();
      socket.close();
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A libthrift client protocol stack (framed, binary) on one connection. */
  static final class Client implements AutoCloseable {
    final TTransport transport;
    final TProtocol p;
    int seq;

    Client(int port) throws Exception {
      transport = new TFramedTransport(new TSocket("127.0.0.1", port, 15_000));
      transport.open();
      p = new TBinaryProtocol(transport);
    }

    void send(String method, byte type, String text) throws Exception {
      p.writeMessageBegin(new TMessage(method, type, ++seq));
      p.writeStructBegin(new TStruct("args"));
      p.writeFieldBegin(new TField("text", TType.STRING, (short) 1));
      p.writeString(text);
      p.writeFieldEnd();
      p.writeFieldStop();
      p.writeStructEnd();
      p.writeMessageEnd();
      transport.flush();
    }

    /** Calls and returns the answer; a TApplicationException is thrown as libthrift would. */
    String call(String method, String text) throws Exception {
      send(method, TMessageType.CALL, text);
      TMessage m = p.readMessageBegin();
      assertThat(m.seqid).as("seq id of the answer").isEqualTo(seq);
      if (m.type == TMessageType.EXCEPTION) {
        TApplicationException e = TApplicationException.readFrom(p);
        p.readMessageEnd();
        throw e;
      }
      p.readStructBegin();
      TField f = p.readFieldBegin();
      String result = p.readString();
      p.readFieldEnd();
      p.readFieldBegin();
      p.readStructEnd();
      p.readMessageEnd();
      assertThat(f.id).isZero();
      return result;
    }

    @Override
    public void close() {
      transport.close();
    }
  }

  @Test
  void routesAnswersAndFailsLikeAThriftServer() throws Exception {
    try (Server a = new Server("A");
        Server b = new Server("B");
        Proxy proxy = Proxy.start(Proxy.configLoader().parse("""
            workers: 1
            admin: {enabled: false}
            listeners:
              - name: thrift
                address: 127.0.0.1:0
                codec: {thrift: {transport: framed, protocol: binary}}
                routes:
                  - match: {metadata: [{key: service, exact: Calc}]}
                    cluster: b
                  - match: {metadata: [{key: method, prefix: get}]}
                    cluster: a
            clusters:
              - {name: a, endpoints: ["127.0.0.1:%d"]}
              - {name: b, endpoints: ["127.0.0.1:%d"]}
            """.formatted(a.port(), b.port())));
        Client c1 = new Client(proxy.listenerAddress("thrift").getPort());
        Client c2 = new Client(proxy.listenerAddress("thrift").getPort())) {
      assertThat(c1.call("getUser", "42")).isEqualTo("A:getUser:42");
      assertThat(c1.call("Calc:add", "1+2")).isEqualTo("B:Calc:add:1+2");

      // No route: a TApplicationException with the proxy's message, and the connection goes on.
      try {
        c1.call("deleteUser", "x");
        throw new AssertionError("expected a TApplicationException");
      } catch (TApplicationException e) {
        assertThat(e.getType()).isEqualTo(TApplicationException.UNKNOWN_METHOD);
        assertThat(e.getMessage()).startsWith("protean: no route matches");
      }
      assertThat(c1.call("getAgain", "y")).isEqualTo("A:getAgain:y");

      // One-way: delivered, never answered.
      c2.send("getLog", TMessageType.ONEWAY, "note");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (a.oneways.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(a.oneways).containsExactly("note");

      // Two clients at once share the proxy's upstream connection; seq ids are restored.
      CompletableFuture<String> x = CompletableFuture.supplyAsync(() -> call(c1, "getX", "1"));
      CompletableFuture<String> y = CompletableFuture.supplyAsync(() -> call(c2, "getY", "2"));
      assertThat(x.get(10, TimeUnit.SECONDS)).isEqualTo("A:getX:1");
      assertThat(y.get(10, TimeUnit.SECONDS)).isEqualTo("A:getY:2");
    }
  }

  private static String call(Client c, String method, String text) {
    try {
      return c.call(method, text);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
