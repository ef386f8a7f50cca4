package dev.driftless.dynamodb.internal;

import dev.driftless.core.RetrySettings;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter from the pipeline's {@link RetrySettings}. Stateless. */
public final class Backoff {
  private Backoff() {}

  /** The delay before attempt {@code failures + 1}, after {@code failures} (≥ 1) failures. */
  public static long delayNanos(RetrySettings retry, int failures) {
    double base = retry.initialDelay().toNanos() * Math.pow(retry.multiplier(), Math.max(0, failures - 1));
    double capped = Math.min(base, retry.maxDelay().toNanos());
    double jitter = retry.jitter() == 0 ? 0 : ThreadLocalRandom.current().nextDouble(-retry.jitter(), retry.jitter());
    return Math.max(1, (long) (capped * (1 + jitter)));
  }
}
