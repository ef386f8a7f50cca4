package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static dev.driftless.postgres.PgTesting.query;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Keys at the edges of what PostgreSQL accepts stream through {@link PostgresSource} as events with
 * exactly those keys, and the repair reader reads them back: the empty string (it made {@code poll}
 * throw "id must not be empty", a stream stuck for good), composite keys of empty parts, and a
 * 2,500-character key stored out of line (in its TOAST table). Invariants: I1 (every change
 * arrives, with its key), I5 (a valid row is never an error).
 *
 * <p>The out-of-line key is inserted, deleted, and updated by changing the key itself; an update of
 * another column of its row sends the unchanged key as "unchanged", which this test leaves to the
 * source's own handling of unchanged out-of-line values.
 */
class EdgeKeysIT {

  private static final List<String> TABLES = List.of("empty_keys", "pair_keys", "long_keys");

  /** 2,500 characters without repeats a compressor could fold, so it stays 2,500 bytes. */
  private static final String LONG_A = longKey('a');

  private static final String LONG_B = longKey('b');

  private static String db = "";
  private PostgresSource source;
  private PgTesting.Drain drain;

  private static String longKey(char first) {
    StringBuilder key = new StringBuilder().append(first);
    for (int i = 0; key.length() < 2_500; i++) {
      key.append(Integer.toString(i * 7919, 36)).append(i % 3 == 0 ? ',' : '-');
    }
    return key.substring(0, 2_500);
  }

  @BeforeAll
  static void schema() throws Exception {
    db = PgTesting.newDatabase("edgekeys");
    exec(
        db,
        "CREATE TABLE empty_keys (id text PRIMARY KEY, v int)",
        "CREATE TABLE pair_keys (a text, b text, v int, PRIMARY KEY (a, b))",
        "CREATE TABLE long_keys (id text PRIMARY KEY, v int)",
        // Out of line and uncompressed: the key lives in the TOAST table.
        "ALTER TABLE long_keys ALTER COLUMN id SET STORAGE EXTERNAL");
  }

  @BeforeEach
  void open(TestInfo info) throws Exception {
    String slot = "edge_" + info.getTestMethod().orElseThrow().getName().toLowerCase();
    slot = slot.substring(0, Math.min(60, slot.length()));
    source = PgTesting.source(db, slot, "edge_pub").tables(TABLES).dropSlotOnClose(true).build();
    source.start(PgTesting.context(slot));
    drain = new PgTesting.Drain(source);
  }

  @AfterEach
  void close() throws Exception {
    source.close();
  }

  @Test
  void anEmptyStringKeyIsInsertedUpdatedRekeyedAndDeleted() throws Exception {
    exec(db, "INSERT INTO empty_keys VALUES ('', 1)");
    exec(db, "UPDATE empty_keys SET v = 2 WHERE id = ''");
    exec(db, "UPDATE empty_keys SET id = 'z' WHERE id = ''");
    exec(db, "UPDATE empty_keys SET id = '' WHERE id = 'z'");
    exec(db, "DELETE FROM empty_keys WHERE id = ''");
    drain.until(d -> d.events.size() >= 7);

    DocumentKey empty = DocumentKey.of("empty_keys", "");
    DocumentKey z = DocumentKey.of("empty_keys", "z");
    assertThat(shapes(drain.events))
        .containsExactly(
            "upsert " + empty + " v=1",
            "upsert " + empty + " v=2",
            "delete " + empty,
            "upsert " + z + " v=2",
            "delete " + z,
            "upsert " + empty + " v=2",
            "delete " + empty);
    assertThat(((ChangeEvent.Upsert) drain.events.get(0)).document().get("id")).isEqualTo("");
  }

  @Test
  void compositeKeysOfEmptyPartsAreKeysOfTheirOwn() throws Exception {
    exec(db, "INSERT INTO pair_keys VALUES ('', '', 1), ('', 'x', 2), ('x', '', 3)");
    exec(db, "UPDATE pair_keys SET v = v + 10");
    exec(db, "DELETE FROM pair_keys");
    drain.until(d -> d.events.size() >= 9);

    DocumentKey both = DocumentKey.composite("pair_keys", List.of("", ""));
    DocumentKey first = DocumentKey.composite("pair_keys", List.of("", "x"));
    DocumentKey second = DocumentKey.composite("pair_keys", List.of("x", ""));
    assertThat(List.of(both.id(), first.id(), second.id())).containsExactly(",", ",x", "x,");
    List<String> shapes = shapes(drain.events);
    assertThat(shapes).hasSize(9);
    assertThat(shapes.subList(0, 3))
        .containsExactly(
            "upsert " + both + " v=1", "upsert " + first + " v=2", "upsert " + second + " v=3");
    // One statement changes the rows in the order of the heap, not necessarily of the insert.
    assertThat(shapes.subList(3, 6))
        .containsExactlyInAnyOrder(
            "upsert " + both + " v=11", "upsert " + first + " v=12", "upsert " + second + " v=13");
    assertThat(shapes.subList(6, 9))
        .containsExactlyInAnyOrder("delete " + both, "delete " + first, "delete " + second);
  }

