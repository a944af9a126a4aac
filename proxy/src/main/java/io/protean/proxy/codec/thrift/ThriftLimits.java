package io.protean.proxy.codec.thrift;

/**
 * Every limit of the Thrift codec.
 *
 * @param maxFrameBytes   largest message (default 16 MiB, libthrift's default max frame size);
 *                        a framed length above it is refused from the 4-byte header alone
 * @param maxStringBytes  longest string or binary value while skipping (default 16 MiB)
 * @param maxContainer    most elements in a list, set or map (default 1 << 24)
 * @param maxDepth        deepest struct/container nesting followed when skipping (default 64)
 */
public record ThriftLimits(int maxFrameBytes, int maxStringBytes, int maxContainer, int maxDepth) {
  public static final ThriftLimits DEFAULT = new ThriftLimits(16 << 20, 16 << 20, 1 << 24, 64);

  public ThriftLimits withMaxFrameBytes(int bytes) {
    return new ThriftLimits(bytes, maxStringBytes, maxContainer, maxDepth);
  }
}
