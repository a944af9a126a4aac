package io.protean.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** The whole manifest (conformance.yaml) as JUnit tests: one container per implementation. */
class ConformanceTest {

  @TestFactory
  Stream<DynamicNode> everyImplementationPassesItsVectors() throws Exception {
    List<CheckResult> results = Conformance.run(Manifest.load(Path.of("conformance.yaml")), Path.of("vectors"));
    assertThat(results).isNotEmpty();
    return results.stream().map(CheckResult::implementation).distinct().map(impl ->
        DynamicContainer.dynamicContainer(impl, results.stream()
            .filter(r -> r.implementation().equals(impl))
            .map(r -> DynamicTest.dynamicTest(r.check(), () ->
                assertThat(r.passed()).as(r.reason()).isTrue()))));
  }
}
