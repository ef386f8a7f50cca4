package dev.driftless.elasticsearch;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition with a deadline, checking it every few milliseconds. */
final class PollUntil {

  private PollUntil() {}

  /**
   * Returns once {@code condition} holds; fails with {@code what} after {@code timeout}.
   *
   * @throws AssertionError when the deadline passes first
   */
  static void await(Duration timeout, String what, BooleanSupplier condition) {
    await(timeout, () -> what, condition);
  }

  /** As {@link #await(Duration, String, BooleanSupplier)}, describing the state on failure. */
  static void await(Duration timeout, Supplier<String> what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pauseNanos = 1_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError("not within " + timeout + ": " + what.get());
      }
      LockSupport.parkNanos(pauseNanos);
      pauseNanos = Math.min(pauseNanos * 2, 100_000_000L);
    }
  }
}
