package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static dev.driftless.postgres.PgTesting.query;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.spi.RepairReader;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Every pgoutput message kind against a real server, through the source's poll and commit.
 * Invariants: I1 (the last state of each key is what the events end with), I3/I4 (versions are
 * commit LSNs, non-decreasing per key, shared inside a transaction), I6 (streamed transactions go
 * through spill files).
 */
class PgOutputDecodingIT {

  private static final List<String> TABLES =
      List.of("items", "pairs", "docs", "fulldocs", "moods", "shop.orders");
  private static String db = "";
  private PostgresSource source;
  private PgTesting.Drain drain;

  @BeforeAll
  static void schema() throws Exception {
    db = PgTesting.newDatabase("decoding");
    exec(
        db,
        "CREATE TABLE items (id int PRIMARY KEY, name text, qty int)",
        "CREATE TABLE pairs (a text, b int, payload text, PRIMARY KEY (a, b))",
        "CREATE TABLE docs (id int PRIMARY KEY, qty int, big text)",
        "CREATE TABLE fulldocs (id int PRIMARY KEY, qty int, big text)",
        "ALTER TABLE fulldocs REPLICA IDENTITY FULL",
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
        "CREATE TABLE moods (id int PRIMARY KEY, m mood)",
        "CREATE SCHEMA shop",
        "CREATE TABLE shop.orders (id bigint PRIMARY KEY, total numeric)");
  }

  @BeforeEach
  void open(TestInfo info) throws Exception {
    String slot = "dec_" + info.getTestMethod().orElseThrow().getName().toLowerCase();
    slot = slot.substring(0, Math.min(60, slot.length()));
    source =
        PgTesting.source(db, slot, "decoding_pub").tables(TABLES).dropSlotOnClose(true).build();
    source.start(PgTesting.context(slot));
    drain = new PgTesting.Drain(source);
  }

  @AfterEach
  void close() throws Exception {
    source.close();
  }

  @Test
  void insertUpdateDeleteCarryTheirTransactionsCommitLsn() throws Exception {
    exec(db, "INSERT INTO items VALUES (1, 'a', 1)");
    long afterInsert = LsnPosition.parseLsn(query(db, "SELECT pg_current_wal_insert_lsn()::text"));
    exec(db, "UPDATE items SET qty = 2 WHERE id = 1");
    exec(db, "BEGIN; INSERT INTO items VALUES (2, 'b', 1); DELETE FROM items WHERE id = 1; COMMIT");
    drain.until(d -> d.events.size() >= 4);

    List<ChangeEvent> e = drain.events;
    assertThat(e.get(0)).isInstanceOf(ChangeEvent.Upsert.class);
    assertThat(((ChangeEvent.Upsert) e.get(0)).document().get("name")).isEqualTo("a");
    assertThat(e.get(0).version().value()).isLessThan(afterInsert);
    assertThat(((ChangeEvent.Upsert) e.get(1)).document().get("qty")).isEqualTo(2);
    assertThat(e.get(1).version()).isGreaterThan(e.get(0).version());
    assertThat(e.get(2).key()).isEqualTo(DocumentKey.of("items", "2"));
    assertThat(e.get(3)).isInstanceOf(ChangeEvent.Delete.class);
    assertThat(e.get(3).key()).isEqualTo(DocumentKey.of("items", "1"));
    assertThat(e.get(3).version()).isEqualTo(e.get(2).version()).isGreaterThan(e.get(1).version());
    assertThat(e).extracting(ChangeEvent::position).isSorted();
  }

  @Test
  void aRowUpdatedManyTimesInOneTransactionEndsWithTheLastState() throws Exception {
    StringBuilder sql = new StringBuilder("BEGIN; INSERT INTO items VALUES (10, 'x', 0);");
    for (int i = 1; i <= 300; i++) {
      sql.append("UPDATE items SET qty = ").append(i).append(" WHERE id = 10;");
    }
    sql.append("COMMIT");
    exec(db, sql.toString());
    drain.until(d -> d.events.size() >= 301);

    assertThat(drain.events.stream().map(ChangeEvent::version).distinct()).hasSize(1);
    ChangeEvent last = drain.last("items", "10");
    assertThat(((ChangeEvent.Upsert) last).document().get("qty")).isEqualTo(300);
  }

