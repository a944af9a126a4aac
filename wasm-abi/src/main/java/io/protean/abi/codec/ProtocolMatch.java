package io.protean.abi.codec;

/** Answer of {@link CodecFactory#match}: does this connection's first bytes look like my protocol? */
public enum ProtocolMatch {
  MATCH,
  NO_MATCH,
  NEED_MORE_DATA
}
