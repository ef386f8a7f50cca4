package dev.driftless.dynamodb.internal;

import dev.driftless.core.spi.SourceContext;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tells the pipeline when the source's requests fail as a whole. Throttling while requests still
 * succeed is back-pressure; only a run of {@value #OUTAGE_AFTER} failed requests with no success
 * between is reported as an outage ({@link SourceContext#outageStarted}), so that the pipeline
 * shows it and holds it to its {@code outageDeadline}; the next success ends it. Thread-safe: any
 * reader thread or the coordinator may report.
 */
final class OutageReport {
  static final int OUTAGE_AFTER = 5;

  private final SourceContext context;
  private final AtomicInteger consecutiveFailures = new AtomicInteger();
  private final Object transitions = new Object();

  /** Written under {@code transitions}; read without it for the common case of no outage. */
  private volatile boolean outage;

  OutageReport(SourceContext context) {
    this.context = context;
  }

  /** A request failed transiently. */
  void failure(Throwable e) {
    if (consecutiveFailures.incrementAndGet() < OUTAGE_AFTER) {
      return;
    }
    synchronized (transitions) {
      if (!outage) {
        outage = true;
        context.outageStarted(e);
      }
    }
  }

  /** A request succeeded. */
  void success() {
    consecutiveFailures.set(0);
    if (!outage) {
      return;
    }
    synchronized (transitions) {
      if (outage) {
        outage = false;
        context.outageEnded();
      }
    }
  }
}
