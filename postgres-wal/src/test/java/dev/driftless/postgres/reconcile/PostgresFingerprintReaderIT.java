package dev.driftless.postgres.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.spi.FingerprintReader.BucketRange;
import dev.driftless.core.spi.FingerprintReader.BucketSummary;
import dev.driftless.core.spi.FingerprintReader.KeyFingerprint;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SQL computes exactly what {@link Fingerprints} defines: row fingerprints over many column
 * types, key ids (single and composite), buckets, and summaries of the parts (the basis of I8).
 */
class PostgresFingerprintReaderIT {

  private static final BucketRange ALL = new BucketRange(0, Fingerprints.BUCKET_COUNT);

  private static PostgresFingerprintReader reader;

  @BeforeAll
  static void createTables() throws Exception {
    ReconcileDatabase.exec(
        "DROP TABLE IF EXISTS mixed, singles, casts, \"Odd \"\"Name\"\", x\", generated_cols",
        "CREATE TABLE mixed (tenant text, id int, t text, n numeric, f float8, r real,"
            + " ts timestamptz, lts timestamp, d date, tm time, iv interval, j jsonb, js json,"
            + " a text[], ia int[], b bytea, u uuid, nul text, PRIMARY KEY (tenant, id))",
        "INSERT INTO mixed VALUES"
            + " ('plain', 1, 'hello', 1.50, 0.1, 0.1, '2024-02-29 12:34:56.789+05:30',"
            + "  '2024-02-29 12:34:56.789', '2024-02-29', '23:59:59.999999',"
            + "  '1 year 2 mons 3 days 04:05:06.7', '{\"b\": 1, \"a\": [1, 2]}',"
            + "  '{\"b\": 1,  \"a\": [1, 2]}', '{\"a,b\",NULL,\"q\\\"x\",\"\"}', '{1,2,NULL}',"
            + "  '\\x00ff10', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', NULL),"
            + " ('a,b', 2, 'comma, \"quotes\" and ''single''', 'NaN', 'NaN', 'NaN', 'infinity',"
            + "  '-infinity', 'infinity', '00:00', '-1 days +02:00', 'null', 'null', '{}', '{}',"
            + "  '', NULL, NULL),"
            + " ('back\\slash', 3, 'ünïcödé 日本語 😀', -0.0000001, 'Infinity', '-Infinity',"
            + "  '1970-01-01 00:00:00+00', '1999-12-31 23:59:59', '0001-01-01 BC', '12:00',"
            + "  '0', '[1.0, 1e2, \"x\"]', '[1.0, 1e2]', '{{a,b},{c,d}}', '{{1},{2}}',"
            + "  '\\x', NULL, NULL),"
            + " ('back\\,both,\\', 4, NULL, 12345678901234567890.123, -0.0, 3.4e38,"
            + "  '2038-01-19 03:14:08.5-08', NULL, NULL, NULL, '-178000000 years', NULL, NULL,"
            + "  NULL, NULL, NULL, NULL, NULL),"
            + " ('ü', 5, E'tab\\tnew\\nline', 0, 1e300, 1e-30, NULL, NULL, NULL, NULL, NULL,"
            + "  '{\"ü\": \"😀\"}', NULL, '{\" spaced \"}', NULL, NULL, NULL, NULL)",
        "INSERT INTO mixed (tenant, id, t, f)"
            + " SELECT 'gen', g, repeat('x', g % 7) || g, g / 3.0 FROM generate_series(1, 40) g",
        "CREATE TABLE singles (id bigint PRIMARY KEY, name text, score float8)",
        "INSERT INTO singles SELECT g, 'name ' || g, g * 1.1 FROM generate_series(1, 3000) g",
        // Types whose cast to text differs from their output function (what replication sends).
        "DROP DOMAIN IF EXISTS flag",
        "CREATE DOMAIN flag AS boolean",
        "CREATE TABLE casts (id char(4) PRIMARY KEY, b boolean, ip inet, net cidr, c char(5),"
            + " v varchar(3), fl flag, ba boolean[])",
        "INSERT INTO casts VALUES ('ab', true, '10.1.2.3', '10.0.0.0/8', 'x', 'yz', false,"
            + " '{t,f}')",
        "CREATE TABLE \"Odd \"\"Name\"\", x\" (\"Key; DROP\" int PRIMARY KEY, \"Sel ect\" text)",
        "INSERT INTO \"Odd \"\"Name\"\", x\" VALUES (1, 'one'), (2, 'two')",
        "CREATE TABLE generated_cols (id int PRIMARY KEY, a int,"
            + " twice int GENERATED ALWAYS AS (a * 2) STORED)",
        "INSERT INTO generated_cols (id, a) VALUES (1, 10)");
    reader =
        ReconcileDatabase.reader()
            .table("public", "mixed")
            .table("public", "singles")
            .table("public", "casts")
            .table("public", "Odd \"Name\", x")
            .table("public", "generated_cols")
            .table(TableMapping.builder("renamed").table("public", "singles").build())
            .table(
                TableMapping.builder("by_name")
                    .table("public", "singles")
                    .keyColumns("name")
                    .columns("score", "id")
                    .build())
            .table(TableMapping.builder("missing").table("public", "no_such_table").build())
            .table(
                TableMapping.builder("bad_column")
                    .table("public", "singles")
                    .columns("id", "nope")
                    .build())
            .fetchSize(7)
            .build();
  }

