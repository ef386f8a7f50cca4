package dev.driftless.benchmarks;

import dev.driftless.core.PipelineListener;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.HdrHistogram.Histogram;

/**
 * A listener that records the pipeline's own freshness samples (commit in PostgreSQL, as the WAL's
 * commit timestamp says, to the index's acknowledgement) of the changes committed within a window.
 * The commit time of a sample is the acknowledgement time minus its freshness, so a change counts
 * for the window it was committed in, whenever it is acknowledged. Thread-safe: writer threads
 * report batches in parallel.
 */
final class FreshnessRecorder implements PipelineListener {

  private final Clock clock = Clock.systemUTC();
  private Histogram window = Latency.micros();
  private long fromMicros = Long.MAX_VALUE;
  private long toMicros = Long.MAX_VALUE;

  /** Starts a new window: changes committed from {@code from} until before {@code to} count. */
  synchronized void open(Instant from, Instant to) {
    window = Latency.micros();
    fromMicros = micros(from);
    toMicros = micros(to);
  }

  /** What the current window recorded so far. */
  synchronized Histogram snapshot() {
    return window.copy();
  }

  @Override
  public void batchWritten(String pipeline, BatchWritten batch) {
    if (batch.freshnessCount() == 0) {
      return;
    }
    long now = micros(clock.instant());
    synchronized (this) {
      batch.forEachFreshnessNanos(
          nanos -> {
            long fresh = nanos / 1000;
            long committed = now - fresh;
            if (committed >= fromMicros && committed < toMicros) {
              window.recordValue(Math.min(fresh, window.getHighestTrackableValue()));
            }
          });
    }
  }

  private static long micros(Instant i) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, i);
  }
}