  @Test
  void anOutOfLineKeyOf2500CharactersIsInsertedUpdatedRekeyedAndDeleted() throws Exception {
    exec(db, "INSERT INTO long_keys VALUES ('" + LONG_A + "', 1)");
    assertThat(
            query(
                db,
                "SELECT pg_relation_size(reltoastrelid) > 0 FROM pg_class"
                    + " WHERE relname = 'long_keys'"))
        .as("the key is stored out of line")
        .isEqualTo("t");
    // An update of another column: pgoutput sends the unchanged out-of-line key as "unchanged",
    // and the key comes from the old key the server logs (it stopped the stream before).
    exec(db, "UPDATE long_keys SET v = 2 WHERE id = '" + LONG_A + "'");
    exec(db, "UPDATE long_keys SET id = '" + LONG_B + "' WHERE id = '" + LONG_A + "'");
    exec(db, "UPDATE long_keys SET v = 3 WHERE id = '" + LONG_B + "'");
    exec(db, "DELETE FROM long_keys WHERE id = '" + LONG_B + "'");
    drain.until(d -> d.events.size() >= 6);

    DocumentKey a = DocumentKey.of("long_keys", LONG_A);
    DocumentKey b = DocumentKey.of("long_keys", LONG_B);
    assertThat(shapes(drain.events))
        .containsExactly(
            "upsert " + a + " v=1",
            "upsert " + a + " v=2",
            "delete " + a,
            "upsert " + b + " v=2",
            "upsert " + b + " v=3",
            "delete " + b);
    assertThat(((ChangeEvent.Upsert) drain.events.get(3)).document().get("id")).isEqualTo(LONG_B);
    assertThat(((ChangeEvent.Upsert) drain.events.get(4)).document().get("id")).isEqualTo(LONG_B);
    assertThat(a.id()).hasSize(2_500);
  }

  @Test
  void theRepairReaderReadsEdgeKeysBack() throws Exception {
    exec(
        db,
        "INSERT INTO empty_keys VALUES ('', 5)",
        "INSERT INTO pair_keys VALUES ('', '', 6)",
        "INSERT INTO long_keys VALUES ('" + LONG_A + "', 7)");
    drain.until(d -> d.events.size() >= 3);
    long streamed = drain.events.get(2).version().value();
    List<DocumentKey> keys =
        List.of(
            DocumentKey.of("empty_keys", ""),
            DocumentKey.composite("pair_keys", List.of("", "")),
            DocumentKey.of("long_keys", LONG_A),
            DocumentKey.of("long_keys", LONG_B),
            DocumentKey.composite("pair_keys", List.of("", "absent")));
    try {
      List<ChangeEvent> read = source.repairReader().orElseThrow().readCurrent(keys);

      assertThat(shapes(read))
          .containsExactlyInAnyOrder(
              "upsert " + keys.get(0) + " v=5",
              "upsert " + keys.get(1) + " v=6",
              "upsert " + keys.get(2) + " v=7",
              "delete " + keys.get(3),
              "delete " + keys.get(4));
      assertThat(read)
          .allSatisfy(e -> assertThat(e.version().value()).isGreaterThanOrEqualTo(streamed));
    } finally {
      exec(db, "DELETE FROM empty_keys", "DELETE FROM pair_keys", "DELETE FROM long_keys");
    }
  }

  /** Each event as "upsert key v=…" or "delete key", to compare whole streams at once. */
  private static List<String> shapes(List<ChangeEvent> events) {
    List<String> out = new ArrayList<>();
    for (ChangeEvent e : events) {
      out.add(
          e instanceof ChangeEvent.Upsert u
              ? "upsert " + e.key() + " v=" + u.document().get("v")
              : (e instanceof ChangeEvent.Delete ? "delete " : "other ") + e.key());
    }
    return out;
  }
}