  @Test
  void rowFingerprintsAndKeyIdsMatchTheJavaDefinitionsForManyTypes() throws Exception {
    Map<String, Long> expected = expectedFingerprints("mixed", List.of("tenant", "id"));
    assertThat(expected).hasSize(45);
    assertThat(byId(reader.list("mixed", ALL))).isEqualTo(expected);
    // Keys with separators in them render as DocumentKey.composite does.
    assertThat(expected)
        .containsKey("a\\,b,2")
        .containsKey("back\\\\slash,3")
        .containsKey("back\\\\\\,both\\,\\\\,4");
  }

  @Test
  void singleColumnKeysAreTheColumnsText() throws Exception {
    Map<String, Long> expected = expectedFingerprints("singles", List.of("id"));
    assertThat(expected).hasSize(3000).containsKey("1234");
    assertThat(byId(reader.list("singles", ALL))).isEqualTo(expected);
  }

  @Test
  void valuesRenderAsTheirOutputFunctionPrintsThemNotAsTheirCastToText() throws Exception {
    List<KeyFingerprint> keys = reader.list("casts", ALL);
    assertThat(keys).hasSize(1);
    // char(n) keeps its padding, boolean (also under a domain) prints t, inet drops a host's /32.
    assertThat(keys.get(0).key().id()).isEqualTo("ab  ");
    assertThat(keys.get(0).fingerprint())
        .isEqualTo(
            Fingerprints.row(
                List.of("ab  ", "t", "10.1.2.3", "10.0.0.0/8", "x    ", "yz", "f", "{t,f}")));
  }

  @Test
  void generatedColumnsAreLeftOutAsReplicationLeavesThemOut() throws Exception {
    assertThat(reader.list("generated_cols", ALL))
        .extracting(KeyFingerprint::fingerprint)
        .containsExactly(Fingerprints.row(List.of("1", "10")));
  }

  @Test
  void configuredKeyAndColumnsAreUsedInColumnOrder() throws Exception {
    Map<String, Long> byName = byId(reader.list("by_name", ALL));
    assertThat(byName).hasSize(3000);
    // Configured as (score, id) but rendered in the table's order: id, then score.
    assertThat(byName.get("name 10")).isEqualTo(Fingerprints.row(List.of("10", "11")));
  }

