package dev.driftless.dynamodb;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.tck.InMemoryVersionedSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Drives a source as the pipeline's runner does, one event at a time into an in-memory sink: poll,
 * write, commit. A source abandoned without {@code commit} of what it handed out is a crash after
 * the writes (the sink keeps them, the checkpoint does not).
 */
final class Drive {
  private Drive() {}

  static SourceContext context(String pipeline, CheckpointStore store) {
    return context(pipeline, store, () -> {});
  }

  /** A context that runs {@code onResynced} when the source reports a finished resync. */
  static SourceContext context(String pipeline, CheckpointStore store, Runnable onResynced) {
    return new SourceContext() {
      @Override
      public void resynced() {
        onResynced.run();
      }

      @Override
      public String pipelineName() {
        return pipeline;
      }

      @Override
      public CheckpointStore checkpointStore() {
        return store;
      }

      @Override
      public OutagePolicy outagePolicy() {
        // A pipeline configured for quick retries, so fault tests do not wait out long backoffs.
        return OutagePolicy.of(
            RetrySettings.exponential(Duration.ofMillis(10), Duration.ofMillis(200)), null);
      }
    };
  }

  /**
   * Polls and writes until {@code done} says so or {@code timeout} passes; commits every event
   * written when {@code commit} is true. Returns the events written.
   */
  static List<ChangeEvent> run(
      DynamoDbStreamsSource source,
      InMemoryVersionedSink sink,
      boolean commit,
      Duration timeout,
      BooleanSupplier done)
      throws Exception {
    List<ChangeEvent> written = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "not done within "
                + timeout
                + "; status "
                + source.statusDetails()
                + "; sink "
                + sink.liveDocuments());
      }
      for (ChangeEvent e : source.poll(100, Duration.ofMillis(50))) {
        sink.write(List.of(e));
        written.add(e);
        if (commit) {
          source.commit(e.position());
        }
      }
    }
    return written;
  }

  /** Waits, without polling the source, until {@code condition} holds or {@code timeout} passes. */
  static void await(DynamoDbStreamsSource source, Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "condition not met within " + timeout + "; status " + source.statusDetails());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }

  /** The sink's live values of {@code field} by key id. */
  static Map<String, Object> values(InMemoryVersionedSink sink, String field) {
    Map<String, Object> out = new HashMap<>();
    for (Map.Entry<DocumentKey, Document> e : sink.liveDocuments().entrySet()) {
      out.put(e.getKey().id(), e.getValue().get(field));
    }
    return out;
  }
}
