package io.protean.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;

/** What the load generator needs to know about a protocol's frames. */
interface Wire {
  /** A complete request frame, built by the protocol's own library; ids are patched into copies. */
  byte[] request();

  /** Bits of an id below the connection index (the rest of the id names the connection). */
  int connectionShift();

  /** Bits of the protocol's request id the generator may use (non-negative ids). */
  int idBits();

  void writeId(ByteBuf frame, long id);

  long readId(ByteBuf frame);

  /** Splits the response stream into frames (a new handler per connection). */
  ChannelHandler framer();

  /** True for a frame the server sends on its own (a heartbeat), which answers nothing. */
  boolean isServerMessage(ByteBuf frame);

  /** Null when {@code frame} is a successful reply, else why not. */
  String failure(ByteBuf frame);

  /** Where the reply's body (compared byte for byte with the probe's) starts in the frame. */
  int bodyOffset(ByteBuf frame);
}
