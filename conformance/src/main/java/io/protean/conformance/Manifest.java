package io.protean.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.protean.wasm.engine.Engine;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * conformance.yaml: the implementations the suite runs, each with the vectors it includes and the
 * ones it excludes (each with its reason). A vector that is neither is a failure, so a new vector
 * cannot go unnoticed.
 */
public record Manifest(List<Entry> entries) {

  /**
   * One implementation's line.
   *
   * @param name     display name
   * @param codec    a native codec name, or null
   * @param module   a Wasm module path (relative to the manifest), or null
   * @param engines  for a module: the engines to run it on
   * @param vectors  the vector directory under vectors/
   * @param include  the vectors it must pass
   * @param exclude  the vectors it skips, with why
   */
  public record Entry(String name, String codec, Path module, List<Engine> engines, String vectors,
      Set<String> include, Map<String, String> exclude) {}

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  public static Manifest load(Path file) throws IOException {
    List<Entry> entries = new ArrayList<>();
    for (JsonNode n : YAML.readTree(file.toFile()).path("implementations")) {
      List<Engine> engines = new ArrayList<>();
      for (JsonNode e : n.path("engines")) {
        engines.add(Engine.valueOf(e.asText().toUpperCase(Locale.ROOT)));
      }
      Set<String> include = new LinkedHashSet<>();
      n.path("include").forEach(i -> include.add(i.asText()));
      Map<String, String> exclude = new LinkedHashMap<>();
      n.path("exclude").fields().forEachRemaining(e -> exclude.put(e.getKey(), e.getValue().asText()));
      exclude.forEach((vector, reason) -> {
        if (reason.isBlank()) {
          throw new IllegalArgumentException(file + ": exclusion of " + vector + " needs a reason");
        }
      });
      entries.add(new Entry(n.path("name").asText(), n.hasNonNull("codec") ? n.get("codec").asText() : null,
          n.hasNonNull("module") ? file.resolveSibling(n.get("module").asText()).normalize() : null,
          engines.isEmpty() ? List.of(Engine.COMPILER, Engine.INTERPRETER) : engines,
          n.path("vectors").asText(), include, exclude));
    }
    return new Manifest(entries);
  }
}
