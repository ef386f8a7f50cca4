package dev.driftless.examples;

import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Prints one line about a pipeline every interval, on a daemon thread: events a second, lag, dead
 * letters and what the source reports. Close to stop.
 */
public final class StatusLine implements AutoCloseable {
  private static final java.util.Set<String> SHOWN =
      java.util.Set.of(
          "backfillState",
          "backfillRowsDone",
          "backfillRowsTotalEstimate",
          "replicationLagBytes",
          "shardsOpen",
          "shardsClosed",
          "oldestUnprocessedRecordAgeMillis");
  private final ScheduledExecutorService timer;
  private final long started = System.nanoTime();
  private long lastSettled;

  private StatusLine(Pipeline pipeline, Duration interval) {
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "demo-status");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleAtFixedRate(
        () -> print(pipeline.status(), interval),
        interval.toMillis(),
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** Starts printing {@code pipeline}'s status every {@code interval}. */
  public static StatusLine every(Duration interval, Pipeline pipeline) {
    return new StatusLine(pipeline, interval);
  }

  private void print(PipelineStatus s, Duration interval) {
    long settled = s.eventsSettled();
    double rate = (settled - lastSettled) * 1000.0 / interval.toMillis();
    lastSettled = settled;
    System.out.printf(
        "[%3ds] %-8s %,7.0f events/s  settled=%,d  lag=%d events / %d ms  dead letters=%d  %s%n",
        (System.nanoTime() - started) / 1_000_000_000L,
        s.state(),
        rate,
        settled,
        s.lagEvents(),
        s.lagTime().toMillis(),
        s.eventsDeadLettered(),
        sourceDetails(s));
  }

  /** The source's lag, backfill progress and shards, whichever it reports. */
  private static String sourceDetails(PipelineStatus s) {
    StringBuilder sb = new StringBuilder();
    new java.util.TreeMap<>(s.source())
        .forEach(
            (k, v) -> {
              if (SHOWN.contains(k)) {
                sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(v);
              }
            });
    return sb.toString();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
