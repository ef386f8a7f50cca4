package dev.driftless.benchmarks;

import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One pipeline contender's run: starts the pipeline, waits until {@code expected} events are
 * settled, closes it, and keeps the times.
 *
 * @param startNanos when {@link Pipeline#start()} was called
 * @param firstNanos when the first event was seen received (0 if never)
 * @param endNanos when the pipeline was closed
 * @param status the last status read before closing
 */
record SettledRun(long startNanos, long firstNanos, long endNanos, PipelineStatus status) {

  /**
   * Runs {@code pipeline} until {@code expected} events are settled.
   *
   * @throws IllegalStateException if the pipeline failed or did not settle them within {@code
   *     limitNanos}
   */
  static SettledRun of(Pipeline pipeline, long expected, long limitNanos) throws Exception {
    long start = System.nanoTime();
    long first = 0;
    PipelineStatus status;
    try {
      pipeline.start();
      while (true) {
        status = pipeline.status();
        if (first == 0 && status.eventsReceived() > 0) {
          first = System.nanoTime();
        }
        if (status.eventsSettled() >= expected) {
          break;
        }
        if (pipeline.failure().isPresent() || System.nanoTime() - start > limitNanos) {
          throw new IllegalStateException(
              "pipeline did not settle every event: " + status.summary(),
              pipeline.failure().orElse(null));
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
      }
    } finally {
      pipeline.close();
    }
    return new SettledRun(start, first, System.nanoTime(), status);
  }

  long nanos() {
    return endNanos - startNanos;
  }

  /** From the first event received to the end, or 0 if none was seen. */
  long steadyNanos() {
    return firstNanos == 0 ? 0 : endNanos - firstNanos;
  }
}
