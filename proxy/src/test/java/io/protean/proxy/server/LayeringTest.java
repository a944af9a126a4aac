package io.protean.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The rules of the house for proxy/'s packages (../shared/DESIGN.md), read from the sources'
 * imports: no import cycles between packages, and the bottom and side packages import nothing of
 * the layers above them.
 */
class LayeringTest {
  private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
  private static final Pattern IMPORT =
      Pattern.compile("^import (?:static )?io\\.protean\\.proxy\\.([a-z.]+)\\.[A-Z]", Pattern.MULTILINE);

  private static Map<String, Set<String>> imports() throws IOException {
    Map<String, Set<String>> deps = new TreeMap<>();
    try (Stream<Path> files = Files.walk(Path.of("src/main/java/io/protean/proxy"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String s = Files.readString(f);
        Matcher p = PACKAGE.matcher(s);
        assertThat(p.find()).as(f.toString()).isTrue();
        String pkg = p.group(1).replace("io.protean.proxy.", "");
        Set<String> d = deps.computeIfAbsent(pkg, k -> new TreeSet<>());
        for (Matcher m = IMPORT.matcher(s); m.find(); ) {
          if (!m.group(1).equals(pkg)) {
            d.add(m.group(1));
          }
        }
      }
    }
    return deps;
  }

  @Test
  void noPackageImportCycles() throws IOException {
    Map<String, Set<String>> deps = imports();
    List<String> cycles = new ArrayList<>();
    for (String start : deps.keySet()) {
      walk(deps, start, new ArrayList<>(List.of(start)), cycles);
    }
    assertThat(cycles).isEmpty();
  }

  private static void walk(Map<String, Set<String>> deps, String at, List<String> path,
      List<String> cycles) {
    for (String next : deps.getOrDefault(at, Set.of())) {
      if (next.equals(path.get(0))) {
        cycles.add(String.join(" -> ", path) + " -> " + next);
      } else if (!path.contains(next) && path.size() < 12) {
        path.add(next);
        walk(deps, next, path, cycles);
        path.remove(path.size() - 1);
      }
    }
  }

  @Test
  void lowerLayersImportNothingAbove() throws IOException {
    Map<String, Set<String>> deps = imports();
    assertThat(deps.get("loop")).as("loop/").isEmpty();
    assertThat(deps.get("admin")).as("admin/ knows nothing of the proxy").isEmpty();
    assertThat(deps.get("config.model")).as("config/model").isEmpty();
    for (String pkg : List.of("upstream", "cluster", "cluster.lb", "router", "route", "stream")) {
      assertThat(deps.get(pkg)).as(pkg).doesNotContain("server", "listener", "admin", "config.yaml");
    }
    assertThat(deps.get("upstream")).as("upstream/ is below cluster/ and router/")
        .doesNotContain("cluster", "router", "stream");
  }
}
