package dev.driftless.tck;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The one way tests wait: poll a condition until it holds or a deadline passes, for state that
 * becomes visible with a lag (an index's refresh interval, a pipeline's threads, a server coming
 * back). Never a fixed sleep. Waits by parking between attempts, from 1 ms growing to 50 ms.
 */
public final class Eventually {

  /** A condition; it may throw (a query against a server), which fails the wait at once. */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  /** A value that is not there yet while it is {@code null}. */
  @FunctionalInterface
  public interface Probe<T> {
    @Nullable T get() throws Exception;
  }

  /** A check that signals failure by throwing (usually an {@link AssertionError}). */
  @FunctionalInterface
  public interface Check {
    void run() throws Exception;
  }

  private static final long MAX_PAUSE_NANOS = 50_000_000L;

  private Eventually() {}

  /**
   * Polls {@code condition} until it holds.
   *
   * @param description what is awaited, for the failure message
   * @throws AssertionError naming {@code description} once {@code timeout} has passed, or if the
   *     condition throws a checked exception (its cause) or the thread is interrupted
   */
  public static void until(Duration timeout, String description, Condition condition) {
    Objects.requireNonNull(description, "description");
    until(timeout, () -> description, condition);
  }

  /**
   * As {@link #until(Duration, String, Condition)}, with a description made when the wait fails (so
   * it can tell the state at that moment).
   */
  public static void until(Duration timeout, Supplier<String> description, Condition condition) {
    Objects.requireNonNull(condition, "condition");
    untilValue(timeout, description, () -> condition.holds() ? Boolean.TRUE : null);
  }

  /**
   * Polls {@code probe} until it returns a value, and returns that value.
   *
   * @param description what is awaited, for the failure message
   * @throws AssertionError naming {@code description} once {@code timeout} has passed, or if the
   *     probe throws a checked exception (its cause) or the thread is interrupted
   */
  public static <T> T untilValue(Duration timeout, String description, Probe<T> probe) {
    Objects.requireNonNull(description, "description");
    return untilValue(timeout, () -> description, probe);
  }

  private static <T> T untilValue(Duration timeout, Supplier<String> description, Probe<T> probe) {
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(probe, "probe");
    long deadline = System.nanoTime() + timeout.toNanos();
    long pauseNanos = 1_000_000L;
    try {
      while (true) {
        T value = probe.get();
        if (value != null) {
          return value;
        }
        if (System.nanoTime() - deadline >= 0) {
          throw new AssertionError(
              "timed out after " + timeout + " waiting for " + description.get());
        }
        pauseNanos = pause(pauseNanos);
      }
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + description.get(), e);
    } catch (Exception e) {
      throw new AssertionError("failed while waiting for " + description.get() + ": " + e, e);
    }
  }

  /**
   * Runs {@code check} until it passes; once {@code timeout} has passed, rethrows its last failure
   * (so the message is the assertion's own).
   */
  public static void await(Duration timeout, Check check) throws Exception {
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(check, "check");
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
      pauseNanos = pause(pauseNanos);
    }
  }

  /** Parks, then returns the next pause. */
  private static long pause(long pauseNanos) throws InterruptedException {
    LockSupport.parkNanos(pauseNanos);
    if (Thread.interrupted()) {
      throw new InterruptedException("interrupted while waiting for a condition");
    }
    return Math.min(pauseNanos * 2, MAX_PAUSE_NANOS);
  }
}
