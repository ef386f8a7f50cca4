package dev.driftless.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.StoredDocument;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.postgres.PostgresSource;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * An index damaged behind the pipeline's back, through OpenSearch's REST API (deleted documents,
 * stale versions put back, content swapped, phantoms added), is found and repaired by
 * reconciliation with exact counts, and a second run is in sync (I8); repairs never lower a
 * document's version (I3) and leave every document equal to its row (I1).
 */
class CorruptedIndexIT {

  @Test
  void reconciliationFindsAndRepairsEveryKindOfDamage() throws Exception {
    EndToEnd e2e = EndToEnd.create("corrupted");
    e2e.exec("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int, note text)");
    String slot = e2e.name;
    PostgresSource source = e2e.source(slot, List.of("items")).build();
    try (OpenSearchSink sink = e2e.sink(slot + "-");
        Pipeline pipeline = e2e.start(slot, source, sink)) {
      e2e.exec(
          "INSERT INTO items SELECT g, 'item ' || g, g % 17, CASE WHEN g % 3 = 0 THEN NULL ELSE"
              + " 'note ' || g END FROM generate_series(1, 2000) g");
      e2e.awaitCaughtUp(slot, pipeline);
      String index = sink.indexFor("items");
      IndexTampering tamper = new IndexTampering(EndToEnd.opensearch().httpUrl());

      // Stale: snapshot five documents, let the stream move them on, put the snapshots back.
      List<String> staleIds = List.of("10", "20", "30", "40", "50");
      Map<String, IndexTampering.Snapshot> old = new HashMap<>();
      for (String id : staleIds) {
        old.put(id, tamper.require(index, id));
      }
      e2e.exec(
          "UPDATE items SET qty = qty + 1000, note = 'moved on' WHERE id % 10 = 0 AND id <= 50");
      e2e.awaitCaughtUp(slot, pipeline);
      Map<String, Long> movedOnVersions = new HashMap<>();
      for (String id : staleIds) {
        movedOnVersions.put(id, version(sink, id));
        tamper.restore(index, old.get(id));
      }
      // Missing: deleted by hand.
      for (String id : List.of("101", "202", "303", "404", "505", "606")) {
        assertThat(tamper.delete(index, id)).isTrue();
      }
      // Changed content: a writer that mixed up rows.
      tamper.swapContent(index, "1001", "1002");
      tamper.swapContent(index, "1500", "7");
      // Phantoms: copies under ids the table never had.
      for (String id : List.of("3001", "3002", "-5", "2001")) {
        tamper.addPhantom(index, "11", id);
      }
      tamper.refresh(index);

      Reconciler reconciler =
          Reconciler.builder()
              .source(e2e.fingerprints("items"))
              .index(sink.fingerprintReader())
              .pipeline(pipeline)
              .collection("items")
              .splits(16)
              .listThreshold(100)
              .verifyDelay(Duration.ofMillis(200))
              .build();
      ReconciliationReport drift = reconciler.run();
      assertThat(drift.sourceRows()).as(drift.summary()).isEqualTo(2000);
      assertThat(drift.indexDocuments()).isEqualTo(2000 - 6 + 4);
      assertThat(drift.missing()).as(drift.summary()).isEqualTo(6);
      assertThat(drift.stale()).as(drift.sampleKeys().toString()).isEqualTo(5 + 2);
      assertThat(drift.phantom()).isEqualTo(4);
      assertThat(drift.changedDuringComparison()).isZero();
      assertThat(drift.repaired()).isEqualTo(6 + 7 + 4);
      assertThat(drift.repairFailed()).isZero();

      sink.refresh("items");
      ReconciliationReport after = reconciler.run();
      assertThat(after.inSync()).as(after.summary()).isTrue();
      assertThat(after.indexDocuments()).isEqualTo(2000);

      for (String id : staleIds) {
        assertThat(version(sink, id))
            .as("I3: repair of %s never lowers the version the stream wrote", id)
            .isGreaterThanOrEqualTo(movedOnVersions.get(id));
      }
      assertEqualsTable(e2e, index);
    }
  }

  /**
   * A phantom whose id cannot be a key of the table (text where the key is an integer) is deleted
   * like any other phantom, and does not stop the other keys' repairs.
   */
  @Test
  void phantomWithAnImpossibleKeyIsDeleted() throws Exception {
    EndToEnd e2e = EndToEnd.create("impossible");
    e2e.exec("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int, note text)");
    String slot = e2e.name;
    PostgresSource source = e2e.source(slot, List.of("items")).build();
    try (OpenSearchSink sink = e2e.sink(slot + "-");
        Pipeline pipeline = e2e.start(slot, source, sink)) {
      e2e.exec("INSERT INTO items SELECT g, 'item ' || g, g, NULL FROM generate_series(1, 50) g");
      e2e.awaitCaughtUp(slot, pipeline);
      String index = sink.indexFor("items");
      IndexTampering tamper = new IndexTampering(EndToEnd.opensearch().httpUrl());
      tamper.addPhantom(index, "1", "x");
      assertThat(tamper.delete(index, "2")).isTrue();
      tamper.refresh(index);
      Reconciler reconciler =
          Reconciler.builder()
              .source(e2e.fingerprints("items"))
              .index(sink.fingerprintReader())
              .pipeline(pipeline)
              .collection("items")
              .verifyDelay(Duration.ZERO)
              .build();
      ReconciliationReport drift = reconciler.run();
      assertThat(drift.phantom()).as(drift.summary()).isEqualTo(1);
      assertThat(drift.missing()).isEqualTo(1);
      assertThat(drift.repaired()).isEqualTo(2);
      sink.refresh("items");
      assertThat(reconciler.run().inSync()).isTrue();
    }
  }

  private static long version(OpenSearchSink sink, String id) {
    StoredDocument d = sink.get(DocumentKey.of("items", id)).orElseThrow();
    return d.version().value();
  }

  /** I1: the index holds exactly the table's rows, field by field. */
  static void assertEqualsTable(EndToEnd e2e, String index) throws Exception {
    Map<String, Map<?, ?>> docs = EndToEnd.documents(index);
    List<Map<String, @Nullable String>> rows = e2e.rows("SELECT id, name, qty, note FROM items");
    assertThat(docs.keySet()).hasSize(rows.size());
    for (Map<String, @Nullable String> row : rows) {
      Map<?, ?> doc = docs.get(row.get("id"));
      assertThat(doc).as("document %s", row.get("id")).isNotNull();
      for (String column : List.of("id", "name", "qty", "note")) {
        Object value = doc.get(column);
        assertThat(value == null ? null : String.valueOf(value))
            .as("%s of %s", column, row.get("id"))
            .isEqualTo(row.get(column));
      }
    }
  }
}
