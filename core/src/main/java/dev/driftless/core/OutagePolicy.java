package dev.driftless.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The one failure model for outages: a {@link RetriableException} (a connection refused or reset, a
 * timeout, a 5xx or 429, a database restarting) is retried with the {@link RetrySettings}' backoff,
 * forever or until the {@code outageDeadline}, and then stops whatever it was part of with a {@link
 * DriftlessException} naming the outage. It is never dead-lettered. Every other exception is not an
 * outage and goes through at once.
 *
 * <p>The pipeline applies its policy ({@link Pipeline.Builder#retry}, {@link
 * Pipeline.Builder#outageDeadline}) to the sink's start and writes, to the source's calls and to
 * the outages a source reports ({@link dev.driftless.core.spi.SourceContext#outageStarted}); a
 * source gets it from {@link dev.driftless.core.spi.SourceContext#outagePolicy()} for retry loops
 * of its own (a reconnect), so that one setting governs them all.
 *
 * <p>Immutable and thread-safe; {@link #call} holds no state between calls.
 */
public final class OutagePolicy {
  /** How often a backoff wait looks at its stop condition. */
  private static final long STOP_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final RetrySettings retry;
  private final @Nullable Duration outageDeadline;

  private OutagePolicy(RetrySettings retry, @Nullable Duration outageDeadline) {
    this.retry = Objects.requireNonNull(retry, "retry");
    if (outageDeadline != null && (outageDeadline.isNegative() || outageDeadline.isZero())) {
      throw new IllegalArgumentException("outageDeadline must be positive, was " + outageDeadline);
    }
    this.outageDeadline = outageDeadline;
  }

  /**
   * A policy retrying with {@code retry}'s backoff, until {@code outageDeadline} or, when it is
   * {@code null}, without end.
   *
   * @throws IllegalArgumentException if {@code outageDeadline} is not positive
   */
  public static OutagePolicy of(RetrySettings retry, @Nullable Duration outageDeadline) {
    return new OutagePolicy(retry, outageDeadline);
  }

  /** The backoff. */
  public RetrySettings retry() {
    return retry;
  }

  /** How long an outage may last before it stops the pipeline; empty: without end. */
  public Optional<Duration> outageDeadline() {
    return Optional.ofNullable(outageDeadline);
  }

  /**
   * The wait after the {@code attempt}-th consecutive failed attempt (1 for the first): {@code
   * initialDelay × multiplier^(attempt−1)}, at most {@code maxDelay}, varied by the jitter.
   *
   * @throws IllegalArgumentException if {@code attempt} is less than 1
   */
  public Duration delay(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be at least 1, was " + attempt);
    }
    double nanos = retry.initialDelay().toNanos();
    double max = retry.maxDelay().toNanos();
    for (int i = 1; i < attempt && nanos < max; i++) {
      nanos *= retry.multiplier();
    }
    nanos = Math.min(nanos, max);
    if (retry.jitter() > 0) {
      nanos += nanos * retry.jitter() * (2 * ThreadLocalRandom.current().nextDouble() - 1);
    }
    return Duration.ofNanos(Math.max(1, (long) nanos));
  }

  /**
   * Whether an outage that began at {@code since} has, at {@code now}, outlasted the deadline
   * (always {@code false} without one).
   */
  public boolean overDeadline(Instant since, Instant now) {
    return outageDeadline != null && !now.isBefore(since.plus(outageDeadline));
  }

  /**
   * The exception that stops a pipeline whose outage outlasted the deadline, naming the outage
   * (such as {@code "source outage"}) and its last cause.
   */
  public DriftlessException outlasted(String outage, Throwable cause) {
    return new DriftlessException(
        outage + " outlasted outageDeadline " + outageDeadline + ": " + cause, cause);
  }

  /** A call that may fail with an outage. */
  @FunctionalInterface
  public interface Call<T> {
    T call() throws Exception;
  }

  /** Hears of each failed attempt that will be retried. */
  @FunctionalInterface
  public interface RetryListener {
    /**
     * Attempt {@code attempt} (1 for the first) failed with {@code cause}; the next follows after
     * {@code delay}. Must not throw.
     */
    void retrying(int attempt, RetriableException cause, Duration delay);
  }

  /**
   * Runs {@code call}, retrying it while it throws {@link RetriableException}.
   *
   * @see #call(String, BooleanSupplier, RetryListener, Call)
   */
  public <T> T call(String outage, BooleanSupplier stop, Call<T> call) throws Exception {
    return call(outage, stop, (attempt, cause, delay) -> {}, call);
  }

  /**
   * Runs {@code call}, retrying it while it throws {@link RetriableException}: after the n-th
   * failure it waits {@link #delay delay(n)} and calls again. The outage begins when the first
   * attempt began.
   *
   * <ul>
   *   <li>Returns what the first successful attempt returned.
   *   <li>Any other exception (not a {@code RetriableException}) goes through at once: it is not an
   *       outage.
   *   <li>When {@code stop} answers {@code true} (asked after each failure and during each wait),
   *       rethrows the last {@code RetriableException}: the caller is going away.
   *   <li>When the outage has outlasted the deadline, throws {@link #outlasted outlasted(outage,
   *       last cause)}, a {@link DriftlessException}.
   *   <li>Throws {@link InterruptedException} if the thread is interrupted while waiting.
   * </ul>
   *
   * @param outage what is unavailable, for the message (e.g. {@code "source outage"})
   * @param stop whether to stop retrying
   * @param listener told of each retry (for logs and status)
   */
  public <T> T call(String outage, BooleanSupplier stop, RetryListener listener, Call<T> call)
      throws Exception {
    Objects.requireNonNull(outage, "outage");
    Objects.requireNonNull(stop, "stop");
    Objects.requireNonNull(listener, "listener");
    Objects.requireNonNull(call, "call");
    long began = System.nanoTime();
    for (int attempt = 1; ; attempt++) {
      RetriableException failure;
      try {
        return call.call();
      } catch (RetriableException e) {
        failure = e;
      }
      if (stop.getAsBoolean()) {
        throw failure;
      }
      long left = nanosLeft(began);
      if (left <= 0) {
        throw outlasted(outage, failure);
      }
      Duration delay = delay(attempt);
      long wait = Math.min(delay.toNanos(), left);
      listener.retrying(attempt, failure, Duration.ofNanos(wait));
      if (!sleep(wait, stop)) {
        throw failure;
      }
    }
  }

  private long nanosLeft(long began) {
    if (outageDeadline == null) {
      return Long.MAX_VALUE;
    }
    return outageDeadline.toNanos() - (System.nanoTime() - began);
  }

  /** Waits {@code nanos}, looking at {@code stop} meanwhile; false if it said stop. */
  private static boolean sleep(long nanos, BooleanSupplier stop) throws InterruptedException {
    long end = System.nanoTime() + nanos;
    for (long left = nanos; left > 0; left = end - System.nanoTime()) {
      TimeUnit.NANOSECONDS.sleep(Math.min(left, STOP_CHECK_NANOS));
      if (stop.getAsBoolean()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof OutagePolicy p
        && retry.equals(p.retry)
        && Objects.equals(outageDeadline, p.outageDeadline);
  }

  @Override
  public int hashCode() {
    return Objects.hash(retry, outageDeadline);
  }

  @Override
  public String toString() {
    return "OutagePolicy[retry=" + retry + ", outageDeadline=" + outageDeadline + "]";
  }
}
