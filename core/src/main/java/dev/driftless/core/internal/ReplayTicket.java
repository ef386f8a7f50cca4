package dev.driftless.core.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one repaired or replayed key: applied or stale (success), why it failed, or that
 * the pipeline stopped first. The first outcome wins; later ones are ignored.
 */
final class ReplayTicket {
  private final CountDownLatch done = new CountDownLatch(1);

  /**
   * Whether a rejected write goes to the dead-letter store (a repair) or only fails the ticket (a
   * dead-letter replay, which updates the letter it replays instead).
   */
  final boolean deadLetterOnFailure;

  @GuardedBy("this")
  private boolean completed;

  @GuardedBy("this")
  private boolean success;

  @GuardedBy("this")
  private boolean stale;

  @GuardedBy("this")
  private boolean stopped;

  @GuardedBy("this")
  private @Nullable String errorType;

  @GuardedBy("this")
  private @Nullable String errorMessage;

  ReplayTicket(boolean deadLetterOnFailure) {
    this.deadLetterOnFailure = deadLetterOnFailure;
  }

  void succeed(boolean wasStale) {
    synchronized (this) {
      if (completed) {
        return;
      }
      completed = true;
      stale = wasStale;
      success = true;
    }
    done.countDown();
  }

  void fail(String type, String message) {
    complete(type, message, false);
  }

  /** Fails the ticket because the pipeline stopped before its event settled. */
  void abandon(String reason) {
    complete("pipeline:stopped", reason, true);
  }

  private void complete(String type, String message, boolean byStop) {
    synchronized (this) {
      if (completed) {
        return;
      }
      completed = true;
      errorType = type;
      errorMessage = message;
      stopped = byStop;
    }
    done.countDown();
  }

  /** Waits for the outcome; see {@link RepairCoordinator} for why this always ends. */
  void await() throws InterruptedException {
    done.await();
  }

  synchronized boolean completed() {
    return completed;
  }

  synchronized boolean success() {
    return success;
  }

  synchronized boolean stale() {
    return stale;
  }

  /** Whether the pipeline stopped before the key's outcome was known. */
  synchronized boolean stopped() {
    return stopped;
  }

  synchronized String errorType() {
    return String.valueOf(errorType);
  }

  synchronized String errorMessage() {
    return String.valueOf(errorMessage);
  }
}
