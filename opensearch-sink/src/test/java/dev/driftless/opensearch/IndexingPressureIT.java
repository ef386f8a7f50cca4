package dev.driftless.opensearch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.DeadLetter;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.search.IndexRouting;
import dev.driftless.tck.InMemoryChangeLog;
import dev.driftless.tck.InMemoryChangeSource;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A node whose indexing memory limit ({@code indexing_pressure.memory.limit}) is 1 MB, smaller than
 * the sink's requests: the engine itself answers 429 to every request over it. Requests over the
 * limit are split until they fit, and the one document over the limit by itself is dead-lettered
 * with the engine's reason instead of being retried forever, while the rest of the stream is
 * applied (two requests in flight together may still be over the limit: that is ordinary
 * throttling, retried). Checks I5 (poison is isolated, nothing else is lost) and I1.
 */
class IndexingPressureIT {

  private static final String LIMIT = "1mb";
  private static final int DOCS = 1_000;
  private static final int BIG = 613;

  private static final OpenSearchNode NODE =
      OpenSearchNode.builder().setting("indexing_pressure.memory.limit", LIMIT).start();

  @AfterAll
  static void stopNode() {
    NODE.close();
  }

  @Test
  void onlyTheDocumentOverTheLimitByItselfIsDeadLettered() throws Exception {
    long rejectionsBefore = coordinatingRejections();
    String collection = "pressure";
    InMemoryChangeLog log = InMemoryChangeLog.create();
    for (int i = 0; i < DOCS; i++) {
      // About 1.2 KB each: a batch of 1,000 is over the limit, a few hundred are under it.
      String text = (i == BIG ? "b" : "s").repeat(i == BIG ? 1_500_000 : 1_200);
      log.upsert(DocumentKey.of(collection, "doc-" + i), Document.of("i", (long) i, "text", text));
    }
    InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
    OpenSearchSink sink =
        OpenSearchSink.builder()
            .hosts(NODE.httpUrl())
            .routing(IndexRouting.prefixed("pressure-"))
            .indexSettings("{\"number_of_shards\": 1, \"number_of_replicas\": 0}")
            .build();
    try (Pipeline pipeline =
        Pipeline.builder()
            .name("pressure")
            .source(new InMemoryChangeSource(log))
            .sink(sink)
            .deadLetterStore(deadLetters)
            .batchSize(DOCS)
            .build()
            .start()) {
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (pipeline.status().eventsSettled() < DOCS && System.nanoTime() < deadline) {
        assertThat(pipeline.failure()).as("pipeline failure").isEmpty();
        pipeline.awaitIdle(Duration.ofMillis(50));
      }
      assertThat(pipeline.awaitIdle(Duration.ofSeconds(30))).as("pipeline went idle").isTrue();
      assertThat(pipeline.status().eventsSettled()).isEqualTo(DOCS);
      assertThat(pipeline.status().eventsDeadLettered()).isEqualTo(1);
      assertThat(log.committedOffset("pressure")).isEqualTo(DOCS - 1L);
    }

    List<DeadLetter> letters = deadLetters.list(10);
    assertThat(letters).hasSize(1);
    assertThat(letters.get(0).key()).isEqualTo(DocumentKey.of(collection, "doc-" + BIG));
    assertThat(letters.get(0).errorType()).endsWith("rejected_execution_exception");
    assertThat(letters.get(0).errorMessage())
        .contains("coordinating_operation_bytes=")
        .contains("max_coordinating_and_primary_bytes=1048576");
    assertThat(coordinatingRejections() - rejectionsBefore)
        .as("requests the node itself rejected over its indexing memory limit")
        .isPositive();
    try (OpenSearchSink reader =
        OpenSearchSink.builder()
            .hosts(NODE.httpUrl())
            .routing(IndexRouting.prefixed("pressure-"))
            .build()) {
      for (int i = 0; i < DOCS; i++) {
        Optional<?> held = reader.get(DocumentKey.of(collection, "doc-" + i));
        assertThat(held.isPresent()).as("doc-%d is in the index", i).isEqualTo(i != BIG);
      }
    }
  }

  /** The node's count of requests rejected over its indexing memory limit. */
  private static long coordinatingRejections() throws IOException, InterruptedException {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            NODE.httpUrl()
                                + "/_nodes/stats/indexing_pressure?filter_path="
                                + "nodes.*.indexing_pressure.memory.total.coordinating_rejections"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    Matcher m = Pattern.compile("\"coordinating_rejections\":(\\d+)").matcher(r.body());
    assertThat(m.find()).as("indexing pressure stats in %s", r.body()).isTrue();
    return Long.parseLong(m.group(1));
  }
}
