package io.protean.bench;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Latency against load, from {@code bench/run.sh}'s measurements: one line per target, one point
 * per requests-in-flight level (the median over rounds where a level was measured more than
 * once), x = QPS achieved, y = p50 (left panel) and p99 (right panel) latency. In a closed loop,
 * more requests in flight raise the load until the slowest process saturates; a proxy's line
 * then bends up: the further right and lower, the better.
 *
 * <p>Usage: {@code Chart RESULTS.jsonl OUT.png TITLE}. Failed measurements and measurements with
 * errors are left out.
 */
public final class Chart {
  private static final int PANEL_WIDTH = 720;
  private static final int PANEL_HEIGHT = 480;

  private Chart() {}

  public static void main(String[] args) throws IOException {
    write(Report.read(Path.of(args[0])), Path.of(args[1]),
        args.length > 2 ? args[2] : "latency vs load");
  }

  /** One point of a target's line. */
  record Point(int inflight, double qps, double p50Us, double p99Us) {}

  /** Per target (in the order first seen), its points by in-flight level. */
  static Map<String, List<Point>> lines(List<Map<String, String>> rows) {
    Map<String, Map<Integer, List<Map<String, String>>>> byLeg = new LinkedHashMap<>();
    for (Map<String, String> r : rows) {
      if (r.containsKey("failed") || !"0".equals(r.get("errors")) || !r.containsKey("inflight")) {
        continue;
      }
      byLeg.computeIfAbsent(r.getOrDefault("leg", "?"), k -> new TreeMap<>())
          .computeIfAbsent(Integer.parseInt(r.get("inflight")), k -> new ArrayList<>()).add(r);
    }
    Map<String, List<Point>> lines = new LinkedHashMap<>();
    byLeg.forEach((leg, levels) -> {
      List<Point> points = new ArrayList<>();
      levels.forEach((inflight, rs) -> points.add(new Point(inflight,
          Report.median(rs, r -> Double.parseDouble(r.get("qps"))),
          Report.median(rs, r -> Double.parseDouble(r.get("p50_us"))),
          Report.median(rs, r -> Double.parseDouble(r.get("p99_us"))))));
      lines.put(leg, points);
    });
    return lines;
  }

  /** Writes the two-panel PNG; throws if there is nothing to draw. */
  static void write(List<Map<String, String>> rows, Path out, String title) throws IOException {
    Map<String, List<Point>> lines = lines(rows);
    if (lines.isEmpty()) {
      throw new IllegalArgumentException("no successful measurement to draw");
    }
    BufferedImage p50 = BitmapEncoder.getBufferedImage(panel(title + " — p50", "p50 latency (µs)",
        lines, true));
    BufferedImage p99 = BitmapEncoder.getBufferedImage(panel(title + " — p99", "p99 latency (µs)",
        lines, false));
    BufferedImage both = new BufferedImage(PANEL_WIDTH * 2, PANEL_HEIGHT,
        BufferedImage.TYPE_INT_RGB);
    Graphics2D g = both.createGraphics();
    g.drawImage(p50, 0, 0, null);
    g.drawImage(p99, PANEL_WIDTH, 0, null);
    g.dispose();
    if (!ImageIO.write(both, "png", out.toFile())) {
      throw new IOException("no PNG writer");
    }
  }

  private static XYChart panel(String title, String yTitle, Map<String, List<Point>> lines,
      boolean median) {
    XYChart chart = new XYChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT).title(title)
        .xAxisTitle("throughput (requests / s)").yAxisTitle(yTitle).build();
    Styler s = chart.getStyler();
    s.setLegendPosition(Styler.LegendPosition.InsideNW);
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setXAxisMin(0.0);
    chart.getStyler().setDecimalPattern("#,###");
    lines.forEach((leg, points) -> {
      double[] x = points.stream().mapToDouble(Point::qps).toArray();
      double[] y = points.stream().mapToDouble(p -> median ? p.p50Us() : p.p99Us()).toArray();
      XYSeries series = chart.addSeries(leg, x, y);
      series.setMarker(SeriesMarkers.CIRCLE);
    });
    return chart;
  }
}
