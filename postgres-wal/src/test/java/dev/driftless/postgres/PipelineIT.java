package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryVersionedSink;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The source driven by the real pipeline runner into the TCK's in-memory versioned sink: after the
 * source is quiet and the pipeline idle, the index equals the table (I1), with each key's writes in
 * version order (I4, checked by the sink's violations).
 */
class PipelineIT {

  @Test
  void thePipelineConvergesOnTheTablesLatestState() throws Exception {
    String db = PgTesting.newDatabase("pipeline");
    exec(db, "CREATE TABLE stock (sku text PRIMARY KEY, qty int)");
    InMemoryVersionedSink sink = InMemoryVersionedSink.create();
    PostgresSource source =
        PgTesting.source(db, "pipeline_it", "pipeline_pub")
            .tables(List.of("stock"))
            .dropSlotOnClose(true)
            .build();
    try (Pipeline pipeline =
        Pipeline.builder()
            .name("pipeline_it")
            .source(source)
            .sink(sink)
            .deadLetterStore(new InMemoryDeadLetterStore())
            .build()) {
      pipeline.start();
      exec(db, "INSERT INTO stock SELECT 'sku-' || g, 0 FROM generate_series(1, 2000) g");
      StringBuilder tx = new StringBuilder("BEGIN;");
      for (int i = 1; i <= 50; i++) {
        tx.append("UPDATE stock SET qty = ").append(i).append(" WHERE sku = 'sku-1';");
      }
      exec(db, tx.append("DELETE FROM stock WHERE sku = 'sku-2'; COMMIT").toString());
      exec(db, "INSERT INTO stock VALUES ('last', 1)");
      Eventually.until(
          Duration.ofSeconds(60),
          "the last row in the sink",
          () -> sink.get(DocumentKey.of("stock", "last")).isPresent());
      assertThat(pipeline.awaitIdle(Duration.ofSeconds(30))).isTrue();
    }
    assertThat(sink.liveDocuments()).hasSize(2000);
    assertThat(sink.liveDocuments().get(DocumentKey.of("stock", "sku-1")).get("qty")).isEqualTo(50);
    assertThat(sink.liveDocuments()).doesNotContainKey(DocumentKey.of("stock", "sku-2"));
    assertThat(sink.violations()).isEmpty();
  }
}
