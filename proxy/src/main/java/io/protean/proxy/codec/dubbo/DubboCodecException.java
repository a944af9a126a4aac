package io.protean.proxy.codec.dubbo;

import io.protean.abi.codec.CodecException;

/** Malformed or oversize Dubbo/hessian2 input. */
public final class DubboCodecException extends CodecException {
  private static final long serialVersionUID = 1L;

  public DubboCodecException(String message) {
    super("dubbo: " + message);
  }
}
