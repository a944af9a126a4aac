package io.protean.conformance;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The pass/fail table, and the JSON and JUnit XML report files. */
public final class Reports {
  private Reports() {}

  public static void table(List<CheckResult> results, PrintStream out) {
    int w = results.stream().mapToInt(r -> r.implementation().length()).max().orElse(10);
    int c = results.stream().mapToInt(r -> r.check().length()).max().orElse(10);
    String format = "%-" + w + "s  %-" + c + "s  %s%s%n";
    out.printf(format, "implementation", "check", "result", "");
    for (CheckResult r : results) {
      out.printf(format, r.implementation(), r.check(), r.passed() ? "pass" : "FAIL",
          r.passed() ? "" : "  " + r.reason());
    }
    long failed = results.stream().filter(r -> !r.passed()).count();
    out.printf("%d checks, %d passed, %d failed%n", results.size(), results.size() - failed, failed);
  }

  public static void write(List<CheckResult> results, Path dir) throws IOException {
    Files.createDirectories(dir);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(dir.resolve("conformance.json").toFile(), results);
    Map<String, List<CheckResult>> bySuite = new LinkedHashMap<>();
    results.forEach(r -> bySuite.computeIfAbsent(r.implementation(), k -> new java.util.ArrayList<>()).add(r));
    StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    bySuite.forEach((impl, rs) -> {
      long failures = rs.stream().filter(r -> !r.passed()).count();
      xml.append("  <testsuite name=\"").append(esc(impl)).append("\" tests=\"").append(rs.size())
          .append("\" failures=\"").append(failures).append("\">\n");
      for (CheckResult r : rs) {
        xml.append("    <testcase classname=\"").append(esc(impl)).append("\" name=\"").append(esc(r.check()))
            .append("\" time=\"").append(r.nanos() / 1e9).append('"');
        if (r.passed()) {
          xml.append("/>\n");
        } else {
          xml.append(">\n      <failure message=\"").append(esc(r.reason())).append("\"/>\n    </testcase>\n");
        }
      }
      xml.append("  </testsuite>\n");
    });
    xml.append("</testsuites>\n");
    Files.writeString(dir.resolve("conformance-junit.xml"), xml, StandardCharsets.UTF_8);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
