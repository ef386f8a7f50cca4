package dev.driftless.core.internal;

import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;

/** The outcome of one repaired or replayed key: applied or stale (success), or why it failed. */
final class ReplayTicket {
  final CountDownLatch done = new CountDownLatch(1);

  /**
   * Whether a rejected write goes to the dead-letter store (a repair) or only fails the ticket (a
   * dead-letter replay, which updates the letter it replays instead).
   */
  final boolean deadLetterOnFailure;

  volatile boolean success;
  volatile boolean stale;
  volatile @Nullable String errorType;
  volatile @Nullable String errorMessage;

  ReplayTicket(boolean deadLetterOnFailure) {
    this.deadLetterOnFailure = deadLetterOnFailure;
  }

  void succeed(boolean wasStale) {
    stale = wasStale;
    success = true;
    done.countDown();
  }

  void fail(String type, String message) {
    errorType = type;
    errorMessage = message;
    done.countDown();
  }
}
