package dev.driftless.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentJson;
import dev.driftless.core.DocumentKey;
import dev.driftless.postgres.DifferentialColumns.Column;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The differential test of issue 10: a seeded random workload over every type of
 * docs/postgres-types.md, edge values included (ASCII and Unicode whitespace and control characters
 * at the edges of array elements and composite fields, empty strings, the word NULL, NULLs in
 * arrays and composites, out-of-line values, json keys beyond 50,000 characters, BC and far-future
 * dates, float bit patterns), with a generated column, a column dropped and columns added
 * mid-stream. Every document is compared with PostgreSQL's own rendering of the row ({@link
 * DifferentialColumns}), per pgoutput protocol version, on whichever major this JVM runs (14 and 18
 * in the build).
 *
 * <p>One test method per path, so that a failure names the path: the stream, repair reads, a
 * backfill, the re-read that completes an unchanged out-of-line value, and out-of-line keys. Each
 * protocol's workload runs once and is shared by its methods.
 *
 * <p>The seed is printed; {@code -Ddriftless.differential.seed=N} replays one, {@code
 * -Ddriftless.differential.ops=N} changes the workload's length (default 300 changes).
 */
class DifferentialTypesIT {

  private static final long SEED = Long.getLong("driftless.differential.seed", System.nanoTime());
  private static final int OPS = Integer.getInteger("driftless.differential.ops", 300);
  private static final int INITIAL_ROWS = 40;
  private static final Map<Integer, Run> RUNS = new ConcurrentHashMap<>();
  private static final List<String> ADDED = List.of("c_added_arr", "c_added_json");
  private static final String DROPPED = "c_dropme";
  private static final Set<String> GENERATED = Set.of("c_gen", "gen");

  @ParameterizedTest(name = "protocol {0}")
  @ValueSource(ints = {1, 2, 4})
  void streamDocumentsEqualPostgresRendering(int protocol) throws Exception {
    Run run = run(protocol);
    assertNone(run.streamMismatches, "stream", protocol);
    assertThat(run.streamCompared).as("rows compared").isGreaterThan(INITIAL_ROWS / 2);
  }

  @ParameterizedTest(name = "protocol {0}")
  @ValueSource(ints = {1, 2, 4})
  void repairReadsEqualPostgresRenderingAndTheStream(int protocol) throws Exception {
    // Known gap (issue 10, item 5, being fixed in PostgresSource): reads include generated columns.
    assertNone(run(protocol).repairMismatches, "repair reads", protocol);
  }

  @ParameterizedTest(name = "protocol {0}")
  @ValueSource(ints = {1, 2, 4})
  void backfillEqualsPostgresRenderingAndRepairReads(int protocol) throws Exception {
    // Known gap (issue 10, item 5, being fixed in PostgresSource): reads include generated columns.
    assertNone(run(protocol).backfillMismatches, "backfill", protocol);
  }

  @ParameterizedTest(name = "protocol {0}")
  @ValueSource(ints = {1, 2, 4})
  void unchangedOutOfLineValuesReReadEqualPostgresRendering(int protocol) throws Exception {
    // Known gaps (issue 10, items 0 and 5, being fixed in PostgresSource): the re-read includes
    // generated columns, and may miss the update it completes.
    assertNone(run(protocol).toastMismatches, "unchanged out-of-line re-read", protocol);
  }

