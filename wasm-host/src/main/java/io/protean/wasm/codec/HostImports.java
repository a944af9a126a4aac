package io.protean.wasm.codec;

import io.protean.wasm.GuestLog;
import io.protean.wasm.WasmLimits;
import io.protean.wasm.guest.GuestMemory;
import io.protean.wasm.guest.HostFunctionDef;
import io.protean.wasm.guest.HostFunctionDef.ValueKind;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The host functions a codec module may import (ABI.md: "Imports a codec may use"). */
final class HostImports {
  /** proxy-wasm status codes. */
  static final int OK = 0;
  static final int BAD_ARGUMENT = 2;
  static final int INVALID_MEMORY_ACCESS = 6;

  private HostImports() {}

  static List<HostFunctionDef> forCodec(String module) {
    Logger log = LoggerFactory.getLogger("wasm." + module);
    return List.of(new HostFunctionDef("env", "proxy_log",
        List.of(ValueKind.I32, ValueKind.I32, ValueKind.I32), List.of(ValueKind.I32),
        (memory, args) -> new long[] {log(log, memory, (int) args[0], (int) args[1], (int) args[2])}));
  }

  private static int log(Logger log, GuestMemory memory, int level, int ptr, int len) {
    if (len < 0 || len > WasmLimits.DEFAULT.maxStringBytes()) {
      return BAD_ARGUMENT;
    }
    String message;
    try {
      message = new String(memory.read(ptr, len), StandardCharsets.UTF_8);
    } catch (GuestMemory.OutOfBounds e) {
      return INVALID_MEMORY_ACCESS;
    }
    GuestLog.log(log, level, message);
    return OK;
  }
}
