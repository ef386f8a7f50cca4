package dev.driftless.core.internal;

/**
 * Additive-increase, multiplicative-decrease control of how many batches are written at once and
 * how large they are. A throttling signal from the sink halves both (at most once per {@code
 * cooldownNanos}, so that one burst of 429s from many concurrent batches counts once); every
 * unthrottled batch grows them back slowly. Not thread-safe: guarded by the runner's lock.
 */
final class AdaptiveLimit {
  private final int maxConcurrency;
  private final long cooldownNanos;
  private double concurrency;
  private double batchScale = 1.0;
  private long lastDecreaseNanos = Long.MIN_VALUE / 2;

  AdaptiveLimit(int maxConcurrency, long cooldownNanos) {
    this.maxConcurrency = maxConcurrency;
    this.cooldownNanos = cooldownNanos;
    this.concurrency = maxConcurrency;
  }

  int concurrency() {
    return Math.max(1, (int) concurrency);
  }

  /** The batch size to use now, given the configured maximum. */
  int batchSize(int configured) {
    return Math.max(1, (int) Math.round(configured * batchScale));
  }

  void onThrottled(long nowNanos) {
    if (nowNanos - lastDecreaseNanos < cooldownNanos) {
      return;
    }
    lastDecreaseNanos = nowNanos;
    concurrency = Math.max(1.0, concurrency / 2);
    batchScale = Math.max(0.001, batchScale / 2);
  }

  void onSuccess() {
    concurrency = Math.min(maxConcurrency, concurrency + 1.0 / Math.max(1.0, concurrency));
    batchScale = Math.min(1.0, batchScale + 1.0 / 32);
  }
}