  @Test
  void compositeKeysAndKeyChanges() throws Exception {
    exec(db, "INSERT INTO pairs VALUES ('x,y', 1, 'p')");
    exec(db, "UPDATE pairs SET b = 2 WHERE a = 'x,y'");
    drain.until(d -> d.events.size() >= 3);

    DocumentKey first = DocumentKey.composite("pairs", List.of("x,y", "1"));
    DocumentKey second = DocumentKey.composite("pairs", List.of("x,y", "2"));
    assertThat(drain.events.get(0).key()).isEqualTo(first);
    assertThat(drain.events.get(1)).isInstanceOf(ChangeEvent.Delete.class);
    assertThat(drain.events.get(1).key()).isEqualTo(first);
    assertThat(drain.events.get(2).key()).isEqualTo(second);
  }

  @Test
  void truncateEmitsOneTruncateEventPerTable() throws Exception {
    exec(db, "INSERT INTO items VALUES (20, 'gone', 1)");
    exec(db, "TRUNCATE items, pairs");
    drain.until(d -> d.events.stream().filter(e -> e instanceof ChangeEvent.Truncate).count() >= 2);

    List<ChangeEvent> markers =
        drain.events.stream().filter(e -> e instanceof ChangeEvent.Truncate).toList();
    assertThat(markers)
        .extracting(m -> m.key().collection())
        .containsExactlyInAnyOrder("items", "pairs");
    assertThat(markers.get(0).version()).isGreaterThan(drain.events.get(0).version());
  }

  @Test
  void alterTableMidStreamChangesTheDocumentShape() throws Exception {
    exec(db, "INSERT INTO moods VALUES (1, 'ok')");
    exec(db, "ALTER TABLE moods ADD COLUMN note text");
    exec(db, "INSERT INTO moods VALUES (2, 'happy', 'added')");
    exec(db, "ALTER TABLE moods DROP COLUMN note");
    exec(db, "INSERT INTO moods VALUES (3, 'sad')");
    drain.until(d -> d.events.size() >= 3);

    assertThat(((ChangeEvent.Upsert) drain.last("moods", "1")).document().fields())
        .containsOnlyKeys("id", "m");
    assertThat(((ChangeEvent.Upsert) drain.last("moods", "2")).document().get("note"))
        .isEqualTo("added");
    assertThat(((ChangeEvent.Upsert) drain.last("moods", "3")).document().fields())
        .containsOnlyKeys("id", "m")
        .containsEntry("m", "sad");
  }

  @Test
  void originsMessagesAndOtherSchemasPassThrough() throws Exception {
    exec(
        db,
        "SELECT pg_replication_origin_create('dec_origin')",
        "SELECT pg_replication_origin_session_setup('dec_origin')",
        "INSERT INTO shop.orders VALUES (1, 9.99)",
        "SELECT pg_replication_origin_session_reset()",
        "SELECT pg_replication_origin_drop('dec_origin')");
    exec(
        db,
        "BEGIN; SELECT pg_logical_emit_message(true, 'p', 'in tx');"
            + " INSERT INTO shop.orders VALUES (2, 1); COMMIT",
        "SELECT pg_logical_emit_message(false, 'p', 'outside')",
        "INSERT INTO shop.orders VALUES (3, 2)");
    drain.until(d -> d.events.size() >= 3);

    assertThat(drain.events)
        .extracting(ChangeEvent::key)
        .containsExactly(
            DocumentKey.of("shop.orders", "1"),
            DocumentKey.of("shop.orders", "2"),
            DocumentKey.of("shop.orders", "3"));
  }

