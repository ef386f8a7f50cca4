package dev.driftless.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.Pipeline;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.postgres.PostgresSource;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A PostgreSQL {@code TRUNCATE} through the whole pipeline into OpenSearch (tck rule S1.13 end to
 * end): rows written before it go, including those inserted earlier in the truncating transaction;
 * rows the same transaction inserts after it and rows of later transactions stay. The sink finds
 * the documents by their {@code _version} (documents carry no copy of it) and deletes each with a
 * versioned delete, so the index must equal the table afterwards, document for document, with every
 * remaining document at the version of its row's last write.
 */
class TruncateEndToEndIT {

  @Test
  void aTruncateRemovesEarlierRowsAndKeepsLaterOnes() throws Exception {
    EndToEnd e2e = EndToEnd.create("truncate");
    e2e.exec("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)");
    String slot = e2e.name;
    PostgresSource source = e2e.source(slot, List.of("items")).build();
    try (OpenSearchSink sink = e2e.sink(slot + "-");
        Pipeline pipeline = e2e.start(slot, source, sink)) {
      e2e.exec("INSERT INTO items SELECT g, 'before ' || g FROM generate_series(1, 1500) g");
      e2e.awaitCaughtUp(slot, pipeline);
      String index = sink.indexFor("items");
      assertThat(EndToEnd.versions(index)).hasSize(1500);

      e2e.exec(
          "BEGIN",
          "INSERT INTO items SELECT g, 'same tx, before' FROM generate_series(2001, 2010) g",
          "TRUNCATE items",
          "INSERT INTO items SELECT g, 'same tx, after' FROM generate_series(3001, 3020) g",
          "COMMIT",
          "INSERT INTO items SELECT g, 'later' FROM generate_series(4001, 4005) g",
          "UPDATE items SET name = 'later update' WHERE id = 3001");
      e2e.awaitCaughtUp(slot, pipeline);

      Map<String, Map<?, ?>> docs = EndToEnd.documents(index);
      List<Map<String, String>> rows =
          e2e.rows("SELECT id::text AS id, name FROM items").stream()
              .map(
                  r ->
                      Map.of(
                          "id", String.valueOf(r.get("id")), "name", String.valueOf(r.get("name"))))
              .toList();
      assertThat(new TreeSet<>(docs.keySet()))
          .as("the index holds exactly the table's rows")
          .isEqualTo(new TreeSet<>(rows.stream().map(r -> r.get("id")).toList()));
      assertThat(rows).hasSize(25);
      for (Map<String, String> row : rows) {
        assertThat(docs.get(row.get("id")).get("name"))
            .as("document %s", row.get("id"))
            .isEqualTo(row.get("name"));
      }
      assertThat(pipeline.status().eventsDeadLettered()).isZero();
    }
  }
}
