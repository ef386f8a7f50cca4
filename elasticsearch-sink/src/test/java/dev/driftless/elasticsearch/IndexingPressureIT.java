package dev.driftless.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.InMemoryChangeLog;
import dev.driftless.tck.InMemoryChangeSource;
import dev.driftless.testinfra.elasticsearch.ElasticsearchNode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.apache.http.HttpHost;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.RestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node of its own whose indexing memory limit ({@code indexing_pressure.memory.limit}) is 1 MB,
 * smaller than the sink's requests: Elasticsearch itself answers 429 to every request over it.
 * Requests over the limit are split until they fit, and the one document over the limit by itself
 * is dead-lettered with the engine's reason instead of being retried forever, while the rest of the
 * stream is applied (two requests in flight together may still be over the limit: that is ordinary
 * throttling, retried). Checks I5 (poison is isolated, nothing else is lost) and I1.
 */
class IndexingPressureIT {

  private static final int DOCS = 1_000;
  private static final int BIG = 613;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ElasticsearchNode node;

  @BeforeAll
  static void startNode() {
    node =
        ElasticsearchNode.builder()
            .clusterName("driftless-pressure")
            .setting("indexing_pressure.memory.limit", "1mb")
            .build();
    node.start();
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  @Test
  void onlyTheDocumentOverTheLimitByItselfIsDeadLettered() throws Exception {
    long rejectionsBefore = coordinatingRejections();
    String collection = "pressure";
    String name = "pressure";
    InMemoryChangeLog log = InMemoryChangeLog.create();
    for (int i = 0; i < DOCS; i++) {
      // About 1.2 KB each: a batch of 1,000 is over the limit, a few hundred are under it.
      String text = i == BIG ? "b".repeat(1_500_000) : "s".repeat(1_200);
      log.upsert(DocumentKey.of(collection, "doc-" + i), Document.of("i", (long) i, "text", text));
    }
    InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
    PipelineStatus done;
    try (Pipeline pipeline =
        Pipeline.builder()
            .name(name)
            .source(new InMemoryChangeSource(log))
            .sink(sink())
            .deadLetterStore(deadLetters)
            .batchSize(DOCS)
            .build()) {
      pipeline.start();
      done = Converged.awaitDrained(pipeline, log, name, Duration.ofSeconds(120));
    }
    assertThat(done.eventsDeadLettered()).isEqualTo(1);

    List<DeadLetter> letters = deadLetters.list(10);
    assertThat(letters).hasSize(1);
    assertThat(letters.get(0).key()).isEqualTo(DocumentKey.of(collection, "doc-" + BIG));
    assertThat(letters.get(0).errorType()).isEqualTo("es_rejected_execution_exception");
    assertThat(letters.get(0).errorMessage())
        .contains("coordinating_operation_bytes=")
        .contains("max_coordinating_and_primary_bytes=1048576");
    assertThat(coordinatingRejections() - rejectionsBefore)
        .as("requests the node itself rejected over its indexing memory limit")
        .isPositive();
    try (ElasticsearchSink reader = sink()) {
      for (int i = 0; i < DOCS; i++) {
        assertThat(reader.get(DocumentKey.of(collection, "doc-" + i)).isPresent())
            .as("doc-%d is in the index", i)
            .isEqualTo(i != BIG);
      }
    }
  }

  private static ElasticsearchSink sink() {
    return ElasticsearchSink.builder()
        .hosts(node.url())
        .settings(SharedElasticsearch.settings().build())
        .build();
  }

  /** The node's count of requests rejected over its indexing memory limit. */
  private static long coordinatingRejections() throws IOException {
    try (RestClient client = RestClient.builder(HttpHost.create(node.url())).build()) {
      JsonNode nodes =
          JSON.readTree(
                  client
                      .performRequest(new Request("GET", "/_nodes/stats/indexing_pressure"))
                      .getEntity()
                      .getContent())
              .path("nodes");
      long rejections = 0;
      for (JsonNode n : nodes) {
        JsonNode total = n.path("indexing_pressure").path("memory").path("total");
        assertThat(total.has("coordinating_rejections")).as("stats of %s", n).isTrue();
        rejections += total.path("coordinating_rejections").asLong();
      }
      return rejections;
    }
  }
}
