package dev.driftless.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryChangeLog;
import dev.driftless.tck.InMemoryChangeSource;
import dev.driftless.testinfra.elasticsearch.ElasticsearchNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Elasticsearch goes away for 30 seconds while changes keep coming: the in-process node is really
 * stopped ({@link ElasticsearchNode#stop()}: its ports close, connections are refused) and started
 * again on the same data directory and port, so no TCP fault proxy is needed. Checks I5 (the outage
 * is retried, nothing is dead-lettered), I2 (nothing is committed past an unsettled change during
 * the outage) and I1 (the index converges once the node is back).
 */
class OutageIT {

  private static final Duration OUTAGE = Duration.ofSeconds(30);

  @Test
  void aThirtySecondOutageIsRetriedAndConverges() throws Exception {
    ElasticsearchNode node = SharedElasticsearch.node();
    String name = "outage";
    String collection = "outage";
    InMemoryChangeLog log = InMemoryChangeLog.create();
    for (int k = 0; k < 200; k++) {
      log.upsert(
          DocumentKey.of(collection, "key-" + k), Document.of("phase", "before", "k", (long) k));
    }
    InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
    ElasticsearchSink sink =
        SharedElasticsearch.sink(
            SharedElasticsearch.settings().collections(List.of(collection)).build());
    try (Pipeline pipeline =
        Pipeline.builder()
            .name(name)
            .source(new InMemoryChangeSource(log))
            .sink(sink)
            .deadLetterStore(deadLetters)
            .retry(RetrySettings.exponential(Duration.ofMillis(100), Duration.ofSeconds(2)))
            .build()) {
      pipeline.start();
      Converged.awaitDrained(pipeline, log, name, Duration.ofSeconds(30));

      node.stop();
      long stoppedAt = System.nanoTime();
      try {
        for (int k = 0; k < 300; k++) {
          DocumentKey key = DocumentKey.of(collection, "key-" + (k % 250));
          if (k % 7 == 0) {
            log.delete(key);
          } else {
            log.upsert(key, Document.of("phase", "during", "k", (long) k));
          }
        }
        long lastBeforeOutage = 199;
        Eventually.until(
            OUTAGE.plusSeconds(15),
            () -> "30 s of outage with retries; now " + pipeline.status().summary(),
            () -> {
              PipelineStatus s = pipeline.status();
              assertThat(s.failure()).as("pipeline failure during the outage").isNull();
              assertThat(log.committedOffset(name))
                  .as("I2: committed position during the outage")
                  .isEqualTo(lastBeforeOutage);
              return s.retries() > 0 && System.nanoTime() - stoppedAt >= OUTAGE.toNanos();
            });
        assertThat(pipeline.status().eventsDeadLettered()).isZero();
      } finally {
        node.start();
      }

      PipelineStatus done = Converged.awaitDrained(pipeline, log, name, Duration.ofSeconds(60));
      System.err.printf("after the outage: %s%n", done.summary());
      assertThat(done.eventsDeadLettered()).isZero();
      assertThat(deadLetters.count()).isZero();
      assertThat(done.retries()).as("retried writes").isPositive();
    }
    try (ElasticsearchSink reader =
        SharedElasticsearch.sink(SharedElasticsearch.settings().build())) {
      Converged.assertIndexMatches(reader, log);
    }
  }
}
