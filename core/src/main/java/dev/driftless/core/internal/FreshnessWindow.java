package dev.driftless.core.internal;

import dev.driftless.core.PipelineStatus;
import java.time.Duration;

/**
 * The freshness of recent changes (commit in the database to the index's acknowledgement): two
 * {@link LatencyHistogram}s, the current one and the one before, swapped every half window, so a
 * snapshot covers between a half and a whole window of the most recent changes. Bounded memory;
 * thread-safe.
 */
final class FreshnessWindow {
  static final Duration WINDOW = Duration.ofMinutes(1);

  private final long halfNanos = WINDOW.toNanos() / 2;
  private LatencyHistogram current = new LatencyHistogram();
  private LatencyHistogram previous = new LatencyHistogram();
  private long rotatedAt;
  private long total;

  FreshnessWindow(long nowNanos) {
    this.rotatedAt = nowNanos;
  }

  synchronized void record(long freshnessNanos, long nowNanos) {
    rotate(nowNanos);
    current.recordNanos(freshnessNanos);
    total++;
  }

  synchronized PipelineStatus.Freshness snapshot(long nowNanos) {
    rotate(nowNanos);
    LatencyHistogram both = new LatencyHistogram();
    both.add(previous);
    both.add(current);
    return new PipelineStatus.Freshness(
        total,
        both.count(),
        both.percentile(0.50),
        both.percentile(0.90),
        both.percentile(0.99),
        both.max(),
        WINDOW);
  }

  private void rotate(long nowNanos) {
    long since = nowNanos - rotatedAt;
    if (since < halfNanos) {
      return;
    }
    previous = since < 2 * halfNanos ? current : new LatencyHistogram();
    current = new LatencyHistogram();
    rotatedAt = nowNanos;
  }
}
