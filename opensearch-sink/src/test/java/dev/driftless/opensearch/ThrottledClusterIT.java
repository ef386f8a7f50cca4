package dev.driftless.opensearch;

import static dev.driftless.opensearch.Writes.settle;
import static dev.driftless.opensearch.Writes.upsert;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.spi.FingerprintReader.BucketRange;
import dev.driftless.core.spi.FingerprintReader.KeyFingerprint;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.IndexRouting;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A node whose write thread pool has one thread and a queue of one, so the engine itself answers
 * 429 / rejected execution to concurrent bulk requests. Four writers drive the sink the way the
 * runner does (retrying Retry items and thrown RetriableExceptions with backoff). Invariants: I7
 * (throttling slows writers, nothing is dropped or rejected), I5 (an overload is never
 * dead-lettered), I1 (every key converges to its newest version).
 */
class ThrottledClusterIT {

  private static final OpenSearchNode NODE =
      OpenSearchNode.builder()
          .setting("thread_pool.write.size", "1")
          .setting("thread_pool.write.queue_size", "1")
          .start();

  @AfterAll
  static void stopNode() {
    NODE.close();
  }

  @Test
  void concurrentBulkWritesAreThrottledRetriedAndConverge() throws Exception {
    int writers = 4;
    int batchesPerWriter = 3;
    int batchSize = 200;
    Map<String, Long> expected = new HashMap<>();
    List<List<ChangeEvent>> perWriter = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      List<ChangeEvent> events = new ArrayList<>();
      for (int b = 0; b < batchesPerWriter; b++) {
        for (int i = 0; i < batchSize; i++) {
          // Each writer owns its keys (as the runner guarantees); later batches update earlier
          // keys.
          String id = "w" + w + "-k" + ((b * batchSize + i) % (batchSize * 4));
          long version = b + 1;
          events.add(upsert(DocumentKey.of("load", id), version, Document.of("n", version)));
          expected.put(id, version);
        }
      }
      perWriter.add(events);
    }
    Writes.THROTTLED.set(0);
    try (OpenSearchSink sink =
        OpenSearchSink.builder()
            .hosts(NODE.httpUrl())
            .routing(IndexRouting.prefixed("throttled-"))
            .indexSettings("{\"number_of_shards\": 2, \"number_of_replicas\": 0}")
            .build()) {
      sink.indexFor("load");
      ExecutorService pool = Executors.newFixedThreadPool(writers);
      try {
        List<Future<List<WriteResult>>> futures = new ArrayList<>();
        for (List<ChangeEvent> events : perWriter) {
          futures.add(
              pool.submit(
                  () -> {
                    List<WriteResult> all = new ArrayList<>();
                    for (int b = 0; b < batchesPerWriter; b++) {
                      all.addAll(
                          settle(
                              sink,
                              events.subList(b * batchSize, (b + 1) * batchSize),
                              Duration.ofSeconds(90)));
                    }
                    return all;
                  }));
        }
        for (Future<List<WriteResult>> f : futures) {
          assertThat(f.get()).containsOnly(WriteResult.applied());
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(Writes.THROTTLED.get()).as("throttling signals from the engine").isPositive();

      sink.refresh("load");
      List<KeyFingerprint> listed =
          sink.fingerprintReader().list("load", new BucketRange(0, Fingerprints.BUCKET_COUNT));
      Map<String, Long> held = new HashMap<>();
      for (KeyFingerprint k : listed) {
        held.put(k.key().id(), k.version().orElseThrow());
      }
      assertThat(held).isEqualTo(expected);
    }
  }

  /**
   * The same node driven through the real pipeline (I7, I5, I1): the runner sees the engine's 429s
   * as throttling, lowers its concurrency, dead-letters nothing, and the index converges.
   */
  @Test
  void thePipelineSlowsDownAndConverges() throws Exception {
    dev.driftless.tck.InMemoryChangeLog log = dev.driftless.tck.InMemoryChangeLog.create();
    for (int i = 0; i < 3_000; i++) {
      log.upsert(DocumentKey.of("piped", "k" + (i % 1_000)), Document.of("n", (long) i));
    }
    dev.driftless.core.stores.InMemoryDeadLetterStore deadLetters =
        new dev.driftless.core.stores.InMemoryDeadLetterStore();
    OpenSearchSink sink =
        OpenSearchSink.builder()
            .hosts(NODE.httpUrl())
            .routing(IndexRouting.prefixed("throttled-"))
            .indexSettings("{\"number_of_shards\": 2, \"number_of_replicas\": 0}")
            .build();
    int lowestLimit;
    try (dev.driftless.core.Pipeline pipeline =
        dev.driftless.core.Pipeline.builder()
            .source(new dev.driftless.tck.InMemoryChangeSource(log))
            .sink(sink)
            .deadLetterStore(deadLetters)
            .parallelism(8)
            .batchSize(100)
            .retry(
                new dev.driftless.core.RetrySettings(
                    Duration.ofMillis(20), Duration.ofMillis(500), 2.0, 0.2))
            .build()
            .start()) {
      lowestLimit = 8;
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (pipeline.status().eventsSettled() < 3_000 && System.nanoTime() < deadline) {
        lowestLimit = Math.min(lowestLimit, pipeline.status().concurrencyLimit());
        pipeline.awaitIdle(Duration.ofMillis(20));
      }
      assertThat(pipeline.awaitIdle(Duration.ofSeconds(60))).isTrue();
      assertThat(pipeline.status().retries()).as("retried throttled writes").isPositive();
      assertThat(pipeline.status().eventsDeadLettered()).isZero();
      sink.refresh("piped");
      List<KeyFingerprint> listed =
          sink.fingerprintReader().list("piped", new BucketRange(0, Fingerprints.BUCKET_COUNT));
      Map<String, Long> held = new HashMap<>();
      for (KeyFingerprint k : listed) {
        held.put(k.key().id(), k.version().orElseThrow());
      }
      Map<String, Long> expected = new HashMap<>();
      log.latestByKey().forEach((key, e) -> expected.put(key.id(), e.version().value()));
      assertThat(held).isEqualTo(expected);
    }
    assertThat(deadLetters.count()).isZero();
    assertThat(lowestLimit).as("the adaptive limit came down under throttling").isLessThan(8);
  }
}
