package dev.driftless.micrometer;

import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import java.time.Duration;

/**
 * The pipeline's status as the gauges read it: one {@link Pipeline#status()} call serves every
 * gauge read within {@code maxAge} (a scrape reads a dozen gauges in a row). Thread-safe: racing
 * readers may each take a snapshot, which costs a little and is never wrong.
 */
final class StatusCache {
  private final Pipeline pipeline;
  private final long maxAgeNanos;
  private volatile Snapshot last;

  private record Snapshot(PipelineStatus status, long takenNanos) {}

  StatusCache(Pipeline pipeline, Duration maxAge) {
    this.pipeline = pipeline;
    this.maxAgeNanos = maxAge.toNanos();
    this.last = new Snapshot(pipeline.status(), System.nanoTime());
  }

  /** The next read takes a new snapshot (the pipeline's state or an outage changed). */
  void invalidate() {
    last = new Snapshot(last.status(), System.nanoTime() - maxAgeNanos - 1);
  }

  PipelineStatus get() {
    Snapshot s = last;
    long now = System.nanoTime();
    if (now - s.takenNanos() > maxAgeNanos || maxAgeNanos == 0) {
      s = new Snapshot(pipeline.status(), now);
      last = s;
    }
    return s.status();
  }
}
