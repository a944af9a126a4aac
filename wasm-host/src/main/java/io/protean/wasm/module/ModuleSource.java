package io.protean.wasm.module;

import io.protean.wasm.WasmLimits;
import io.protean.wasm.engine.Engine;
import io.protean.wasm.guest.GuestModule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Where a module's bytes come from and how they become a {@link GuestModule}: read (again at each
 * reload), then compiled on one engine under one set of limits. The limits travel with the loaded
 * module ({@link GuestModule#limits()}), so the engine and the ABI layers enforce the same ones.
 */
public final class ModuleSource {
  private final String name;
  private final Supplier<byte[]> reader;
  private final Engine engine;
  private final WasmLimits limits;

  /**
   * @param name   the module's display name (logs, metric labels): its file name
   * @param reader returns the module's current bytes; throws IllegalArgumentException, naming
   *               the source, when they cannot be read
   */
  public ModuleSource(String name, Supplier<byte[]> reader, Engine engine, WasmLimits limits) {
    this.name = Objects.requireNonNull(name, "name");
    this.reader = Objects.requireNonNull(reader, "reader");
    this.engine = Objects.requireNonNull(engine, "engine");
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /** A module file, read again at each reload; named by its file name. */
  public static ModuleSource file(Path path, Engine engine, WasmLimits limits) {
    return new ModuleSource(path.getFileName().toString(), () -> {
      try {
        return Files.readAllBytes(path);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read '" + path + "': " + e, e);
      }
    }, engine, limits);
  }

  /** Bytes already in memory: they never change, so a reload always finds the module unchanged. */
  public static ModuleSource of(String name, byte[] wasm, Engine engine, WasmLimits limits) {
    byte[] copy = wasm.clone();
    return new ModuleSource(name, () -> copy, engine, limits);
  }

  public String name() {
    return name;
  }

  public Engine engine() {
    return engine;
  }

  public WasmLimits limits() {
    return limits;
  }

  /**
   * The module's bytes as they are now.
   *
   * @throws IllegalArgumentException naming the source when it cannot be read
   */
  public byte[] read() {
    return reader.get();
  }

  /**
   * Parses, validates and compiles {@code wasm} (bytes from {@link #read()}).
   *
   * @throws IllegalArgumentException if they are not a valid module
   */
  public GuestModule load(byte[] wasm) {
    return engine.load(name, wasm, limits);
  }

  /** Reads and loads the module as it is now. */
  public GuestModule load() {
    return load(read());
  }
}
