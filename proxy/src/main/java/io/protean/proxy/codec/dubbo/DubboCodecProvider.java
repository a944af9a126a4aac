package io.protean.proxy.codec.dubbo;

import io.protean.abi.codec.CodecFactory;
import io.protean.abi.codec.CodecProvider;
import java.util.Map;

/**
 * {@code codec: dubbo} or {@code codec: {dubbo: {max_body_size: 16777216}}} (bytes; default
 * 8388608, Dubbo's own payload limit).
 */
public final class DubboCodecProvider implements CodecProvider {

  @Override
  public String name() {
    return "dubbo";
  }

  @Override
  public CodecFactory create(Map<String, Object> options) {
    DubboLimits limits = DubboLimits.DEFAULT;
    for (Map.Entry<String, Object> e : options.entrySet()) {
      if (!e.getKey().equals("max_body_size")) {
        throw new IllegalArgumentException(e.getKey() + ": unknown option (expected max_body_size)");
      }
      if (!(e.getValue() instanceof Integer n) || n <= 0) {
        throw new IllegalArgumentException("max_body_size: expected a positive number of bytes, found '"
            + e.getValue() + "'");
      }
      limits = limits.withMaxBodyBytes(n);
    }
    return new DubboCodecFactory(limits);
  }
}
