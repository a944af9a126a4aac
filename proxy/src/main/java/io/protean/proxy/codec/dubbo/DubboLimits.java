package io.protean.proxy.codec.dubbo;

/**
 * Every size limit of the Dubbo codec, in one place.
 *
 * @param maxBodyBytes      largest frame body accepted (default 8 MiB, Dubbo's own default
 *                          {@code payload} limit); a larger length in a header closes the
 *                          connection before any body byte is buffered
 * @param maxNestingDepth   deepest nesting of lists, maps and objects the hessian2 skipper follows
 *                          (default 64)
 * @param maxClassDefs      most hessian2 class definitions in one body, and most fastjson2 JSONB
 *                          symbols in one value (default 1024)
 * @param maxValueChars     longest metadata string (service, method, attachment key or value)
 *                          taken into metadata (default 65536 chars); longer attachments are
 *                          skipped, a longer service or method name is an error
 * @param maxMetadataKeys   most attachments taken into metadata (default 256); the rest are
 *                          forwarded but not routable
 */
public record DubboLimits(
    int maxBodyBytes, int maxNestingDepth, int maxClassDefs, int maxValueChars, int maxMetadataKeys) {

  public static final DubboLimits DEFAULT = new DubboLimits(8 << 20, 64, 1024, 65536, 256);

  public DubboLimits {
    if (maxBodyBytes <= 0 || maxNestingDepth <= 0 || maxClassDefs <= 0 || maxValueChars <= 0
        || maxMetadataKeys <= 0) {
      throw new IllegalArgumentException("every Dubbo limit must be positive");
    }
  }

  public DubboLimits withMaxBodyBytes(int bytes) {
    return new DubboLimits(bytes, maxNestingDepth, maxClassDefs, maxValueChars, maxMetadataKeys);
  }
}
