package io.protean.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.protean.proxy.codec.thrift.gen.Echo;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TException;
import org.apache.thrift.TSerializable;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.transport.TMemoryBuffer;
import org.apache.thrift.transport.TMemoryInputTransport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The generator in Thrift mode against a fake framed-binary server whose replies libthrift
 * writes, every 10th of them spoilt: each spoilt reply must count as exactly one error.
 */
class ThriftLoadErrorsTest {

  /** How every 10th reply is spoilt, and what the generator's error message then says. */
  enum Fault {
    WRONG_TEXT("body differs"),
    EXCEPTION("message type 3"),
    OTHER_METHOD("another method"),
    UNKNOWN_SEQ_ID("not in flight"),
    MISSING("missing");

    final String message;

    Fault(String message) {
      this.message = message;
    }
  }

  /** A framed binary message written by libthrift. */
  private static ByteBuf frame(TMessage header, TSerializable body) throws TException {
    TMemoryBuffer buffer = new TMemoryBuffer(128);
    TBinaryProtocol out = new TBinaryProtocol(buffer);
    out.writeMessageBegin(header);
    body.write(out);
    out.writeMessageEnd();
    return Unpooled.buffer(4 + buffer.length()).writeInt(buffer.length())
        .writeBytes(buffer.getArray(), 0, buffer.length());
  }

  private static Channel fakeServer(EventLoopGroup group, Fault fault, AtomicLong spoilt) {
    AtomicLong calls = new AtomicLong();
    return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(1 << 20, 0, 4, 0, 4),
                new ChannelInboundHandlerAdapter() {
                  @Override
                  public void channelRead(ChannelHandlerContext ctx, Object msg) throws TException {
                    ByteBuf request = (ByteBuf) msg;
                    byte[] bytes = ByteBufUtil.getBytes(request);
                    request.release();
                    TBinaryProtocol in = new TBinaryProtocol(new TMemoryInputTransport(bytes));
                    TMessage call = in.readMessageBegin();
                    Echo.echo_args args = new Echo.echo_args();
                    args.read(in);
                    // Call 1 is the generator's probe, which must succeed.
                    boolean spoil = calls.incrementAndGet() % 10 == 0;
                    if (spoil) {
                      spoilt.incrementAndGet();
                    }
                    ctx.writeAndFlush(reply(spoil ? fault : null, call, args.getText(), ctx));
                  }
                });
          }
        }).bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
  }

  /** The reply to {@code call}, spoilt as {@code fault} says (null: a good reply). */
  private static ByteBuf reply(Fault fault, TMessage call, String text, ChannelHandlerContext ctx)
      throws TException {
    TMessage ok = new TMessage(call.name, TMessageType.REPLY, call.seqid);
    if (fault == null) {
      return frame(ok, new Echo.echo_result().setSuccess(text));
    }
    return switch (fault) {
      case WRONG_TEXT -> frame(ok, new Echo.echo_result().setSuccess(text + "!"));
      case EXCEPTION -> frame(new TMessage(call.name, TMessageType.EXCEPTION, call.seqid),
          new TApplicationException(TApplicationException.INTERNAL_ERROR, "spoilt"));
      case OTHER_METHOD -> frame(new TMessage("add", TMessageType.REPLY, call.seqid),
          new Echo.echo_result().setSuccess(text));
      case UNKNOWN_SEQ_ID -> {
        // A stray reply first (an id no connection of the generator uses), then the right one.
        ctx.write(frame(new TMessage(call.name, TMessageType.REPLY, call.seqid ^ (1 << 30)),
            new Echo.echo_result().setSuccess(text)));
        yield frame(ok, new Echo.echo_result().setSuccess(text));
      }
      case MISSING -> Unpooled.EMPTY_BUFFER;
    };
  }

  @ParameterizedTest
  @EnumSource(Fault.class)
  void everySpoiltReplyIsOneError(Fault fault) throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    AtomicLong spoilt = new AtomicLong();
    try {
      Channel server = fakeServer(group, fault, spoilt);
      RpcLoad load = RpcLoadTest.load("thrift",
          ((InetSocketAddress) server.localAddress()).getPort(), 32);
      load.warmupSeconds = 0.1;
      load.durationSeconds = 0.4;
      load.drainSeconds = 2; // what MISSING waits for before counting
      RpcLoad.Result r = load.run();
      server.close().syncUninterruptibly();

      assertThat(spoilt.get()).isPositive();
      assertThat(r.errors()).isEqualTo(spoilt.get());
      assertThat(r.ok()).isFalse();
      assertThat(r.errorSamples()).isNotEmpty().allMatch(s -> s.contains(fault.message));
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