  @ParameterizedTest(name = "protocol {0}")
  @ValueSource(ints = {1, 2, 4})
  void outOfLineKeysStreamAndReadBack(int protocol) throws Exception {
    // Known gap (issue 10, item 2, being fixed in PostgresSource): an update that leaves an
    // out-of-line key unchanged arrives without the key.
    assumeProtocol(protocol);
    long seed = SEED + 100 + protocol;
    System.out.println(
        "DifferentialTypesIT out-of-line keys, protocol " + protocol + ", seed " + seed);
    Random random = new Random(seed);
    String db = PgTesting.newDatabase("diff_keys");
    PgTesting.exec(
        db,
        "CREATE TABLE tkeys (k text PRIMARY KEY, v int)",
        "ALTER TABLE tkeys ALTER COLUMN k SET STORAGE EXTERNAL");
    PostgresSource source =
        PgTesting.source(db, "diff_keys_" + protocol, "diff_keys_pub")
            .tables(List.of("tkeys"))
            .protocolVersion(protocol)
            .dropSlotOnClose(true)
            .build();
    List<String> mismatches = new ArrayList<>();
    try {
      source.start(PgTesting.context("diff_keys"));
      PgTesting.Drain drain = new PgTesting.Drain(source);
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        StringBuilder key = new StringBuilder();
        // Every other key out of line: beyond the TOAST threshold, within btree's 2,704 bytes.
        int bytes = i % 2 == 0 ? 2_200 : random.nextInt(6);
        key.append(i); // distinct
        while (key.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length < bytes) {
          key.append(DifferentialColumns.string(random, 4));
        }
        keys.add(key.toString());
        PgTesting.exec(
            db,
            "INSERT INTO tkeys VALUES ("
                + DifferentialColumns.quote(key.toString())
                + ", "
                + i
                + ")");
      }
      PgTesting.exec(db, "UPDATE tkeys SET v = v + 10", "DELETE FROM tkeys WHERE v = 11");
      PgTesting.exec(db, "INSERT INTO tkeys VALUES ('end', -1)");
      drain.until(d -> d.hasKey("tkeys", "end"));
      Map<String, Map<String, @Nullable Object>> expected = new LinkedHashMap<>();
      try (Connection c = PgTesting.server().connect(db);
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT k, v FROM tkeys WHERE k <> 'end'")) {
        while (rs.next()) {
          Map<String, @Nullable Object> row = new LinkedHashMap<>();
          row.put("k", rs.getString(1));
          row.put("v", rs.getInt(2));
          expected.put(rs.getString(1), row);
        }
      }
      List<DocumentKey> all = new ArrayList<>();
      for (String k : keys) {
        DocumentKey key = DocumentKey.of("tkeys", k);
        all.add(key);
        compareEvent("stream", key, drain.latest.get(key), expected.get(k), Set.of(), mismatches);
      }
      for (ChangeEvent e : source.repairReader().orElseThrow().readCurrent(all)) {
        compareEvent("repair", e.key(), e, expected.get(e.key().id()), Set.of(), mismatches);
      }
    } catch (RuntimeException e) {
      mismatches.add("the source failed: " + e);
    } finally {
      source.close();
    }
    assertNone(mismatches, "out-of-line keys", protocol);
  }

  // --- the shared workload ---------------------------------------------------------------------

  /** What one protocol's workload found, per path. */
  private static final class Run {
    final List<String> streamMismatches = new ArrayList<>();
    final List<String> repairMismatches = new ArrayList<>();
    final List<String> backfillMismatches = new ArrayList<>();
    final List<String> toastMismatches = new ArrayList<>();
    int streamCompared;
    @Nullable Exception failure;
  }

  private static void assumeProtocol(int protocol) {
    int major = PgTesting.server().majorVersion();
    Assumptions.assumeTrue(
        protocol < 4 || major >= 16, "protocol 4 needs PostgreSQL 16, this is " + major);
  }

  private static Run run(int protocol) throws Exception {
    assumeProtocol(protocol);
    Run run = RUNS.get(protocol);
    if (run == null) {
      try {
        run = workload(protocol);
      } catch (Exception e) {
        run = new Run();
        run.failure = e;
      }
      RUNS.put(protocol, run);
    }
    Exception failure = run.failure;
    if (failure != null) {
      throw new AssertionError("the workload of protocol " + protocol + " failed", failure);
    }
    return run;
  }

  private static Run workload(int protocol) throws Exception {
    long seed = SEED + protocol;
    int major = PgTesting.server().majorVersion();
    System.out.println(
        "DifferentialTypesIT PostgreSQL "
            + major
            + ", protocol "
            + protocol
            + ", seed "
            + seed
            + " (-Ddriftless.differential.seed="
            + SEED
            + "), "
            + OPS
            + " changes");
    Random random = new Random(seed);
    long started = System.nanoTime();
    String db = PgTesting.newDatabase("diff_p" + protocol);
    List<Column> columns = DifferentialColumns.columns();
    List<String> ddl = new ArrayList<>(DifferentialColumns.typeDefinitions());
    StringBuilder create = new StringBuilder("CREATE TABLE vals (id int4 PRIMARY KEY");
    for (Column c : columns) {
      create.append(", ").append(c.name()).append(' ').append(c.sqlType());
    }
    create.append(", ").append(DROPPED).append(" text");
    create.append(", c_gen int4 GENERATED ALWAYS AS (c_int4 % 7) STORED)");
    ddl.add(create.toString());
    ddl.add("ALTER TABLE vals ALTER COLUMN c_text SET STORAGE EXTERNAL");
    ddl.add(
        "CREATE TABLE toasted (id int4 PRIMARY KEY, big text, small int4,"
            + " gen int4 GENERATED ALWAYS AS (small * 2) STORED)");
    ddl.add("ALTER TABLE toasted ALTER COLUMN big SET STORAGE EXTERNAL");
    PgTesting.exec(db, ddl.toArray(String[]::new));

    Run run = new Run();
    PostgresSource source =
        PgTesting.source(db, "diff_" + protocol, "diff_pub")
            .tables(List.of("vals", "toasted"))
            .protocolVersion(protocol)
            .dropSlotOnClose(true)
            .build();
    Map<DocumentKey, ChangeEvent> stream;
    long schemaChangeLsn;
    Set<Integer> ids = new LinkedHashSet<>();
    try {
      source.start(PgTesting.context("diff"));
      PgTesting.Drain drain = new PgTesting.Drain(source);
      schemaChangeLsn = changes(db, columns, random, ids, drain);
      PgTesting.exec(db, "INSERT INTO toasted (id, big, small) VALUES (-1, 'end', 0)");
      drain.until(d -> d.hasKey("toasted", "-1"));
      stream = drain.latest;

      Map<Integer, Map<String, @Nullable Object>> expected = reference(db, "vals", columns);
      Map<Integer, Map<String, @Nullable Object>> expectedToasted =
          reference(db, "toasted", List.of());
      expectedToasted.remove(-1);

      // The stream, with the schema changes' rule: a row whose last change came before them keeps
      // the dropped column and lacks the added ones (null in the database) until it changes again.
      Set<String> tolerated = new LinkedHashSet<>();
      tolerated.add(DROPPED);
      tolerated.addAll(ADDED);
      List<DocumentKey> keys = new ArrayList<>();
      for (int id : ids) {
        DocumentKey key = DocumentKey.of("vals", String.valueOf(id));
        keys.add(key);
        ChangeEvent e = stream.get(key);
        boolean beforeSchemaChange = e != null && e.version().value() < schemaChangeLsn;
        compareEvent(
            "stream",
            key,
            e,
            expected.get(id),
            beforeSchemaChange ? tolerated : Set.of(),
            run.streamMismatches);
        run.streamCompared++;
      }
      for (Map.Entry<Integer, Map<String, @Nullable Object>> t : expectedToasted.entrySet()) {
        DocumentKey key = DocumentKey.of("toasted", String.valueOf(t.getKey()));
        compareEvent("stream", key, stream.get(key), t.getValue(), Set.of(), run.toastMismatches);
      }

      // Repair reads of every key ever written, deleted ones included.
      Map<DocumentKey, ChangeEvent> repaired = new HashMap<>();
      for (ChangeEvent e : source.repairReader().orElseThrow().readCurrent(keys)) {
        repaired.put(e.key(), e);
      }
      for (DocumentKey key : keys) {
        ChangeEvent e = repaired.get(key);
        compareEvent(
            "repair",
            key,
            e,
            expected.get(Integer.valueOf(key.id())),
            Set.of(),
            run.repairMismatches);
        ChangeEvent s = stream.get(key);
        if (e instanceof ChangeEvent.Upsert r
            && s instanceof ChangeEvent.Upsert u
            && u.version().value() >= schemaChangeLsn
            && !Objects.equals(r.document().fingerprint(), u.document().fingerprint())) {
          run.repairMismatches.add("repair " + key + ": fingerprint differs from the stream's");
        }
      }

      // A backfill of the same tables by a second source.
      backfill(db, protocol, ids, expected, repaired, run);
    } finally {
      source.close();
    }
    System.out.println(
        "DifferentialTypesIT protocol "
            + protocol
            + " took "
            + Duration.ofNanos(System.nanoTime() - started).toMillis()
            + " ms");
    return run;
  }

  /** The random changes; returns the WAL position after the mid-stream schema change. */
  private static long changes(
      String db, List<Column> columns, Random random, Set<Integer> ids, PgTesting.Drain drain)
      throws Exception {
    long schemaChangeLsn = -1;
    List<String> added = new ArrayList<>();
    try (Connection c = PgTesting.server().connect(db);
        Statement s = c.createStatement()) {
      for (int t = 0; t < 8; t++) {
        s.execute(
            "INSERT INTO toasted (id, big, small) VALUES ("
                + t
                + ", "
                + DifferentialColumns.quote(bigText(random))
                + ", "
                + t
                + ")");
      }
      int nextId = 1;
      for (int i = 0; i < INITIAL_ROWS; i++) {
        s.execute(insert(columns, nextId, random, added));
        ids.add(nextId++);
      }
      for (int op = 0; op < OPS; op++) {
        if (op == OPS / 2) {
          s.execute("ALTER TABLE vals DROP COLUMN " + DROPPED);
          s.execute("ALTER TABLE vals ADD COLUMN c_added_arr text[]");
          s.execute("ALTER TABLE vals ADD COLUMN c_added_json jsonb");
          added.addAll(ADDED);
          try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
            rs.next();
            schemaChangeLsn = LsnPosition.parseLsn(rs.getString(1));
          }
        }
        int id = 1 + random.nextInt(nextId - 1);
        int statements = 1 + (random.nextInt(4) == 0 ? random.nextInt(3) : 0);
        StringBuilder tx = new StringBuilder(statements > 1 ? "BEGIN;" : "");
        for (int k = 0; k < statements; k++) {
          switch (random.nextInt(10)) {
            case 0, 1, 2 -> {
              tx.append(insert(columns, nextId, random, added)).append(';');
              ids.add(nextId++);
            }
            case 3 -> tx.append("DELETE FROM vals WHERE id = ").append(id).append(';');
            case 4 ->
                tx.append("UPDATE toasted SET small = small + 1 WHERE id = ")
                    .append(random.nextInt(8))
                    .append(';');
            default -> tx.append(update(columns, id, random, added)).append(';');
          }
        }
        if (statements > 1) {
          tx.append("COMMIT");
        }
        s.execute(tx.toString());
        if (op % 25 == 0) {
          drain.pollOnce();
        }
      }
    }
    return schemaChangeLsn;
  }

  private static String insert(List<Column> columns, int id, Random random, List<String> added) {
    StringBuilder names = new StringBuilder("id");
    StringBuilder values = new StringBuilder().append(id);
    for (Column c : columns) {
      names.append(", ").append(c.name());
      values.append(", ").append(DifferentialColumns.literal(c, random));
    }
    appendAdded(names, values, random, added);
    return "INSERT INTO vals (" + names + ") VALUES (" + values + ")";
  }

  /**
   * Every column set to a new literal (never to itself, which would leave a TOASTed value
   * "unchanged").
   */
  private static String update(List<Column> columns, int id, Random random, List<String> added) {
    StringBuilder names = new StringBuilder("id");
    StringBuilder values = new StringBuilder().append(id);
    for (Column c : columns) {
      names.append(", ").append(c.name());
      values.append(", ").append(DifferentialColumns.literal(c, random));
    }
    appendAdded(names, values, random, added);
    return "UPDATE vals SET (" + names + ") = ROW(" + values + ") WHERE id = " + id;
  }

  private static void appendAdded(
      StringBuilder names, StringBuilder values, Random random, List<String> added) {
    if (added.isEmpty()) {
      names.append(", ").append(DROPPED);
      values.append(", ").append(DifferentialColumns.quote(DifferentialColumns.string(random, 4)));
      return;
    }
    names.append(", c_added_arr, c_added_json");
    values
        .append(", ARRAY[")
        .append(DifferentialColumns.quote(DifferentialColumns.string(random, 4)))
        .append(", NULL]::text[], ")
        .append(DifferentialColumns.quote(DifferentialColumns.json(random, 0, false)))
        .append("::jsonb");
  }

  private static String bigText(Random random) {
    StringBuilder sb = new StringBuilder();
    while (sb.length() < 3_000) {
      sb.append(DifferentialColumns.string(random, 16));
    }
    return sb.toString();
  }

  /**
   * PostgreSQL's rendering of every row of {@code table}, mapped to document values: {@code
   * row_to_json} in a UTC session with ISO-8601 intervals, special references where a column has
   * one, generated columns left out (pgoutput does not send them).
   */
  private static Map<Integer, Map<String, @Nullable Object>> reference(
      String db, String table, List<Column> columns) throws Exception {
    Map<String, Column> byName = new HashMap<>();
    StringBuilder sql = new StringBuilder("SELECT t.id, row_to_json(t)::text");
    List<Column> special = new ArrayList<>();
    for (Column c : columns) {
      byName.put(c.name(), c);
      if (c.reference() != null) {
        special.add(c);
        sql.append(", (").append(c.reference()).append(")::text");
      }
    }
    sql.append(" FROM ").append(table).append(" t");
    Map<Integer, Map<String, @Nullable Object>> rows = new LinkedHashMap<>();
    try (Connection c = PgTesting.server().connect(db);
        Statement s = c.createStatement()) {
      s.execute(
          "SET TimeZone = 'UTC'; SET IntervalStyle = 'iso_8601'; SET DateStyle = 'ISO, MDY';"
              + " SET extra_float_digits = 1; SET bytea_output = 'hex'");
      try (ResultSet rs = s.executeQuery(sql.toString())) {
        while (rs.next()) {
          Map<?, ?> json =
              (Map<?, ?>) Objects.requireNonNull(DocumentJson.parseValue(rs.getString(2)));
          Map<String, @Nullable Object> row = new LinkedHashMap<>();
          for (Map.Entry<?, ?> e : json.entrySet()) {
            String name = (String) e.getKey();
            if (GENERATED.contains(name)) {
              continue;
            }
            Object value = e.getValue();
            int at = special.indexOf(byName.get(name));
            if (at >= 0) {
              String text = rs.getString(3 + at);
              value = text == null ? null : DocumentJson.parseValue(text);
            }
            row.put(name, expect(table, byName.get(name), name, value));
          }
          rows.put(rs.getInt(1), row);
        }
      }
    }
    return rows;
  }

  private static @Nullable Object expect(
      String table, @Nullable Column column, String name, @Nullable Object value) {
    if (column != null) {
      return column.expect().apply(value);
    }
    return switch (name) {
      case "id", "small" -> DifferentialColumns.INT.apply(value);
      case "c_added_arr" -> DifferentialColumns.list(DifferentialColumns.SAME).apply(value);
      default -> value; // text, jsonb
    };
  }

  private static void backfill(
      String db,
      int protocol,
      Set<Integer> ids,
      Map<Integer, Map<String, @Nullable Object>> expected,
      Map<DocumentKey, ChangeEvent> repaired,
      Run run)
      throws Exception {
    PostgresSource source =
        PgTesting.source(db, "diff_backfill_" + protocol, "diff_pub")
            .tables(List.of("vals", "toasted"))
            .protocolVersion(protocol)
            .dropSlotOnClose(true)
            .backfill(BackfillSettings.builder().tables(List.of("vals")).chunkRows(25).build())
            .build();
    try {
      source.start(PgTesting.context("diff_backfill"));
      PgTesting.Drain drain = new PgTesting.Drain(source);
      drain.until(d -> "done".equals(source.statusDetails().get("backfillState")));
      for (int id : ids) {
        DocumentKey key = DocumentKey.of("vals", String.valueOf(id));
        Map<String, @Nullable Object> row = expected.get(id);
        ChangeEvent e = drain.latest.get(key);
        if (row == null) {
          if (e != null) {
            run.backfillMismatches.add("backfill " + key + ": a deleted row was backfilled: " + e);
          }
          continue;
        }
        compareEvent("backfill", key, e, row, Set.of(), run.backfillMismatches);
        if (e instanceof ChangeEvent.Upsert b
            && repaired.get(key) instanceof ChangeEvent.Upsert r
            && !Objects.equals(b.document().fingerprint(), r.document().fingerprint())) {
          run.backfillMismatches.add(
              "backfill " + key + ": fingerprint differs from the repair read's");
        }
      }
    } finally {
      source.close();
    }
  }

  /**
   * Compares one key's event with the expected row (null: the row does not exist). {@code
   * tolerated} fields may be missing from the document when expected null, or present when not
   * expected (the schema-change rule of the stream).
   */
  private static void compareEvent(
      String path,
      DocumentKey key,
      @Nullable ChangeEvent event,
      @Nullable Map<String, @Nullable Object> row,
      Set<String> tolerated,
      List<String> mismatches) {
    String where = path + " " + key.collection() + "/" + abbreviate(key.id());
    if (row == null) {
      if (!(event instanceof ChangeEvent.Delete)) {
        mismatches.add(where + ": the row is gone but the last event is " + describe(event));
      }
      return;
    }
    if (!(event instanceof ChangeEvent.Upsert upsert)) {
      mismatches.add(where + ": expected an upsert, got " + describe(event));
      return;
    }
    Map<String, @Nullable Object> fields = upsert.document().fields();
    for (Map.Entry<String, @Nullable Object> e : row.entrySet()) {
      String name = e.getKey();
      if (!fields.containsKey(name)) {
        if (!(tolerated.contains(name) && e.getValue() == null)) {
          mismatches.add(
              where + ": field " + name + " missing (expected " + show(e.getValue()) + ")");
        }
        continue;
      }
      Object actual = fields.get(name);
      if (!Objects.equals(actual, e.getValue())
          || !classesOf(actual).equals(classesOf(e.getValue()))) {
        mismatches.add(
            where
                + ": field "
                + name
                + " expected "
                + show(e.getValue())
                + " but was "
                + show(actual));
      }
    }
    for (String name : fields.keySet()) {
      if (!row.containsKey(name) && !tolerated.contains(name)) {
        mismatches.add(where + ": unexpected field " + name + " = " + show(fields.get(name)));
      }
    }
  }

  private static String describe(@Nullable ChangeEvent e) {
    return e == null ? "none" : e.getClass().getSimpleName() + " at version " + e.version();
  }

  private static String show(@Nullable Object value) {
    String json;
    try {
      json = DocumentJson.toJson(Document.of("v", value));
    } catch (RuntimeException e) {
      json = String.valueOf(value);
    }
    return abbreviate(json) + " " + abbreviate(classesOf(value));
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 300) + "...(" + s.length() + " chars)";
  }

  /** The classes of a value and everything nested in it, so Integer vs Long mismatches show. */
  private static String classesOf(@Nullable Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof Map<?, ?> map) {
      StringBuilder sb = new StringBuilder("{");
      map.forEach((k, v) -> sb.append(classesOf(v)).append(','));
      return sb.append('}').toString();
    }
    if (value instanceof List<?> list) {
      StringBuilder sb = new StringBuilder("[");
      list.forEach(v -> sb.append(classesOf(v)).append(','));
      return sb.append(']').toString();
    }
    return value.getClass().getSimpleName();
  }

  /**
   * Fails if there are mismatches, listing first those that do not come from generated columns (a
   * known gap: issue 10, item 5), so that a new kind of mismatch is not hidden behind that one.
   */
  private static void assertNone(List<String> mismatches, String path, int protocol) {
    List<String> ordered = new ArrayList<>();
    int generated = 0;
    for (String m : mismatches) {
      if (GENERATED.stream().anyMatch(g -> m.contains("field " + g + " "))) {
        generated++;
      } else {
        ordered.add(m);
      }
    }
    int others = ordered.size();
    for (String m : mismatches) {
      if (!ordered.contains(m)) {
        ordered.add(m);
      }
    }
    assertThat(mismatches)
        .as(
            "%s, PostgreSQL %d, protocol %d, seed %d (-Ddriftless.differential.seed=%d): %d"
                + " mismatches (%d of them a generated column in the document, issue 10 item 5;"
                + " %d others, listed first): %s",
            path,
            PgTesting.server().majorVersion(),
            protocol,
            SEED + protocol,
            SEED,
            mismatches.size(),
            generated,
            others,
            ordered.subList(0, Math.min(15, ordered.size())))
        .isEmpty();
  }
}
