package io.protean.wasm.codec;

import io.protean.wasm.guest.GuestModule;
import io.protean.wasm.guest.HostFunctionDef;
import io.protean.wasm.guest.HostFunctionDef.ValueKind;
import io.protean.wasm.module.HostCalls;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The host functions a codec module may import (ABI.md: "Imports a codec may use"). */
final class HostImports {
  private HostImports() {}

  static List<HostFunctionDef> forCodec(GuestModule module) {
    Logger log = LoggerFactory.getLogger("wasm." + module.name());
    return List.of(new HostFunctionDef("env", "proxy_log",
        List.of(ValueKind.I32, ValueKind.I32, ValueKind.I32), List.of(ValueKind.I32),
        HostCalls.guarded((memory, args) -> new long[] {HostCalls.log(log, memory, module.limits(),
            (int) args[0], (int) args[1], (int) args[2])})));
  }
}