  @Test
  void unchangedToastValuesAreNeverMissing() throws Exception {
    // Random text does not compress, so it is stored out of line.
    String big = "(SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 400))";
    exec(db, "INSERT INTO docs VALUES (1, 0, " + big + ")");
    exec(db, "INSERT INTO fulldocs VALUES (1, 0, " + big + ")");
    String docsBig = query(db, "SELECT big FROM docs WHERE id = 1");
    String fullBig = query(db, "SELECT big FROM fulldocs WHERE id = 1");
    exec(db, "UPDATE docs SET qty = 1 WHERE id = 1");
    exec(db, "UPDATE fulldocs SET qty = 1 WHERE id = 1");
    drain.until(d -> d.events.size() >= 4);

    ChangeEvent.Upsert docs = (ChangeEvent.Upsert) drain.last("docs", "1");
    ChangeEvent.Upsert full = (ChangeEvent.Upsert) drain.last("fulldocs", "1");
    assertThat(docs.document().get("qty")).isEqualTo(1);
    assertThat(docs.document().get("big")).isEqualTo(docsBig);
    assertThat(full.document().get("qty")).isEqualTo(1);
    assertThat(full.document().get("big")).isEqualTo(fullBig);
    // Only the table without the old row needed a re-read.
    assertThat(source.statusDetails()).containsEntry("toastRereads", 1L);
  }

  @Test
  void streamedTransactionsAreReleasedAtCommitAndAbortsEmitNothing() throws Exception {
    // logical_decoding_work_mem is 64kB on the test server: these are streamed while in progress.
    exec(
        db,
        "BEGIN; INSERT INTO items SELECT g, 'aborted', 0 FROM generate_series(1000, 3999) g;"
            + " ROLLBACK");
    exec(
        db,
        "BEGIN;"
            + " INSERT INTO items SELECT g, 'kept', 0 FROM generate_series(5000, 6999) g;"
            + " SAVEPOINT s1;"
            + " INSERT INTO items SELECT g, 'rolled back', 0 FROM generate_series(7000, 8999) g;"
            + " ROLLBACK TO SAVEPOINT s1;"
            + " INSERT INTO items SELECT g, 'after', 0 FROM generate_series(9000, 9009) g;"
            + " COMMIT");
    exec(db, "INSERT INTO items VALUES (99999, 'marker', 0)");
    drain.until(d -> d.hasKey("items", "99999"));

    Set<String> ids = drain.events.stream().map(e -> e.key().id()).collect(Collectors.toSet());
    assertThat(ids).hasSize(2000 + 10 + 1);
    assertThat(ids).contains("5000", "6999", "9000", "9009").doesNotContain("1000", "7000", "8999");
    List<ChangeEvent> tx =
        drain.events.stream().filter(e -> !e.key().id().equals("99999")).toList();
    assertThat(tx.stream().map(ChangeEvent::version).distinct()).hasSize(1);
    assertThat(drain.events).extracting(ChangeEvent::position).isSorted();
  }

  @Test
  void repairReaderReadsCurrentRowsAndDeletes() throws Exception {
    exec(db, "INSERT INTO pairs VALUES ('r', 1, 'one'), ('r', 2, 'two')");
    exec(db, "DELETE FROM pairs WHERE a = 'r' AND b = 2");
    drain.until(d -> d.events.size() >= 3);
    long streamed = drain.events.get(2).version().value();

    RepairReader reader = source.repairReader().orElseThrow();
    DocumentKey present = DocumentKey.composite("pairs", List.of("r", "1"));
    DocumentKey absent = DocumentKey.composite("pairs", List.of("r", "2"));
    List<ChangeEvent> read = reader.readCurrent(List.of(present, absent));

    assertThat(read).hasSize(2);
    ChangeEvent.Upsert up = (ChangeEvent.Upsert) read.get(0);
    assertThat(up.key()).isEqualTo(present);
    assertThat(up.document().get("payload")).isEqualTo("one");
    assertThat(up.version().value()).isGreaterThanOrEqualTo(streamed);
    assertThat(read.get(1)).isInstanceOf(ChangeEvent.Delete.class);
    assertThat(read.get(1).key()).isEqualTo(absent);
  }

  @Test
  void statusReportsLagAndRetainedWal() throws Exception {
    exec(db, "INSERT INTO items VALUES (30, 's', 1)");
    drain.until(d -> d.events.size() >= 1);
    assertThat(source.statusDetails())
        .containsKeys(
            "replicationLagBytes", "replicationLagMillis", "confirmedFlushLsn", "serverWalLsn")
        .containsEntry("connected", true);
  }
}
