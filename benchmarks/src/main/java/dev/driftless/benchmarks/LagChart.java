package dev.driftless.benchmarks;

import java.util.List;
import java.util.Locale;

/**
 * The outage run's lag over time as a self-contained SVG: the pipeline's lag by time (age of the
 * oldest change not yet acknowledged by the index) above, the changes received but not yet
 * acknowledged below, the outage shaded and the moment the backlog was drained marked.
 */
final class LagChart {

  /**
   * One sample of the pipeline's status.
   *
   * @param seconds since the run started
   * @param lagSeconds age of the oldest unacknowledged change
   * @param unacknowledged changes received and not yet settled
   */
  record Point(double seconds, double lagSeconds, long unacknowledged) {}

  private static final int WIDTH = 900;
  private static final int PANEL = 220;
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 40;
  private static final int GAP = 50;

  private LagChart() {}

  static String svg(
      String title,
      List<Point> points,
      double outageFrom,
      double outageTo,
      double drainedAt,
      double writeRate) {
    double tMax = 1;
    double lagMax = 0.1;
    long unackMax = 10;
    for (Point p : points) {
      tMax = Math.max(tMax, p.seconds());
      lagMax = Math.max(lagMax, p.lagSeconds());
      unackMax = Math.max(unackMax, p.unacknowledged());
    }
    lagMax = niceCeiling(lagMax);
    double unackCeil = niceCeiling((double) unackMax);
    tMax = Math.ceil(tMax / 10) * 10;
    int height = TOP + 2 * PANEL + GAP + 50;
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n",
            WIDTH,
            height,
            WIDTH,
            height));
    s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
            LEFT,
            escape(title)));
    int top1 = TOP;
    int top2 = TOP + PANEL + GAP;
    panel(s, top1, tMax, lagMax, "lag (s): oldest unacknowledged change", outageFrom, outageTo);
    panel(s, top2, tMax, unackCeil, "changes not yet acknowledged", outageFrom, outageTo);
    StringBuilder lag = new StringBuilder();
    StringBuilder unack = new StringBuilder();
    for (Point p : points) {
      double x = x(p.seconds(), tMax);
      lag.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y(p.lagSeconds(), lagMax, top1)));
      unack.append(
          String.format(
              Locale.ROOT, "%.1f,%.1f ", x, y((double) p.unacknowledged(), unackCeil, top2)));
    }
    s.append("<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.5\" points=\"")
        .append(lag.toString().trim())
        .append("\"/>\n");
    s.append("<polyline fill=\"none\" stroke=\"#2471a3\" stroke-width=\"1.5\" points=\"")
        .append(unack.toString().trim())
        .append("\"/>\n");
    if (drainedAt > 0) {
      double x = x(drainedAt, tMax);
      for (int top : new int[] {top1, top2}) {
        s.append(
            String.format(
                Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#1e8449\""
                    + " stroke-dasharray=\"4 3\"/>%n",
                x,
                top,
                x,
                top + PANEL));
      }
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%d\" fill=\"#1e8449\">drained %.1f s after the outage</text>%n",
              x + 4,
              top1 + 14,
              drainedAt - outageTo));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\">seconds since the run started; writes at %.0f"
                + " transactions/s throughout; shaded: index refusing connections</text>%n",
            LEFT,
            height - 12,
            writeRate));
    s.append("</svg>\n");
    return s.toString();
  }

  private static void panel(
      StringBuilder s,
      int top,
      double tMax,
      double yMax,
      String label,
      double outageFrom,
      double outageTo) {
    s.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#f5b7b1\""
                + " opacity=\"0.5\"/>%n",
            x(outageFrom, tMax),
            top,
            x(outageTo, tMax) - x(outageFrom, tMax),
            PANEL));
    s.append(
        String.format(
            Locale.ROOT,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#555\"/>%n",
            LEFT,
            top,
            WIDTH - LEFT - RIGHT,
            PANEL));
    s.append(
        String.format(
            Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", LEFT, top - 6, escape(label)));
    for (int i = 0; i <= 4; i++) {
      double v = yMax * i / 4;
      double y = y(v, yMax, top);
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                  + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
              LEFT,
              y,
              WIDTH - RIGHT,
              y,
              LEFT - 6,
              y + 4,
              v >= 100 || v == Math.rint(v)
                  ? String.format(Locale.ROOT, "%,.0f", v)
                  : String.format(Locale.ROOT, "%.2f", v)));
    }
    for (double t = 0; t <= tMax; t += 10) {
      double x = x(t, tMax);
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555\"/>"
                  + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>%n",
              x,
              top + PANEL,
              x,
              top + PANEL + 4,
              x,
              top + PANEL + 16,
              t));
    }
  }

  private static double x(double seconds, double tMax) {
    return LEFT + seconds / tMax * (WIDTH - LEFT - RIGHT);
  }

  private static double y(double v, double max, int top) {
    return top + PANEL - v / max * PANEL;
  }

  /** 1, 2 or 5 times a power of ten, at least {@code v}. */
  static double niceCeiling(double v) {
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
