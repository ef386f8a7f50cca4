package dev.driftless.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.search.SearchSinkSettings;
import dev.driftless.tck.InMemoryChangeLog;
import dev.driftless.tck.InMemoryChangeSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One document whose field conflicts with the index mapping, in a batch of 1,000: only it is
 * Rejected (and, through a pipeline, dead-lettered) with Elasticsearch's own error type and reason;
 * the other 999 are applied. Checks I5.
 */
class MappingConflictIT {

  private static final int BATCH = 1000;
  private static final int POISON = 537;
  private static final String MAPPING = "{\"properties\": {\"amount\": {\"type\": \"long\"}}}";

  @Test
  void onlyTheConflictingDocumentOfABatchIsRejected() {
    String collection = "conflict-direct";
    try (ElasticsearchSink sink = sink(collection)) {
      sink.start(context());
      List<ChangeEvent> batch = new ArrayList<>();
      for (int i = 0; i < BATCH; i++) {
        batch.add(
            ChangeEvent.upsert(
                DocumentKey.of(collection, "order-" + i),
                Version.of(1),
                SourcePosition.ofOffset(i),
                document(i),
                Instant.EPOCH));
      }
      List<WriteResult> results = sink.write(batch);

      assertThat(results).hasSize(BATCH);
      for (int i = 0; i < BATCH; i++) {
        if (i == POISON) {
          assertThat(results.get(i))
              .isInstanceOfSatisfying(
                  WriteResult.Rejected.class,
                  r -> {
                    assertThat(r.errorType()).isEqualTo("mapper_parsing_exception");
                    assertThat(r.reason()).contains("[amount]").contains("long");
                  });
        } else {
          assertThat(results.get(i)).as("result %d", i).isEqualTo(WriteResult.applied());
        }
      }
      assertThat(sink.get(DocumentKey.of(collection, "order-" + POISON))).isEmpty();
      assertThat(sink.get(DocumentKey.of(collection, "order-" + (POISON + 1)))).isPresent();
    }
  }

  @Test
  void throughAPipelineOnlyTheConflictingDocumentIsDeadLettered() throws Exception {
    String collection = "conflict-pipeline";
    String name = "conflict";
    InMemoryChangeLog log = InMemoryChangeLog.create();
    for (int i = 0; i < BATCH; i++) {
      log.upsert(DocumentKey.of(collection, "order-" + i), document(i));
    }
    InMemoryDeadLetterStore deadLetters = new InMemoryDeadLetterStore();
    try (Pipeline pipeline =
        Pipeline.builder()
            .name(name)
            .source(new InMemoryChangeSource(log))
            .sink(sink(collection))
            .deadLetterStore(deadLetters)
            .batchSize(BATCH)
            .build()) {
      pipeline.start();
      Converged.awaitDrained(pipeline, log, name, Duration.ofSeconds(60));
      assertThat(pipeline.status().eventsDeadLettered()).isEqualTo(1);
    }

    List<DeadLetter> letters = deadLetters.list(10);
    assertThat(letters).hasSize(1);
    DeadLetter letter = letters.get(0);
    assertThat(letter.key()).isEqualTo(DocumentKey.of(collection, "order-" + POISON));
    assertThat(letter.errorType()).isEqualTo("mapper_parsing_exception");
    assertThat(letter.errorMessage()).contains("[amount]");
    assertThat(letter.payload()).isEqualTo(document(POISON));
    try (ElasticsearchSink reader = sink(collection)) {
      for (int i = 0; i < BATCH; i += 111) {
        assertThat(reader.get(DocumentKey.of(collection, "order-" + i)))
            .as("order-%d", i)
            .isPresent();
      }
    }
  }

  private static Document document(int i) {
    return i == POISON
        ? Document.of("amount", "twelve euros", "i", (long) i)
        : Document.of("amount", (long) i * 100, "i", (long) i);
  }

  private static ElasticsearchSink sink(String collection) {
    SearchSinkSettings settings =
        SharedElasticsearch.settings().mapping(collection, MAPPING).build();
    return SharedElasticsearch.sink(settings);
  }

  static SinkContext context() {
    return new SinkContext() {
      @Override
      public String pipelineName() {
        return "test";
      }

      @Override
      public int maxBatchEvents() {
        return BATCH;
      }

      @Override
      public long maxBatchBytes() {
        return 64L * 1024 * 1024;
      }
    };
  }
}
