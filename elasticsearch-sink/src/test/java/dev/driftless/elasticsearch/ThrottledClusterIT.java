package dev.driftless.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryChangeLog;
import dev.driftless.tck.InMemoryChangeSource;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.Response;
import org.junit.jupiter.api.Test;

/**
 * A node whose {@code write} thread pool holds one thread and {@value
 * SharedElasticsearch#WRITE_QUEUE} queued shard tasks, fed by a pipeline sending up to {@value
 * #PARALLELISM} bulk requests at once, each spanning {@value #COLLECTIONS} indices: the engine
 * itself rejects shard bulks with 429 ({@code es_rejected_execution_exception}). Checks I7 (the
 * pipeline lowers its concurrency and nothing is dropped), I5 (throttling is retried, never
 * dead-lettered) and I1 (the index converges to the log).
 */
class ThrottledClusterIT {

  private static final int COLLECTIONS = 6;
  private static final int KEYS_PER_COLLECTION = 100;
  private static final int PARALLELISM = 16;
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void throttlingSlowsThePipelineDownAndDropsNothing() throws Exception {
    long rejectedBefore = writeRejections();
    String name = "throttle";
    List<String> collections = new ArrayList<>();
    for (int c = 0; c < COLLECTIONS; c++) {
      collections.add("throttle" + c);
    }
    InMemoryChangeLog log = InMemoryChangeLog.create();
    for (int round = 0; round < 2; round++) {
      for (int k = 0; k < KEYS_PER_COLLECTION; k++) {
        // Consecutive changes hit different indices, so each bulk request fans out to many shards.
        for (String collection : collections) {
          log.upsert(
              DocumentKey.of(collection, "key-" + k),
              Document.of("round", (long) round, "k", (long) k, "text", "value " + k));
        }
      }
    }
    for (int k = 0; k < KEYS_PER_COLLECTION; k += 10) {
      log.delete(DocumentKey.of(collections.get(k % COLLECTIONS), "key-" + k));
    }
    InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
    ElasticsearchSink sink =
        SharedElasticsearch.sink(SharedElasticsearch.settings().collections(collections).build());
    AtomicInteger minLimit = new AtomicInteger(Integer.MAX_VALUE);
    PipelineStatus done;
    long started = System.nanoTime();
    try (Pipeline pipeline =
        Pipeline.builder()
            .name(name)
            .source(new InMemoryChangeSource(log))
            .sink(sink)
            .deadLetterStore(deadLetters)
            .batchSize(64)
            .parallelism(PARALLELISM)
            .retry(RetrySettings.exponential(Duration.ofMillis(20), Duration.ofMillis(500)))
            .build()) {
      pipeline.start();
      Eventually.until(
          Duration.ofSeconds(90),
          () -> "pipeline drained; now " + pipeline.status().summary(),
          () -> {
            PipelineStatus s = pipeline.status();
            minLimit.accumulateAndGet(s.concurrencyLimit(), Math::min);
            assertThat(s.failure()).as("pipeline failure").isNull();
            return s.eventsReceived() >= log.size()
                && s.inFlightEvents() == 0
                && log.committedOffset(name) == log.size() - 1L;
          });
      done = pipeline.status();
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    long rejected = writeRejections() - rejectedBefore;
    System.err.printf(
        "throttled run: %d events in %d ms, %d shard bulks rejected by the node, %d retries,"
            + " lowest concurrency limit %d of %d%n",
        log.size(), millis, rejected, done.retries(), minLimit.get(), PARALLELISM);

    assertThat(rejected).as("shard bulks the node rejected with 429").isPositive();
    assertThat(done.retries()).as("retried writes").isPositive();
    assertThat(minLimit.get()).as("lowest concurrency limit").isLessThan(PARALLELISM);
    assertThat(done.eventsDeadLettered()).isZero();
    assertThat(deadLetters.count()).isZero();
    try (ElasticsearchSink reader =
        SharedElasticsearch.sink(SharedElasticsearch.settings().build())) {
      Converged.assertIndexMatches(reader, log);
    }
  }

  private static long writeRejections() throws IOException {
    Response response =
        SharedElasticsearch.client()
            .performRequest(new Request("GET", "/_nodes/stats/thread_pool"));
    JsonNode nodes = JSON.readTree(response.getEntity().getContent()).path("nodes");
    long rejected = 0;
    for (JsonNode node : nodes) {
      rejected += node.path("thread_pool").path("write").path("rejected").asLong();
    }
    return rejected;
  }
}
