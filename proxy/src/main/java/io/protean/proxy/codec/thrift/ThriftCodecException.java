package io.protean.proxy.codec.thrift;

import io.protean.abi.codec.CodecException;

/** Malformed, oversize or unsupported Thrift input. */
public final class ThriftCodecException extends CodecException {
  private static final long serialVersionUID = 1L;

  public ThriftCodecException(String message) {
    super("thrift: " + message);
  }
}
