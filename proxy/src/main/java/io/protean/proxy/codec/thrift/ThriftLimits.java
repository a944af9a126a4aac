package io.protean.proxy.codec.thrift;

/**
 * Every size limit of the Thrift codec, in one place. Defaults follow libthrift 0.20's
 * {@code TConfiguration}.
 *
 * @param maxFrameBytes     largest message accepted, frame length prefix excluded (default
 *                          16384000, libthrift's {@code DEFAULT_MAX_FRAME_SIZE}); a framed
 *                          message's length is refused from the 4-byte prefix alone, an unframed
 *                          message as soon as a declared length would carry it past the limit
 * @param maxStringBytes    longest string or binary value, method names included (default
 *                          16384000: libthrift sets no string limit of its own, so the frame size
 *                          is the real bound)
 * @param maxContainerSize  most elements in one list, set or map (default 16384000: every element
 *                          takes at least one byte, so a maximal frame cannot hold more; libthrift
 *                          sets no container limit of its own)
 * @param maxNestingDepth   deepest nesting of structs and containers the skipper follows (default
 *                          64, libthrift's {@code DEFAULT_RECURSION_DEPTH})
 */
public record ThriftLimits(int maxFrameBytes, int maxStringBytes, int maxContainerSize,
    int maxNestingDepth) {

  public static final ThriftLimits DEFAULT = new ThriftLimits(16_384_000, 16_384_000, 16_384_000, 64);

  public ThriftLimits {
    if (maxFrameBytes <= 0 || maxStringBytes <= 0 || maxContainerSize <= 0 || maxNestingDepth <= 0) {
      throw new IllegalArgumentException("every Thrift limit must be positive");
    }
  }

  public ThriftLimits withMaxFrameBytes(int bytes) {
    return new ThriftLimits(bytes, maxStringBytes, maxContainerSize, maxNestingDepth);
  }
}
