package dev.driftless.opensearch;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.RetriableException;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/** Test tools: events, and writing a batch until every item settles (what the runner does). */
final class Writes {

  /** Throttling signals seen by {@link #settle}: throttled exceptions and throttled items. */
  static final AtomicInteger THROTTLED = new AtomicInteger();

  /** Other transient signals seen by {@link #settle}. */
  static final AtomicInteger RETRIED = new AtomicInteger();

  private Writes() {}

  static ChangeEvent.Upsert upsert(DocumentKey key, long version, Document document) {
    return ChangeEvent.upsert(
        key, Version.of(version), SourcePosition.ofOffset(version), document, Instant.EPOCH);
  }

  static ChangeEvent.Delete delete(DocumentKey key, long version) {
    return ChangeEvent.delete(
        key, Version.of(version), SourcePosition.ofOffset(version), Instant.EPOCH);
  }

  /**
   * Writes {@code batch} until no item is Retry, retrying thrown {@link RetriableException}s with
   * capped exponential backoff, for at most {@code timeout}. Returns the settled results in order.
   */
  static List<WriteResult> settle(VersionedSink sink, List<ChangeEvent> batch, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<WriteResult> settled = new ArrayList<>();
    List<Integer> pending = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      settled.add(null);
      pending.add(i);
    }
    long pauseMillis = 10;
    while (!pending.isEmpty()) {
      List<ChangeEvent> attempt = new ArrayList<>();
      for (int i : pending) {
        attempt.add(batch.get(i));
      }
      try {
        List<WriteResult> results = sink.write(attempt);
        List<Integer> still = new ArrayList<>();
        for (int j = 0; j < results.size(); j++) {
          if (results.get(j) instanceof WriteResult.Retry retry) {
            (retry.throttled() ? THROTTLED : RETRIED).incrementAndGet();
            still.add(pending.get(j));
          } else {
            settled.set(pending.get(j), results.get(j));
          }
        }
        if (still.size() < pending.size()) {
          pauseMillis = 10;
        }
        pending = still;
      } catch (RetriableException e) {
        (e.throttled() ? THROTTLED : RETRIED).incrementAndGet();
      }
      if (!pending.isEmpty()) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(pending.size() + " items still unsettled after " + timeout);
        }
        LockSupport.parkNanos(Duration.ofMillis(pauseMillis).toNanos());
        pauseMillis = Math.min(pauseMillis * 2, 250);
      }
    }
    return settled;
  }
}
