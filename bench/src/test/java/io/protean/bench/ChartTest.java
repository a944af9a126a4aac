package io.protean.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartTest {
  private static Map<String, String> row(String leg, int inflight, double qps, double p99,
      int errors) {
    return Report.parse("{\"leg\":\"" + leg + "\",\"inflight\":" + inflight + ",\"qps\":" + qps
        + ",\"p50_us\":" + p99 / 3 + ",\"p99_us\":" + p99 + ",\"errors\":" + errors + "}");
  }

  @Test
  void onePointPerLevelTheMedianOfItsRoundsWithoutFailedOrWrongRuns() {
    List<Map<String, String>> rows = List.of(
        row("haproxy", 8, 100, 30, 0), row("haproxy", 8, 300, 10, 0),
        row("haproxy", 8, 200, 20, 0), row("haproxy", 1, 50, 5, 0),
        row("protean", 1, 60, 4, 0), row("protean", 4, 70, 9, 3),
        Report.parse("{\"leg\":\"protean\",\"round\":1,\"failed\":1,\"reason\":\"x\"}"));
    var lines = Chart.lines(rows);
    assertThat(lines.keySet()).containsExactly("haproxy", "protean");
    assertThat(lines.get("haproxy")).containsExactly(
        new Chart.Point(1, 50, 5 / 3.0, 5), new Chart.Point(8, 200, 20 / 3.0, 20));
    assertThat(lines.get("protean")).containsExactly(new Chart.Point(1, 60, 4 / 3.0, 4));
  }

  @Test
  void writesATwoPanelPng(@TempDir Path dir) throws Exception {
    Path png = dir.resolve("chart.png");
    Chart.write(List.of(row("direct", 1, 1000, 300, 0), row("direct", 8, 5000, 900, 0),
        row("protean", 1, 900, 350, 0), row("protean", 8, 4500, 1200, 0)), png, "test");
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(1440);
    assertThat(image.getHeight()).isEqualTo(480);
  }

  @Test
  void refusesToDrawNothing(@TempDir Path dir) {
    assertThatThrownBy(() -> Chart.write(List.of(row("direct", 1, 1, 1, 2)),
        dir.resolve("x.png"), "t")).isInstanceOf(IllegalArgumentException.class);
  }
}
