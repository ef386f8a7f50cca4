package dev.driftless.opensearch;

import static dev.driftless.opensearch.Writes.settle;
import static dev.driftless.opensearch.Writes.upsert;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.IndexRouting;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The engine stops for 30 seconds and starts again: the real node is closed and restarted on the
 * same data directory and HTTP port ({@link OpenSearchNode#stop()} / {@link
 * OpenSearchNode#start()}), not simulated with the fault proxy. Writes during the outage are
 * retried (connection refused is a {@link dev.driftless.core.RetriableException}), nothing is
 * rejected, and every key converges once the node is back. Invariants: I5 (an outage is never
 * dead-lettered), I2/I1 (nothing lost, convergence).
 */
class EngineOutageIT {

  private static final OpenSearchNode NODE = OpenSearchNode.builder().start();

  @AfterAll
  static void stopNode() {
    NODE.close();
  }

  @Test
  void aThirtySecondOutageIsRetriedAndConverges() throws Exception {
    try (OpenSearchSink sink =
        OpenSearchSink.builder()
            .hosts(NODE.httpUrl())
            .routing(IndexRouting.prefixed("outage-"))
            .indexSettings("{\"number_of_shards\": 1, \"number_of_replicas\": 0}")
            .connectTimeout(Duration.ofSeconds(2))
            .build()) {
      DocumentKey first = DocumentKey.of("orders", "before");
      assertThat(
              settle(sink, List.of(upsert(first, 1, Document.of("n", 1L))), Duration.ofSeconds(30)))
          .containsOnly(WriteResult.applied());

      Writes.RETRIED.set(0);
      NODE.stop();
      long stoppedAt = System.nanoTime();
      CompletableFuture<Void> restart =
          CompletableFuture.runAsync(
              NODE::start, CompletableFuture.delayedExecutor(30, TimeUnit.SECONDS));

      List<ChangeEvent> during = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        during.add(upsert(DocumentKey.of("orders", "during-" + i), 2, Document.of("n", (long) i)));
      }
      during.add(upsert(first, 2, Document.of("n", 2L)));
      List<WriteResult> results = settle(sink, during, Duration.ofSeconds(120));
      restart.get(60, TimeUnit.SECONDS);

      assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt))
          .isGreaterThan(Duration.ofSeconds(29));
      assertThat(results).containsOnly(WriteResult.applied());
      assertThat(Writes.RETRIED.get()).as("retries while the node was down").isPositive();
      assertThat(sink.get(first).orElseThrow().version().value()).isEqualTo(2);
      for (int i = 0; i < 500; i += 50) {
        assertThat(sink.get(DocumentKey.of("orders", "during-" + i))).isPresent();
      }
    }
  }
}
