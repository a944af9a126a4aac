package io.protean.wasm.engine.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import run.endive.compiler.Cache;

/**
 * Endive's compiled classes for a module, kept on disk so that the next start-up skips the
 * compiler (a 2 MB Go module takes ~2 s to compile cold, ~0.1 s to load from here).
 *
 * <p>The directory is {@code $PROTEAN_WASM_CACHE} (or the system property
 * {@code protean.wasm.cache}), default {@code ~/.cache/protean/wasm}; {@code off} disables it.
 * Entries are keyed by the module's digest (Endive's key) and the compiler's own bytes, so an
 * Endive upgrade never loads classes another version wrote. The classes run as JVM code, so the
 * directory is trusted like the proxy's jar: it is created owner-only, and a directory that other
 * users can write to is not used.
 */
public final class CompileCache implements Cache {
  private static final Logger log = LoggerFactory.getLogger(CompileCache.class);
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
  private static volatile CompileCache configured;

  private final Path dir;
  private final String compilerDigest;

  CompileCache(Path dir) {
    this.dir = dir;
    this.compilerDigest = compilerDigest();
  }

  /** The process's cache, or null when it is off or unusable (the reason is logged once). */
  static CompileCache configured() {
    CompileCache c = configured;
    if (c == null) {
      synchronized (CompileCache.class) {
        if (configured == null) {
          configured = open();
        }
        c = configured;
      }
    }
    return c.dir == null ? null : c;
  }

  /** Forgets the configured cache, so the next {@link #configured()} reads the setting again. */
  static void resetForTests() {
    configured = null;
  }

  private static CompileCache open() {
    String setting = System.getProperty("protean.wasm.cache", System.getenv("PROTEAN_WASM_CACHE"));
    if ("off".equals(setting)) {
      return new CompileCache(null);
    }
    Path dir = setting != null && !setting.isBlank() ? Path.of(setting)
        : Path.of(System.getProperty("user.home"), ".cache", "protean", "wasm");
    try {
      Files.createDirectories(dir);
      PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
      if (view != null) {
        PosixFileAttributes a = view.readAttributes();
        if (a.owner().getName().equals(System.getProperty("user.name"))) {
          view.setPermissions(OWNER_ONLY);
        } else if (a.permissions().contains(PosixFilePermission.GROUP_WRITE)
            || a.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
          log.warn("Wasm compile cache {} belongs to {} and others can write to it: not used", dir,
              a.owner().getName());
          return new CompileCache(null);
        }
      }
      return new CompileCache(dir);
    } catch (IOException | UnsupportedOperationException e) {
      log.warn("Wasm compile cache {} unusable ({}): modules are compiled at every start", dir, e.toString());
      return new CompileCache(null);
    }
  }

  @Override
  public byte[] get(String key) throws IOException {
    Path file = file(key);
    return Files.exists(file) ? Files.readAllBytes(file) : null;
  }

  @Override
  public void putIfAbsent(String key, byte[] classes) throws IOException {
    Path file = file(key);
    if (Files.exists(file)) {
      return;
    }
    Path tmp = Files.createTempFile(dir, "entry", ".tmp");
    try {
      Files.write(tmp, classes);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Removes an entry that failed to load, so the next start compiles again. */
  void evict(String key) {
    try {
      Files.deleteIfExists(file(key));
    } catch (IOException e) {
      log.warn("cannot remove Wasm compile cache entry {}: {}", file(key), e.toString());
    }
  }

  Path file(String key) {
    return dir.resolve(sha256((compilerDigest + "\n" + key).getBytes(StandardCharsets.UTF_8)) + ".classes");
  }

  /** The digest of Endive's compiler classes: a different compiler never reads these entries. */
  private static String compilerDigest() {
    try (InputStream in = Cache.class.getResourceAsStream("internal/Compiler.class")) {
      if (in == null) {
        throw new IllegalStateException("Endive's compiler classes are not on the class path");
      }
      return sha256(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
