package dev.driftless.benchmarks;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * How late a thread of this JVM wakes up: a daemon thread parks for {@link #PARK_MS} ms again and
 * again and records by how much each park overran. On a quiet machine that is tens of microseconds;
 * on an overloaded one it is the time a runnable thread waits for a core, which every hand-off
 * between threads and processes in the pipeline (walsender, source reader, dispatcher, writer, HTTP
 * client, the node's transport and write threads) pays again. Thread-safe.
 */
final class WakeupProbe implements AutoCloseable {

  static final long PARK_MS = 5;
  private final Thread thread;
  private Histogram lateness = Latency.micros();
  private volatile boolean closed;

  WakeupProbe() {
    thread = new Thread(this::loop, "fresh-wakeup-probe");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    long park = TimeUnit.MILLISECONDS.toNanos(PARK_MS);
    while (!closed) {
      long before = System.nanoTime();
      LockSupport.parkNanos(park);
      long late = System.nanoTime() - before - park;
      record(Math.max(0, late / 1000));
    }
  }

  private synchronized void record(long micros) {
    lateness.recordValue(Math.min(micros, lateness.getHighestTrackableValue()));
  }

  /** The overruns since the last call, in µs. */
  synchronized Histogram take() {
    Histogram h = lateness;
    lateness = Latency.micros();
    return h;
  }

  @Override
  public void close() throws InterruptedException {
    closed = true;
    thread.join(1_000);
  }
}
