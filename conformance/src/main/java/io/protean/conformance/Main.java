package io.protean.conformance;

import io.protean.wasm.engine.Engine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code protean conformance}: checks a codec against the vectors of its protocol.
 *
 * <pre>
 * protean conformance --module my.wasm --protocol dubbo [--vectors DIR] [--engine both]
 * protean conformance --codec dubbo
 * protean conformance --manifest conformance/conformance.yaml
 * </pre>
 */
@Command(name = "protean conformance", mixinStandardHelpOptions = true,
    description = "Check a codec (Wasm module or native) against conformance vectors.")
public final class Main implements Callable<Integer> {
  @Option(names = "--module", description = "a Wasm codec module")
  Path module;

  @Option(names = "--codec", description = "a native codec by name (dubbo)")
  String codec;

  @Option(names = "--protocol", description = "the vector directory under --vectors-root (default: the codec name)")
  String protocol;

  @Option(names = "--vectors", description = "a vector directory (default: <vectors-root>/<protocol>)")
  Path vectors;

  /** The launcher sets protean.vectors.root to its checkout's vectors, whatever the working directory. */
  @Option(names = "--vectors-root", defaultValue = "${sys:protean.vectors.root:-conformance/vectors}",
      description = "default: ${DEFAULT-VALUE}")
  Path vectorsRoot;

  @Option(names = "--engine", defaultValue = "both", description = "compiler, interpreter or both (default)")
  String engine;

  @Option(names = "--manifest", description = "run every implementation of a manifest instead")
  Path manifest;

  @Option(names = "--report-dir", defaultValue = "target/conformance", description = "default: ${DEFAULT-VALUE}")
  Path reportDir;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    try {
      return check();
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage()); // a vector file or an option: the message says which
      return 2;
    }
  }

  private int check() throws Exception {
    List<CheckResult> results;
    if (manifest != null) {
      results = Conformance.run(Manifest.load(manifest), manifest.resolveSibling("vectors"));
    } else {
      if ((module == null) == (codec == null)) {
        System.err.println("give exactly one of --module and --codec (or --manifest)");
        return 2;
      }
      String proto = protocol != null ? protocol : codec;
      if (proto == null) {
        System.err.println("--protocol is required with --module");
        return 2;
      }
      Path dir = vectors != null ? vectors : vectorsRoot.resolve(proto);
      List<Vector> all;
      if (java.nio.file.Files.isDirectory(dir)) {
        all = Vector.loadAll(dir);
      } else if (vectors != null) {
        System.err.println("no vector directory " + dir);
        return 2;
      } else {
        // A protocol nobody wrote vectors for yet: the checks that need none still run.
        all = List.of();
      }
      if (all.isEmpty()) {
        System.err.println("no vectors for protocol '" + proto + "' in " + dir + ": only the checks"
            + " that need none run (random-bytes); write vectors there for the rest"
            + " (docs/conformance.md)");
      }
      List<Implementation> impls = new ArrayList<>();
      if (codec != null) {
        impls.add(Implementation.nativeCodec(codec, codec));
      } else {
        for (Engine e : engine.equals("both") ? List.of(Engine.COMPILER, Engine.INTERPRETER)
            : List.of(Engine.valueOf(engine.toUpperCase(java.util.Locale.ROOT)))) {
          impls.add(Implementation.wasm(module.getFileName().toString(), module, e));
        }
      }
      results = new ArrayList<>();
      for (Implementation impl : impls) {
        Suite suite = new Suite(impl, proto);
        results.addAll(all.isEmpty() ? suite.runWithoutVectors() : suite.run(all));
      }
    }
    Reports.table(results, System.out);
    Reports.write(results, reportDir);
    System.out.println("reports: " + reportDir.resolve("conformance.json") + ", "
        + reportDir.resolve("conformance-junit.xml"));
    return results.stream().allMatch(CheckResult::passed) ? 0 : 1;
  }
}