  @Test
  void bucketsAreTheJavaBucketsAndListsComeInCodePointOrder() throws Exception {
    List<KeyFingerprint> all = reader.list("mixed", ALL);
    List<String> ids = all.stream().map(k -> k.key().id()).toList();
    List<String> byBytes = new ArrayList<>(ids);
    byBytes.sort((a, b) -> Arrays.compareUnsigned(utf8(a), utf8(b)));
    assertThat(ids).isEqualTo(byBytes);
    for (String id : ids) {
      long bucket = Fingerprints.bucket(id);
      assertThat(reader.list("mixed", new BucketRange(bucket, bucket + 1)))
          .extracting(k -> k.key().id())
          .contains(id);
    }
    long b = Fingerprints.bucket(ids.get(0));
    if (b > 0) {
      assertThat(reader.list("mixed", new BucketRange(0, b)))
          .extracting(k -> k.key().id())
          .doesNotContain(ids.get(0));
    }
  }

  @Test
  void summariesEqualABruteForceComputationFromTheListing() throws Exception {
    for (String collection : List.of("singles", "mixed")) {
      List<KeyFingerprint> keys = reader.list(collection, ALL);
      long firstBucket = Fingerprints.bucket(keys.get(0).key().id());
      List<Object[]> cases =
          List.of(
              new Object[] {ALL, 64},
              new Object[] {ALL, 1},
              new Object[] {ALL, 1024},
              new Object[] {new BucketRange(1L << 31, 1L << 32), 13},
              new Object[] {new BucketRange(firstBucket, firstBucket + 5), 7},
              new Object[] {new BucketRange(Fingerprints.BUCKET_COUNT, 1L << 40), 3});
      for (Object[] c : cases) {
        BucketRange range = (BucketRange) c[0];
        int splits = (Integer) c[1];
        assertThat(reader.summarize(collection, range, splits))
            .as("%s %s / %d", collection, range, splits)
            .isEqualTo(bruteForce(keys, range, splits));
      }
    }
    assertThat(reader.summarize("singles", ALL, 1).get(0).count()).isEqualTo(3000);
  }

