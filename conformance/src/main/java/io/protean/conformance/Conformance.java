package io.protean.conformance;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Runs a manifest: every implementation on its vectors, plus the include/exclude bookkeeping. */
public final class Conformance {
  private Conformance() {}

  /** Results for every implementation (and engine) of the manifest. */
  public static List<CheckResult> run(Manifest manifest, Path vectorsRoot) {
    List<CheckResult> results = new ArrayList<>();
    for (Manifest.Entry e : manifest.entries()) {
      List<Vector> all = Vector.loadAll(vectorsRoot.resolve(e.vectors()));
      List<Vector> included = new ArrayList<>();
      List<CheckResult> bookkeeping = new ArrayList<>();
      Set<String> names = new java.util.HashSet<>();
      for (Vector v : all) {
        names.add(v.name());
        if (e.include().contains(v.name())) {
          included.add(v);
        } else if (!e.exclude().containsKey(v.name())) {
          bookkeeping.add(new CheckResult(e.name(), v.name(), false,
              "vector is neither included nor excluded for " + e.name(), 0));
        }
      }
      for (String missing : e.include()) {
        if (!names.contains(missing)) {
          bookkeeping.add(new CheckResult(e.name(), missing, false, "included vector does not exist", 0));
        }
      }
      List<Implementation> impls = new ArrayList<>();
      if (e.codec() != null) {
        impls.add(Implementation.nativeCodec(e.name(), e.codec()));
      } else {
        e.engines().forEach(engine -> impls.add(Implementation.wasm(e.name(), e.module(), engine)));
      }
      for (Implementation impl : impls) {
        results.addAll(bookkeeping.stream().map(b -> new CheckResult(impl.name(), b.check(), false,
            b.reason(), 0)).toList());
        results.addAll(new Suite(impl, e.vectors()).run(included));
      }
    }
    return results;
  }
}
