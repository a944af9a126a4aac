/**
 * The narrow seam between the ABI layers ({@code codec}, {@code filter}) and the Wasm runtime: a
 * loaded module, its instances, their exported functions and bounds-checked memory, the host
 * functions offered to them, and the one failure type. Runtime-neutral; imports nothing of the
 * host but {@link io.protean.wasm.WasmLimits}.
 *
 * <p>Layers, each importing only those below it: {@code io.protean.wasm} (limits) ←
 * {@code guest} (this seam) ← {@code engine.internal} (the Endive binding, implements the seam) ←
 * {@code engine} ({@link io.protean.wasm.engine.Engine}, the entry point that loads modules) ←
 * {@code module} (what both ABIs share: module options and source, reload, metrics, host-call
 * plumbing) ← {@code codec}, {@code filter} (the ABIs).
 */
package io.protean.wasm.guest;