  @Test
  void pointReadsReturnTheListedFingerprintsOfKeysThatExist() throws Exception {
    Map<String, Long> singles = byId(reader.list("singles", ALL));
    // Found through the key index; "0" and "3001" do not exist; "007" casts to an existing key
    // (7) whose id is "7", so it is not that key.
    assertThat(byId(reader.read("singles", List.of("7", "2999", "0", "3001", "007", "7"))))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("7", singles.get("7"), "2999", singles.get("2999")));
    // An id that is no bigint at all (a phantom written behind the pipeline's back): the read
    // falls back to a scan and still finds the others.
    assertThat(byId(reader.read("singles", List.of("12", "ghost-1", "99999999999999999999"))))
        .containsExactlyInAnyOrderEntriesOf(Map.of("12", singles.get("12")));
    // Composite keys with escaped commas and backslashes; an id of the wrong shape matches none.
    Map<String, Long> mixed = byId(reader.list("mixed", ALL));
    List<String> wanted =
        List.of(
            DocumentKey.composite("mixed", List.of("a,b", "2")).id(),
            DocumentKey.composite("mixed", List.of("back\\,both,\\", "4")).id(),
            DocumentKey.composite("mixed", List.of("gen", "17")).id());
    List<String> asked = new ArrayList<>(wanted);
    asked.add("no-comma");
    asked.add(DocumentKey.composite("mixed", List.of("gen", "x")).id());
    Map<String, Long> expected = new LinkedHashMap<>();
    for (String id : wanted) {
      assertThat(mixed).containsKey(id);
      expected.put(id, mixed.get(id));
    }
    assertThat(byId(reader.read("mixed", asked))).containsExactlyInAnyOrderEntriesOf(expected);
    assertThat(reader.read("singles", List.of())).isEmpty();
    // Types whose text is not their cast: a char(4) key.
    assertThat(byId(reader.read("casts", List.of("ab", "ab  "))))
        .isEqualTo(byId(reader.list("casts", ALL)));
  }

  @Test
  void oddNamesAreQuoted() throws Exception {
    assertThat(reader.list("Odd \"Name\", x", ALL))
        .extracting(k -> k.key().id(), KeyFingerprint::fingerprint)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("1", Fingerprints.row(List.of("1", "one"))),
            org.assertj.core.groups.Tuple.tuple("2", Fingerprints.row(List.of("2", "two"))));
  }

  @Test
  void configurationThatDoesNotFitTheCatalogFailsNamingIt() {
    assertThatThrownBy(() -> reader.summarize("missing", ALL, 4))
        .isInstanceOf(DriftlessException.class)
        .hasMessageContaining("public.no_such_table")
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> reader.list("bad_column", ALL))
        .isInstanceOf(DriftlessException.class)
        .hasMessageContaining("columns")
        .hasMessageContaining("nope");
    assertThatThrownBy(() -> reader.summarize("singles", ALL, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("splits");
  }

  @Test
  void bytesReadGrowWithRowsReturned() throws Exception {
    long before = reader.bytesRead();
    reader.summarize("singles", ALL, 16);
    long summary = reader.bytesRead() - before;
    reader.list("singles", ALL);
    long listing = reader.bytesRead() - before - summary;
    assertThat(summary).isPositive().isLessThan(20_000);
    // 3,000 keys of up to 4 digits and 8-byte fingerprints, plus framing.
    assertThat(listing).isGreaterThan(3000L * 12);
  }

  /** Row fingerprints per key id, computed in Java from the reference session's {@code ::text}. */
  static Map<String, Long> expectedFingerprints(String table, List<String> keyColumns)
      throws Exception {
    Map<String, Long> out = new TreeMap<>();
    try (Connection c = ReconcileDatabase.reference();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
      ResultSetMetaData md = rs.getMetaData();
      StringBuilder select = new StringBuilder();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        select.append(i > 1 ? ", " : "").append('"').append(md.getColumnName(i)).append("\"::text");
      }
      try (Statement s2 = c.createStatement();
          ResultSet texts = s2.executeQuery("SELECT " + select + " FROM " + table)) {
        while (texts.next()) {
          List<String> values = new ArrayList<>();
          Map<String, String> byName = new LinkedHashMap<>();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            values.add(texts.getString(i));
            byName.put(md.getColumnName(i), texts.getString(i));
          }
          List<String> parts = keyColumns.stream().map(byName::get).toList();
          String id = DocumentKey.composite(table, parts).id();
          out.put(id, Fingerprints.row(values));
        }
      }
    }
    return out;
  }

  static Map<String, Long> byId(List<KeyFingerprint> keys) {
    Map<String, Long> out = new TreeMap<>();
    for (KeyFingerprint k : keys) {
      assertThat(out.put(k.key().id(), k.fingerprint())).as("duplicate " + k.key()).isNull();
    }
    return out;
  }

  private static List<BucketSummary> bruteForce(
      List<KeyFingerprint> keys, BucketRange range, int splits) {
    long[][] acc = new long[splits][4];
    long[] bounds = new long[splits + 1];
    for (int i = 0; i <= splits; i++) {
      bounds[i] = Fingerprints.boundary(range.from(), range.to(), splits, i);
    }
    for (KeyFingerprint k : keys) {
      String id = k.key().id();
      long bucket = Fingerprints.bucket(id);
      if (bucket < range.from() || bucket >= range.to()) {
        continue;
      }
      long f = Fingerprints.perKey(id, k.fingerprint());
      for (int i = 0; i < splits; i++) {
        if (bucket >= bounds[i] && bucket < bounds[i + 1]) {
          acc[i][0]++;
          acc[i][1] += Fingerprints.low(f);
          acc[i][2] += Fingerprints.mid(f);
          acc[i][3] += Fingerprints.high(f);
        }
      }
    }
    List<BucketSummary> out = new ArrayList<>();
    for (int i = 0; i < splits; i++) {
      if (acc[i][0] > 0) {
        out.add(
            new BucketSummary(
                new BucketRange(bounds[i], bounds[i + 1]),
                acc[i][0],
                acc[i][1],
                acc[i][2],
                acc[i][3]));
      }
    }
    return out;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
