package dev.driftless.core;

import java.time.Duration;
import java.util.Objects;

/**
 * How outages are retried: exponential backoff from {@code initialDelay} up to {@code maxDelay},
 * each delay multiplied by {@code multiplier} and then varied by up to {@code jitter} (a fraction,
 * 0.25 meaning ±25%) so that many pipelines do not retry in lock-step.
 *
 * @param initialDelay the first delay, positive
 * @param maxDelay the largest delay, at least {@code initialDelay}
 * @param multiplier growth factor per attempt, at least 1
 * @param jitter fraction in [0, 1)
 */
public record RetrySettings(
    Duration initialDelay, Duration maxDelay, double multiplier, double jitter) {

  /** 100 ms doubling up to 30 s, ±20% jitter. */
  public static final RetrySettings DEFAULT =
      new RetrySettings(Duration.ofMillis(100), Duration.ofSeconds(30), 2.0, 0.2);

  public RetrySettings {
    Objects.requireNonNull(initialDelay, "initialDelay");
    Objects.requireNonNull(maxDelay, "maxDelay");
    if (initialDelay.isNegative() || initialDelay.isZero()) {
      throw new IllegalArgumentException("initialDelay must be positive, was " + initialDelay);
    }
    if (maxDelay.compareTo(initialDelay) < 0) {
      throw new IllegalArgumentException(
          "maxDelay (" + maxDelay + ") must be at least initialDelay (" + initialDelay + ")");
    }
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException(
          "multiplier must be a finite number >= 1, was " + multiplier);
    }
    if (!(jitter >= 0.0 && jitter < 1.0)) {
      throw new IllegalArgumentException("jitter must be in [0, 1), was " + jitter);
    }
  }

  /** Exponential backoff doubling from {@code initialDelay} to {@code maxDelay}, ±20% jitter. */
  public static RetrySettings exponential(Duration initialDelay, Duration maxDelay) {
    return new RetrySettings(initialDelay, maxDelay, 2.0, 0.2);
  }

  /** The same settings with another jitter fraction. */
  public RetrySettings withJitter(double newJitter) {
    return new RetrySettings(initialDelay, maxDelay, multiplier, newJitter);
  }
}
