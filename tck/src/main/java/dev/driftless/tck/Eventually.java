package dev.driftless.tck;

import java.time.Duration;
import java.util.Objects;

/**
 * Repeats a check until it passes or a deadline expires, for state that becomes visible with a lag
 * (an index's refresh interval). Waits by parking between attempts, never by fixed sleeps in tests.
 */
final class Eventually {

  /** A check that signals failure by throwing (usually an {@link AssertionError}). */
  @FunctionalInterface
  interface Check {
    void run() throws Exception;
  }

  private Eventually() {}

  /**
   * Runs {@code check} until it passes; once {@code timeout} has passed, rethrows its last failure.
   */
  static void await(Duration timeout, Check check) throws Exception {
    Objects.requireNonNull(timeout, "timeout");
    long deadline = System.nanoTime() + timeout.toNanos();
    long pauseNanos = 1_000_000L;
    while (true) {
      try {
        check.run();
        return;
      } catch (AssertionError | Exception e) {
        if (System.nanoTime() - deadline >= 0) {
          throw e;
        }
      }
      java.util.concurrent.locks.LockSupport.parkNanos(pauseNanos);
      if (Thread.interrupted()) {
        throw new InterruptedException("interrupted while waiting for a condition");
      }
      pauseNanos = Math.min(pauseNanos * 2, 100_000_000L);
    }
  }
}
