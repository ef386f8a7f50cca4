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
  private Histogram bulk = Latency.micros();
  private long batches;
  private long batchEvents;

  /**
   * Where the time goes: the sink call of each batch (first attempt to last answer) and the batch
   * sizes since the last call, which resets them.
   *
   * @param bulk each batch's write latency, in µs
   * @param batches batches written
   * @param events events in them
   */
  record Batches(Histogram bulk, long batches, long events) {
    double eventsPerBatch() {
      return batches == 0 ? 0 : (double) events / batches;
    }
  }

  synchronized Batches takeBatches() {
    Batches b = new Batches(bulk, batches, batchEvents);
    bulk = Latency.micros();
    batches = 0;
    batchEvents = 0;
    return b;
  }

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
    long now = micros(clock.instant());
    synchronized (this) {
      bulk.recordValue(Math.min(batch.latency().toNanos() / 1000, bulk.getHighestTrackableValue()));
      batches++;
      batchEvents += batch.events();
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
