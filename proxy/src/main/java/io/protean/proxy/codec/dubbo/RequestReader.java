package io.protean.proxy.codec.dubbo;

import java.util.List;

/**
 * What parsing a request or response body needs from a serialization's reader ({@link Hessian2Reader},
 * {@link JsonbReader}): the same values in the same order, each read in its own encoding.
 */
sealed interface RequestReader permits Hessian2Reader, JsonbReader {
  /** Where the next value starts (a position in the reader's array). */
  int position();

  boolean atEnd();

  /** An error naming the problem and where it is. */
  DubboCodecException error(String problem);

  /** The next value, a string (or null), at most {@code maxChars} long. */
  String readText(String what, int maxChars);

  /** The next value, a String[]; null after skipping any other value. */
  List<String> readTextList(String what, int maxChars);

  /** Skips the next value, an argument. */
  void skipArgument();
}
