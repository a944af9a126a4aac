package io.protean.proxy.codec.thrift;

import io.protean.abi.codec.CodecException;

/** Malformed or oversize Thrift input, or an operation Thrift cannot do. */
public final class ThriftCodecException extends CodecException {
  private static final long serialVersionUID = 1L;

  public ThriftCodecException(String message) {
    super("thrift: " + message);
  }
}
