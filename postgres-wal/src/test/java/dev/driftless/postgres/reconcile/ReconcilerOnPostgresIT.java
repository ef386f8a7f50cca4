package dev.driftless.postgres.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * I8 (finding half): {@link Reconciler} driving two {@link PostgresFingerprintReader}s — one over a
 * table, one over a drifted copy standing in for the index — finds exactly the missing, stale and
 * phantom keys that were planted, and nothing else. No pipeline: the run only reports.
 */
class ReconcilerOnPostgresIT {

  private static final int ROWS = 3000;

  @BeforeAll
  static void createTables() throws Exception {
    ReconcileDatabase.exec(
        "DROP TABLE IF EXISTS orders, orders_copy, lines, lines_copy",
        "CREATE TABLE orders (id bigint PRIMARY KEY, customer text, amount numeric(12, 2),"
            + " placed timestamptz, tags text[], note text)",
        "INSERT INTO orders SELECT g, 'customer ' || (g % 97), g * 1.25,"
            + " timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute',"
            + " ARRAY['t' || (g % 5), 'x,y'], CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || g END"
            + " FROM generate_series(1, "
            + ROWS
            + ") g",
        "CREATE TABLE orders_copy (LIKE orders INCLUDING ALL)",
        "INSERT INTO orders_copy SELECT * FROM orders",
        "CREATE TABLE lines (order_id bigint, line text, qty int, PRIMARY KEY (order_id, line))",
        "INSERT INTO lines SELECT g / 4, 'l,' || (g % 4), g FROM generate_series(1, 800) g",
        "CREATE TABLE lines_copy (LIKE lines INCLUDING ALL)",
        "INSERT INTO lines_copy SELECT * FROM lines");
  }

  private static Reconciler reconciler(String collection, String copy) throws Exception {
    PostgresFingerprintReader source =
        ReconcileDatabase.reader().table("public", collection).build();
    PostgresFingerprintReader index =
        ReconcileDatabase.reader()
            .table(TableMapping.builder(collection).table("public", copy).build())
            .build();
    return Reconciler.builder()
        .source(source)
        .index(index)
        .collection(collection)
        .splits(16)
        .listThreshold(20)
        .verifyDelay(Duration.ZERO)
        .build();
  }

  @Test
  void findsExactlyThePlantedDifferences() throws Exception {
    ReconciliationReport clean = reconciler("orders", "orders_copy").run();
    assertThat(clean.inSync()).as(clean.summary()).isTrue();
    assertThat(clean.sourceRows()).isEqualTo(ROWS);
    assertThat(clean.indexDocuments()).isEqualTo(ROWS);
    // The top-level summaries agree: one request to each side, nothing listed.
    assertThat(clean.summaryRequests()).isBetween(1L, 2L);
    assertThat(clean.bucketRangesMismatched()).isZero();
    assertThat(clean.sourceRowsListed()).isZero();

    ReconcileDatabase.exec(
        "DELETE FROM orders_copy WHERE id IN (10, 500, 1000, 2000, 2999)",
        "UPDATE orders_copy SET amount = amount + 0.01 WHERE id = 7",
        "UPDATE orders_copy SET placed = placed + interval '1 microsecond' WHERE id = 77",
        "UPDATE orders_copy SET tags = ARRAY['t2', 'x', 'y'] WHERE id = 777",
        "UPDATE orders_copy SET note = NULL WHERE id = 1777",
        "UPDATE orders_copy SET note = note WHERE id = 1778", // rewritten, not changed
        "INSERT INTO orders_copy (id, customer) VALUES (5001, 'ghost'), (5002, NULL), (5003, '')");

    ReconciliationReport report = reconciler("orders", "orders_copy").run();
    assertThat(report.missing()).as(report.summary()).isEqualTo(5);
    assertThat(report.stale()).as(report.summary()).isEqualTo(4);
    assertThat(report.phantom()).as(report.summary()).isEqualTo(3);
    assertThat(report.changedDuringComparison()).isZero();
    assertThat(report.sampleKeys())
        .containsExactlyInAnyOrder(
            "missing:10",
            "missing:500",
            "missing:1000",
            "missing:2000",
            "missing:2999",
            "stale:7",
            "stale:77",
            "stale:777",
            "stale:1777",
            "phantom:5001",
            "phantom:5002",
            "phantom:5003");
    assertThat(report.sourceRows()).isEqualTo(ROWS);
    assertThat(report.indexDocuments()).isEqualTo(ROWS - 5 + 3);
    // Only the mismatching ranges were listed, not the tables.
    assertThat(report.sourceRowsListed()).isLessThan(ROWS / 4);
    assertThat(report.bytesRead()).isPositive();
    System.out.println(report.summary());
  }

  @Test
  void compositeKeysWithSeparatorsReconcile() throws Exception {
    assertThat(reconciler("lines", "lines_copy").run().inSync()).isTrue();
    ReconcileDatabase.exec(
        "UPDATE lines_copy SET qty = qty + 1 WHERE order_id = 3 AND line = 'l,1'",
        "DELETE FROM lines_copy WHERE order_id = 4 AND line = 'l,2'",
        "INSERT INTO lines_copy VALUES (4, 'l\\,2', 18)"); // one escape away from the deleted key
    ReconciliationReport report = reconciler("lines", "lines_copy").run();
    assertThat(report.sampleKeys())
        .as(report.summary())
        .containsExactlyInAnyOrder("stale:3,l\\,1", "missing:4,l\\,2", "phantom:4,l\\\\\\,2");
  }
}
