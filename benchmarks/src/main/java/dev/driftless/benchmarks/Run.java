package dev.driftless.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One measured run of one contender.
 *
 * @param contender who ran
 * @param round which round (1-based)
 * @param items documents or changes processed
 * @param nanos wall-clock time from the contender's start until the last item was done
 * @param steadyNanos time from the first to the last item, or 0 when the contender cannot tell
 * @param details what else the run observed (retries, bytes, checks), for the report
 */
record Run(
    String contender,
    int round,
    long items,
    long nanos,
    long steadyNanos,
    Map<String, Object> details) {

  Run {
    Objects.requireNonNull(contender, "contender");
    if (nanos <= 0) {
      throw new IllegalArgumentException("nanos must be positive, was " + nanos);
    }
    details = Map.copyOf(details);
  }

  double seconds() {
    return nanos / 1e9;
  }

  double perSecond() {
    return items / seconds();
  }

  /** Items per second between the first and the last item, or 0 when not measured. */
  double steadyPerSecond() {
    return steadyNanos <= 0 ? 0 : items / (steadyNanos / 1e9);
  }

  /** The median of {@code values} (the mean of the middle two for an even count). */
  static double median(List<Double> values) {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("no values");
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
