package dev.driftless.core.internal;

import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;

/** The outcome of one replayed key: applied or stale (success), or why it failed again. */
final class ReplayTicket {
  final CountDownLatch done = new CountDownLatch(1);
  volatile boolean success;
  volatile @Nullable String errorType;
  volatile @Nullable String errorMessage;

  void succeed() {
    success = true;
    done.countDown();
  }

  void fail(String type, String message) {
    errorType = type;
    errorMessage = message;
    done.countDown();
  }
}
