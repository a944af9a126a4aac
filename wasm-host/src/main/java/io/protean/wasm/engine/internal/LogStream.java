package io.protean.wasm.engine.internal;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;

/** A guest's WASI stdout/stderr: one log line per line written, capped so a guest cannot flood memory. */
final class LogStream extends OutputStream {
  private static final int MAX_LINE = 8192;
  private final Logger log;
  private final boolean error;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  LogStream(Logger log, boolean error) {
    this.log = log;
    this.error = error;
  }

  @Override
  public void write(int b) {
    if (b == '\n' || line.size() >= MAX_LINE) {
      flush();
      if (b == '\n') {
        return;
      }
    }
    line.write(b);
  }

  @Override
  public void flush() {
    if (line.size() > 0) {
      String text = line.toString(StandardCharsets.UTF_8);
      line.reset();
      if (error) {
        log.warn(text);
      } else {
        log.info(text);
      }
    }
  }
}
