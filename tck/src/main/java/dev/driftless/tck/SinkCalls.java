package dev.driftless.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.RetriableException;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** How the sink suites call a sink: the context they start it with, and settled writes. */
final class SinkCalls {

  private SinkCalls() {}

  /** A context as a pipeline named "tck" with the default batch bounds would give. */
  static SinkContext defaultSinkContext() {
    return new SinkContext() {
      @Override
      public String pipelineName() {
        return "tck";
      }

      @Override
      public int maxBatchEvents() {
        return 500;
      }

      @Override
      public long maxBatchBytes() {
        return 5L * 1024 * 1024;
      }
    };
  }

  /**
   * Writes {@code batch}, retrying transient failures until {@code timeout}: a thrown {@link
   * RetriableException} retries the batch, {@link WriteResult.Retry} items are written again on
   * their own. Returns one settled result per event, in order.
   */
  static List<WriteResult> settle(VersionedSink sink, List<ChangeEvent> batch, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<@Nullable WriteResult> settled = new ArrayList<>();
    List<Integer> pending = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      settled.add(null);
      pending.add(i);
    }
    long pauseMillis = 1;
    while (!pending.isEmpty()) {
      List<ChangeEvent> attempt = new ArrayList<>(pending.size());
      for (int i : pending) {
        attempt.add(batch.get(i));
      }
      try {
        List<WriteResult> results = sink.write(attempt);
        assertThat(results)
            .as("S1.6: one result per event of a batch of %d", attempt.size())
            .hasSize(attempt.size());
        List<Integer> stillPending = new ArrayList<>();
        for (int j = 0; j < results.size(); j++) {
          if (results.get(j) instanceof WriteResult.Retry) {
            stillPending.add(pending.get(j));
          } else {
            settled.set(pending.get(j), results.get(j));
          }
        }
        pending = stillPending;
      } catch (RetriableException e) {
        if (System.nanoTime() - deadline >= 0) {
          throw e;
        }
      }
      if (!pending.isEmpty()) {
        if (System.nanoTime() - deadline >= 0) {
          throw new AssertionError(
              "items still answered Retry after " + timeout + ": " + pending.size());
        }
        java.util.concurrent.locks.LockSupport.parkNanos(pauseMillis * 1_000_000L);
        pauseMillis = Math.min(pauseMillis * 2, 200);
      }
    }
    List<WriteResult> out = new ArrayList<>(settled.size());
    for (WriteResult r : settled) {
      out.add(java.util.Objects.requireNonNull(r));
    }
    return out;
  }

  /** The live part of a stored state: a deleted marker counts as absent. */
  static Optional<StoredDocument> absentOrLive(Optional<StoredDocument> stored) {
    if (stored.isEmpty() || stored.get().deleted()) {
      return Optional.empty();
    }
    return stored;
  }
}
