package io.protean.abi.codec;

import io.netty.buffer.ByteBuf;

/** Creates per-connection {@link Codec}s for one protocol. Thread-safe; one per listener/cluster. */
public interface CodecFactory {

  /** The protocol's name as written in config ("dubbo", "thrift", or a Wasm module's name). */
  String protocol();

  /** A new codec for one connection. */
  Codec newCodec();

  /**
   * Whether {@code firstBytes} (not consumed, still owned by the caller) start this protocol; used to
   * auto-detect the protocol of a connection. The default cannot tell.
   */
  default ProtocolMatch match(ByteBuf firstBytes) {
    return ProtocolMatch.NO_MATCH;
  }
}
