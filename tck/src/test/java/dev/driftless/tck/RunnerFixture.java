package dev.driftless.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.spi.DeadLetterStore;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Runs a real {@link Pipeline} over an {@link InMemoryChangeLog} and an {@link
 * InMemoryVersionedSink}, configured for fast property tries ({@link PipelineTestKit#fastPipeline}:
 * no linger, 1 ms retry delays, commits at once) and a source whose poll waits at most 1 ms.
 */
final class RunnerFixture {

  static final String PIPELINE = "tck-property";
  static final Duration DEADLINE = Duration.ofSeconds(20);

  final InMemoryChangeLog log;
  final InMemoryVersionedSink sink;
  final DeadLetterStore deadLetters;
  int batchSize = 5;
  long batchBytes = 64 * 1024;
  int maxInFlightEvents = 100;
  long maxInFlightBytes = 1024 * 1024;
  int parallelism = 4;
  Duration linger = Duration.ZERO;

  RunnerFixture(InMemoryChangeLog log, InMemoryVersionedSink sink) {
    this.log = log;
    this.sink = sink;
    this.deadLetters = new InMemoryDeadLetterStore();
  }

  /** A new pipeline over a new source reading the same log (a restart), started. */
  Pipeline start() {
    return PipelineTestKit.fastPipeline(PIPELINE)
        .source(InMemoryChangeSource.withWaitCap(log, Duration.ofMillis(1)))
        .sink(sink)
        .deadLetterStore(deadLetters)
        .checkpointStore(new InMemoryCheckpointStore())
        .batchSize(batchSize)
        .batchBytes(batchBytes)
        .linger(linger)
        .maxInFlightEvents(maxInFlightEvents)
        .maxInFlightBytes(maxInFlightBytes)
        .parallelism(parallelism)
        .build()
        .start();
  }

  /**
   * Waits, with a deadline, until the runner committed the whole log and is idle. Waits on the
   * runner's own idle signal; between checks it parks briefly, since events the source has not yet
   * returned do not count as received.
   */
  void awaitCaughtUp(Pipeline runner) throws InterruptedException {
    long last = log.size() - 1L;
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (log.committedOffset(PIPELINE) < last) {
      assertThat(runner.failure()).as("pipeline failure").isEmpty();
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError(
            "not caught up within "
                + DEADLINE
                + ": committed "
                + log.committedOffset(PIPELINE)
                + " of "
                + last
                + "; "
                + runner.status().summary());
      }
      runner.awaitIdle(Duration.ofMillis(5));
      LockSupport.parkNanos(200_000);
    }
    assertThat(runner.awaitIdle(DEADLINE)).as("idle").isTrue();
  }

  /** I1: the sink holds exactly the log's current state (deleted keys hold nothing live). */
  void assertConverged() {
    Map<DocumentKey, Document> expected = log.currentState();
    assertThat(sink.liveDocuments())
        .as("I1: live documents equal the log's state")
        .isEqualTo(expected);
    for (Map.Entry<DocumentKey, ChangeEvent> latest : log.latestByKey().entrySet()) {
      StoredDocument stored = sink.get(latest.getKey()).orElse(null);
      if (stored != null) {
        assertThat(stored.version())
            .as("I1: version of %s", latest.getKey())
            .isEqualTo(latest.getValue().version());
      } else {
        assertThat(latest.getValue())
            .as("never written: %s", latest.getKey())
            .isInstanceOf(ChangeEvent.Delete.class);
      }
    }
  }

  /** Appends one generated change to the log. */
  void append(Change change, String prefix) {
    DocumentKey key = DocumentKey.of("items", prefix + change.key());
    if (change.delete()) {
      log.delete(key);
    } else {
      log.upsert(key, Document.of("k", (long) change.key(), "n", (long) log.size()));
    }
  }

  /**
   * One generated change.
   *
   * @param key which key (of a few)
   * @param delete whether it deletes the key
   */
  record Change(int key, boolean delete) {}

  /** Histories of up to {@code maxSize} changes over {@code keys} keys, one in four a delete. */
  static Arbitrary<List<Change>> histories(int keys, int maxSize) {
    return Combinators.combine(
            Arbitraries.integers().between(0, keys - 1),
            Arbitraries.integers().between(0, 3).map(i -> i == 0))
        .as(Change::new)
        .list()
        .ofMinSize(1)
        .ofMaxSize(maxSize);
  }
}
