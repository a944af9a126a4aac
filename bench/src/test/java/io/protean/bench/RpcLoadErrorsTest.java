package io.protean.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
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
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The generator against a fake server that answers the probe well and then corrupts every
 * {@code n}-th answer: each corrupted answer must count as an error.
 */
class RpcLoadErrorsTest {

  /** Answers each request frame with its own bytes as the body, status OK; every n-th altered. */
  private static Channel fakeServer(EventLoopGroup group, int corruptEvery, boolean badStatus) {
    AtomicLong count = new AtomicLong();
    return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(1 << 20, 12, 4, 0, 0),
                new ChannelInboundHandlerAdapter() {
                  @Override
                  public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf req = (ByteBuf) msg;
                    ByteBuf res = ctx.alloc().buffer(req.readableBytes());
                    res.writeBytes(req);
                    req.release();
                    res.setByte(2, 0x02); // a response, hessian2
                    res.setByte(RequestFrames.STATUS_OFFSET, RequestFrames.STATUS_OK);
                    if (count.incrementAndGet() % corruptEvery == 0) {
                      if (badStatus) {
                        res.setByte(RequestFrames.STATUS_OFFSET, 70); // SERVER_ERROR
                      } else {
                        int last = res.writerIndex() - 1;
                        res.setByte(last, res.getByte(last) ^ 0x01);
                      }
                    }
                    ctx.writeAndFlush(res);
                  }
                });
          }
        }).bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
  }

  private static RpcLoad.Result runAgainst(int corruptEvery, boolean badStatus)
      throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      Channel server = fakeServer(group, corruptEvery, badStatus);
      RpcLoad load = new RpcLoad();
      load.target = "127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
      load.connections = 2;
      load.inflight = 4;
      load.warmupSeconds = 0.1;
      load.durationSeconds = 0.4;
      load.payloadBytes = 32;
      load.threads = 1;
      load.drainSeconds = 2;
      RpcLoad.Result r = load.run();
      server.close().syncUninterruptibly();
      return r;
    } finally {
      group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void aWrongBodyIsAnError() throws Exception {
    RpcLoad.Result r = runAgainst(10, false);
    assertThat(r.errors()).isPositive();
    assertThat(r.ok()).isFalse();
    assertThat(r.errorSamples()).anyMatch(s -> s.contains("body differs"));
  }

  @Test
  void aBadStatusIsAnError() throws Exception {
    RpcLoad.Result r = runAgainst(10, true);
    assertThat(r.errors()).isPositive();
    assertThat(r.ok()).isFalse();
    assertThat(r.errorSamples()).anyMatch(s -> s.contains("status 70"));
  }
}
