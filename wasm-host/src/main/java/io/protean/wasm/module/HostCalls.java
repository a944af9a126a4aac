package io.protean.wasm.module;

import io.protean.wasm.WasmLimits;
import io.protean.wasm.guest.GuestMemory;
import io.protean.wasm.guest.HostFunctionDef;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;

/**
 * What the host functions of both ABIs share: the proxy-wasm status codes, reading a guest string
 * under the configured limit, and {@code proxy_log}. A host function never throws into the guest:
 * {@link #guarded} turns a bad pointer into {@link #INVALID_MEMORY_ACCESS} and a string over the
 * limit into {@link #BAD_ARGUMENT}.
 */
public final class HostCalls {
  // proxy-wasm 0.2.1 statuses
  public static final int OK = 0;
  public static final int NOT_FOUND = 1;
  public static final int BAD_ARGUMENT = 2;
  public static final int INVALID_MEMORY_ACCESS = 6;
  public static final int UNIMPLEMENTED = 12;

  private HostCalls() {}

  /** A string argument longer than {@link WasmLimits#maxStringBytes()} (or of negative length). */
  public static final class TooLong extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TooLong(long length, int limit) {
      super("string of " + length + " bytes (limit " + limit + ")", null, false, false);
    }
  }

  /** {@code body}, answering a bad pointer or an over-long string with its status. */
  public static HostFunctionDef.Body guarded(HostFunctionDef.Body body) {
    return (memory, args) -> {
      try {
        return body.call(memory, args);
      } catch (GuestMemory.OutOfBounds e) {
        return new long[] {INVALID_MEMORY_ACCESS};
      } catch (TooLong e) {
        return new long[] {BAD_ARGUMENT};
      }
    };
  }

  /**
   * The UTF-8 string at {@code [ptr, ptr + len)}.
   *
   * @throws TooLong when {@code len} is negative or over {@code limits.maxStringBytes()}
   * @throws GuestMemory.OutOfBounds when the bytes lie outside guest memory
   */
  public static String string(GuestMemory memory, WasmLimits limits, int ptr, int len) {
    if (len < 0 || len > limits.maxStringBytes()) {
      throw new TooLong(Integer.toUnsignedLong(len), limits.maxStringBytes());
    }
    return new String(memory.read(ptr, len), StandardCharsets.UTF_8);
  }

  /**
   * {@code proxy_log(level, ptr, len)}: the message to {@code log} at the proxy-wasm level
   * (0 trace, 1 debug, 2 info, 3 warn, 4 error, 5 critical).
   */
  public static int log(Logger log, GuestMemory memory, WasmLimits limits, int level, int ptr, int len) {
    String message = string(memory, limits, ptr, len);
    switch (level) {
      case 0 -> log.trace(message);
      case 1 -> log.debug(message);
      case 2 -> log.info(message);
      case 3 -> log.warn(message);
      default -> log.error(message);
    }
    return OK;
  }
}
