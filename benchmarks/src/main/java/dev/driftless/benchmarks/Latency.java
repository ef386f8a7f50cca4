package dev.driftless.benchmarks;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Percentiles of one latency histogram (recorded in microseconds), in milliseconds.
 *
 * @param count values recorded
 * @param p50 the median
 * @param p95 the 95th percentile
 * @param p99 the 99th percentile
 * @param max the largest value
 */
record Latency(long count, double p50, double p95, double p99, double max) {

  static final Latency NONE = new Latency(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

  /** A histogram of microseconds, 3 significant digits, up to an hour. */
  static Histogram micros() {
    return new Histogram(3_600_000_000L, 3);
  }

  static Latency of(Histogram micros) {
    if (micros.getTotalCount() == 0) {
      return NONE;
    }
    return new Latency(
        micros.getTotalCount(),
        micros.getValueAtPercentile(50) / 1000.0,
        micros.getValueAtPercentile(95) / 1000.0,
        micros.getValueAtPercentile(99) / 1000.0,
        micros.getMaxValue() / 1000.0);
  }

  /** {@code p50 | p95 | p99 | max} as Markdown table cells, in ms. */
  String cells() {
    return ms(p50) + " | " + ms(p95) + " | " + ms(p99) + " | " + ms(max);
  }

  static String ms(double v) {
    if (Double.isNaN(v)) {
      return "–";
    }
    return v >= 100
        ? String.format(Locale.ROOT, "%,.0f", v)
        : String.format(Locale.ROOT, "%.1f", v);
  }

  Map<String, Object> json() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", count);
    m.put("p50Ms", round(p50));
    m.put("p95Ms", round(p95));
    m.put("p99Ms", round(p99));
    m.put("maxMs", round(max));
    return m;
  }

  private static double round(double v) {
    return Double.isNaN(v) ? v : Math.round(v * 100) / 100.0;
  }
}
