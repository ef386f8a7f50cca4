package dev.driftless.postgres.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.Fingerprints;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.spi.FingerprintReader.BucketRange;
import dev.driftless.core.spi.FingerprintReader.KeyFingerprint;
import dev.driftless.postgres.internal.reconcile.FingerprintSql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Version-column mode: the row fingerprint is {@code Fingerprints.keyHash(text of the version
 * column)}, drift in the version column is found (I8), and the queries can be index-only.
 */
class VersionColumnIT {

  private static final BucketRange ALL = new BucketRange(0, Fingerprints.BUCKET_COUNT);

  @BeforeAll
  static void createTables() throws Exception {
    ReconcileDatabase.exec(
        "DROP TABLE IF EXISTS docs, docs_copy",
        "CREATE TABLE docs (id int PRIMARY KEY, body text, row_version bigint NOT NULL,"
            + " updated_at timestamptz)",
        "INSERT INTO docs SELECT g, repeat('body ', 20) || g, g * 10,"
            + " timestamptz '2024-03-01 12:00:00+01' + g * interval '1.5 seconds'"
            + " FROM generate_series(1, 2000) g",
        "UPDATE docs SET updated_at = NULL WHERE id = 5",
        "CREATE INDEX docs_version ON docs (id) INCLUDE (row_version)",
        "CREATE TABLE docs_copy (LIKE docs INCLUDING ALL)",
        "INSERT INTO docs_copy SELECT * FROM docs",
        "VACUUM ANALYZE docs",
        "VACUUM ANALYZE docs_copy");
  }

  private static PostgresFingerprintReader reader(String table, String versionColumn)
      throws Exception {
    return ReconcileDatabase.reader()
        .table(
            TableMapping.builder("docs")
                .table("public", table)
                .versionColumn(versionColumn)
                .build())
        .build();
  }

  @Test
  void fingerprintIsTheKeyHashOfTheVersionText() throws Exception {
    Map<String, Long> byVersion =
        PostgresFingerprintReaderIT.byId(reader("docs", "row_version").list("docs", ALL));
    assertThat(byVersion).hasSize(2000);
    assertThat(byVersion.get("42")).isEqualTo(Fingerprints.keyHash("420"));
    Map<String, Long> byTime =
        PostgresFingerprintReaderIT.byId(reader("docs", "updated_at").list("docs", ALL));
    // Rendered in UTC, whatever the connection's own time zone.
    assertThat(byTime.get("2")).isEqualTo(Fingerprints.keyHash("2024-03-01 11:00:03+00"));
    assertThat(byTime.get("3")).isEqualTo(Fingerprints.keyHash("2024-03-01 11:00:04.5+00"));
    assertThat(byTime.get("5")).isEqualTo(Fingerprints.keyHash("~"));
  }

  @Test
  void findsVersionDriftAndOnlyVersionDrift() throws Exception {
    ReconcileDatabase.exec(
        "UPDATE docs_copy SET row_version = row_version - 1 WHERE id IN (11, 1200)",
        "UPDATE docs_copy SET body = 'changed without a new version' WHERE id = 12",
        "DELETE FROM docs_copy WHERE id = 13");
    ReconciliationReport report =
        Reconciler.builder()
            .source(reader("docs", "row_version"))
            .index(reader("docs_copy", "row_version"))
            .collection("docs")
            .splits(16)
            .listThreshold(20)
            .verifyDelay(Duration.ZERO)
            .build()
            .run();
    assertThat(report.sampleKeys())
        .as(report.summary())
        .containsExactlyInAnyOrder("stale:11", "stale:1200", "missing:13");
  }

  @Test
  void queriesCanBeIndexOnly() throws Exception {
    FingerprintSql.Query query =
        new FingerprintSql.Query(
            "public",
            "docs",
            List.of("id"),
            List.of("bigint"),
            List.of("row_version"),
            Set.of("id", "row_version"),
            true);
    String summarize =
        FingerprintSql.summarize(
            query, List.of(new BucketRange(0, 1L << 30), new BucketRange(1L << 31, 1L << 32)), 64);
    String list = FingerprintSql.list(query, List.of(new BucketRange(0, 1L << 20)));
    try (Connection c = ReconcileDatabase.server().connect(ReconcileDatabase.NAME);
        Statement s = c.createStatement()) {
      s.execute("SET enable_seqscan = off");
      s.execute("SET enable_bitmapscan = off");
      for (String sql : List.of(summarize, list)) {
        StringBuilder plan = new StringBuilder();
        try (ResultSet rs = s.executeQuery("EXPLAIN " + sql)) {
          while (rs.next()) {
            plan.append(rs.getString(1)).append('\n');
          }
        }
        assertThat(plan.toString()).contains("Index Only Scan").doesNotContain("Seq Scan");
      }
    }
    // Point reads go through the primary key, not a scan.
    try (Connection c = ReconcileDatabase.server().connect(ReconcileDatabase.NAME);
        java.sql.PreparedStatement ps =
            c.prepareStatement("EXPLAIN " + FingerprintSql.read(query, true))) {
      ps.setArray(1, c.createArrayOf("text", new String[] {"1", "2"}));
      ps.setArray(2, c.createArrayOf("text", new String[] {"1", "2"}));
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
      assertThat(plan.toString()).contains("Index").doesNotContain("Seq Scan on docs");
    }
    List<KeyFingerprint> viaReader = reader("docs", "row_version").list("docs", ALL);
    assertThat(viaReader).hasSize(2000);
  }
}
