package dev.driftless.core.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.OutagePolicy;
import java.time.Clock;
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

  @GuardedBy("this")
  private @Nullable Instant reportedSince;

  @GuardedBy("this")
  private @Nullable Throwable reportedCause;

  @GuardedBy("this")
  private @Nullable Instant retriedSince;

  @GuardedBy("this")
  private @Nullable Throwable retriedCause;

  SourceOutage(OutagePolicy policy, Clock clock) {
    this.policy = policy;
    this.clock = clock;
  }

  /** The source reports that it lost its upstream; a repeat keeps the start. */
  synchronized void reported(Throwable cause) {
    if (reportedSince == null) {
      reportedSince = clock.instant();
    }
    reportedCause = cause;
  }

  /** The source reports that it reached its upstream again. */
  synchronized void reportedEnded() {
    reportedSince = null;
    reportedCause = null;
  }

  /** A source call failed with an outage and is retried. */
  synchronized void retrying(Throwable cause) {
    if (retriedSince == null) {
      retriedSince = clock.instant();
    }
    retriedCause = cause;
  }

  /** A source call succeeded. */
  synchronized void callSucceeded() {
    retriedSince = null;
    retriedCause = null;
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
