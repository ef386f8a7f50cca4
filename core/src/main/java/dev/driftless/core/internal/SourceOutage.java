package dev.driftless.core.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.PipelineListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Whether the source can reach its upstream, and since when not: an outage the source reports
 * itself ({@link dev.driftless.core.spi.SourceContext#outageStarted}, any thread), and one the poll
 * thread is retrying (a source call threw {@code RetriableException}). Shown in the status; the
 * reported one is held to the {@code outageDeadline} here, the retried one by {@link
 * OutagePolicy#call}. Thread-safe (its own monitor).
 */
final class SourceOutage {
  private final OutagePolicy policy;
  private final Clock clock;
  private final Listeners listeners;

  /** When the outage (reported or retried, whichever came first) started, in nanoTime. */
  @GuardedBy("this")
  private long outageSinceNanos;

  @GuardedBy("this")
  private @Nullable Instant reportedSince;

  @GuardedBy("this")
  private @Nullable Throwable reportedCause;

  @GuardedBy("this")
  private @Nullable Instant retriedSince;

  @GuardedBy("this")
  private @Nullable Throwable retriedCause;

  SourceOutage(OutagePolicy policy, Clock clock, Listeners listeners) {
    this.policy = policy;
    this.clock = clock;
    this.listeners = listeners;
  }

  @GuardedBy("this")
  private boolean inOutage() {
    return reportedSince != null || retriedSince != null;
  }

  /**
   * Tells the listeners that the outage started, unless one was on already (outside the monitor).
   */
  private void announceStart(boolean before, Throwable cause) {
    if (!before) {
      listeners.outageStarted(PipelineListener.Side.SOURCE, cause);
    }
  }

  /** Tells the listeners that the outage ended, if it did (outside the monitor). */
  private void announceEnd(boolean before, boolean after, long lastedNanos) {
    if (before && !after) {
      listeners.outageEnded(PipelineListener.Side.SOURCE, Duration.ofNanos(lastedNanos));
    }
  }

  /** The source reports that it lost its upstream; a repeat keeps the start. */
  void reported(Throwable cause) {
    boolean before;
    synchronized (this) {
      before = inOutage();
      if (reportedSince == null) {
        reportedSince = clock.instant();
      }
      reportedCause = cause;
      if (!before) {
        outageSinceNanos = System.nanoTime();
      }
    }
    announceStart(before, cause);
  }

  /** The source reports that it reached its upstream again. */
  void reportedEnded() {
    boolean before;
    boolean after;
    long lasted;
    synchronized (this) {
      before = inOutage();
      reportedSince = null;
      reportedCause = null;
      after = inOutage();
      lasted = System.nanoTime() - outageSinceNanos;
    }
    announceEnd(before, after, lasted);
  }

  /** A source call failed with an outage and is retried. */
  void retrying(Throwable cause) {
    boolean before;
    synchronized (this) {
      before = inOutage();
      if (retriedSince == null) {
        retriedSince = clock.instant();
      }
      retriedCause = cause;
      if (!before) {
        outageSinceNanos = System.nanoTime();
      }
    }
    announceStart(before, cause);
  }

  /** A source call succeeded. */
  void callSucceeded() {
    boolean before;
    boolean after;
    long lasted;
    synchronized (this) {
      if (retriedSince == null) {
        return; // the common case: no outage was being retried
      }
      before = inOutage();
      retriedSince = null;
      retriedCause = null;
      after = inOutage();
      lasted = System.nanoTime() - outageSinceNanos;
    }
    announceEnd(before, after, lasted);
  }

  /** {@code "since <instant>: <cause>"}, or {@code null} while the source is reachable. */
  synchronized @Nullable String describe() {
    if (reportedSince != null) {
      return "since " + reportedSince + ": " + reportedCause;
    }
    if (retriedSince != null) {
      return "since " + retriedSince + ": " + retriedCause;
    }
    return null;
  }

  /**
   * The exception that stops the pipeline if the reported outage has outlasted the deadline, else
   * {@code null}.
   */
  synchronized @Nullable DriftlessException overDeadline() {
    Instant since = reportedSince;
    Throwable cause = reportedCause;
    if (since == null || cause == null || !policy.overDeadline(since, clock.instant())) {
      return null;
    }
    return policy.outlasted("source outage (reported by the source since " + since + ")", cause);
  }
}
