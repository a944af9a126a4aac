package io.protean.proxy.server;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --watch}: watches the configuration file's directory (editors and config-map mounts
 * replace files by renaming, so the file itself cannot be watched) and calls {@code onChange}
 * once the file has been quiet for {@code debounce}: an editor's save is several events.
 */
final class ConfigWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);

  private final Path file;
  private final Duration debounce;
  private final Runnable onChange;
  private final WatchService service;
  private final Thread thread;

  ConfigWatcher(Path file, Duration debounce, Runnable onChange) {
    this.file = file.toAbsolutePath();
    this.debounce = debounce;
    this.onChange = onChange;
    try {
      this.service = FileSystems.getDefault().newWatchService();
      this.file.getParent().register(service, StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
    } catch (IOException e) {
      throw new IllegalStateException("cannot watch " + this.file.getParent() + ": " + e, e);
    }
    this.thread = new Thread(this::run, "protean-config-watch");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
    log.info("watching {} for changes", file);
  }

  private void run() {
    try {
      while (true) {
        WatchKey key = service.take();
        boolean changed = concerns(key);
        // Debounce: wait until no event about the file arrives for a whole period.
        while (true) {
          WatchKey more = service.poll(debounce.toNanos(), TimeUnit.NANOSECONDS);
          if (more == null) {
            break;
          }
          changed |= concerns(more);
        }
        if (changed) {
          log.info("{} changed; reloading", file);
          onChange.run();
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closed
    }
  }

  private boolean concerns(WatchKey key) {
    boolean about = false;
    for (WatchEvent<?> e : key.pollEvents()) {
      // A Kubernetes config map mount swaps its "..data" link instead of touching the file.
      if (e.kind() == StandardWatchEventKinds.OVERFLOW
          || file.getFileName().equals(e.context()) || e.context().toString().startsWith("..")) {
        about = true;
      }
    }
    key.reset();
    return about;
  }

  @Override
  public void close() {
    thread.interrupt();
    try {
      service.close();
    } catch (IOException e) {
      log.debug("closing the watch service: {}", e.toString());
    }
  }
}
