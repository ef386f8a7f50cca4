package dev.driftless.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.tck.PipelineTestKit;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A database failover (issue 15 §3): a primary and a streaming standby, the pipeline on a
 * multi-host URL, the primary stopped and the standby promoted while the pipeline is mid-stream. On
 * PostgreSQL 17+ the slot was created with {@code failover = true} and synchronised to the standby,
 * so the pipeline reconnects to the new primary and continues from it without a resync; on older
 * servers the slot is missing on the new primary and the pipeline resyncs as on an invalidated
 * slot. Either way the index ends equal to the new primary's table, compared by plain JDBC (I1, I2
 * across the failover).
 */
class FailoverIT {
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final String DB = "failover";

  @Test
  void thePipelineFollowsItsSlotToThePromotedStandby() throws Exception {
    try (PostgresServer primary = PostgresServer.startNew()) {
      primary.createDatabase(DB);
      exec(primary, "CREATE TABLE items (id int PRIMARY KEY, v text, n int NOT NULL)");
      boolean failoverSlots = primary.majorVersion() >= 17;
      try (PostgresServer standby = primary.startStandby()) {
        InMemoryVersionedSink index = InMemoryVersionedSink.create();
        PostgresSource source =
            PostgresSource.builder()
                .database(
                    PostgresDatabase.builder()
                        .jdbcUrl(
                            "jdbc:postgresql://localhost:"
                                + primary.port()
                                + ",localhost:"
                                + standby.port()
                                + "/"
                                + DB)
                        .user(PostgresServer.SUPERUSER)
                        .build())
                .slotName("failover_slot")
                .publication("failover_pub")
                .tables(List.of("items"))
                .statusInterval(Duration.ofMillis(500))
                .resyncOnSlotLoss(true)
                .build();
        long seed = System.nanoTime();
        System.out.println("FailoverIT seed " + seed);
        Random random = new Random(seed);
        try (Pipeline pipeline =
            PipelineTestKit.fastPipeline("failover")
                .source(source)
                .sink(index)
                .deadLetterStore(new InMemoryDeadLetterStore())
                .build()
                .start()) {
          assertThat(
                  query(
                      primary,
                      "SELECT count(*) FROM pg_replication_slots"
                          + " WHERE slot_name = 'failover_slot'"
                          + (failoverSlots ? " AND failover" : "")))
              .isEqualTo("1");
          write(primary, random, 300);
          Eventually.until(WAIT, "the stream to start", () -> !index.liveDocuments().isEmpty());
          if (failoverSlots) {
            Eventually.until(
                WAIT,
                "the slot to be synchronised to the standby",
                () ->
                    "1"
                        .equals(
                            query(
                                standby,
                                "SELECT count(*) FROM pg_replication_slots WHERE slot_name ="
                                    + " 'failover_slot' AND synced AND NOT temporary")));
          } else {
            // Without failover slots, changes not yet streamed are lost with the slot; deletions
            // among them would stay in the index until reconciliation. Catch up first.
            Map<String, String> before = rows(primary);
            Eventually.until(
                WAIT, "the index to catch up", () -> differences(before, index).isEmpty());
          }
          String written = query(primary, "SELECT pg_current_wal_lsn()::text");
          Eventually.until(
              WAIT,
              "the standby to replay everything",
              () ->
                  "t"
                      .equals(
                          query(
                              standby,
                              "SELECT pg_last_wal_replay_lsn() >= '" + written + "'::pg_lsn")));

          primary.crash(); // the primary dies mid-stream
          standby.promote();
          if (!failoverSlots) {
            Eventually.until(
                WAIT,
                () -> "the resync: " + pipeline.status().source(),
                () -> Long.valueOf(1).equals(pipeline.status().source().get("slotResyncs")));
          }
          write(standby, random, 300);

          Map<String, String> expected = rows(standby);
          Eventually.until(
              WAIT,
              () -> "the index to converge: " + differences(expected, index),
              () -> differences(expected, index).isEmpty());
          assertThat(differences(rows(standby), index)).isEmpty();
          assertThat(pipeline.status().failure()).isNull();
          if (failoverSlots) {
            assertThat(pipeline.status().source()).doesNotContainKey("slotResyncs");
          }
        }
      }
    }
  }

  @Test
  void anExistingOrdinarySlotIsMadeAFailoverSlotOnPostgres17() throws Exception {
    PostgresServer server = PgTesting.server();
    Assumptions.assumeTrue(server.majorVersion() >= 17, "failover slots need PostgreSQL 17+");
    String db = PgTesting.newDatabase("failover_upgrade");
    PgTesting.exec(
        db,
        "CREATE TABLE t (id int PRIMARY KEY)",
        "SELECT pg_create_logical_replication_slot('upgrade_slot', 'pgoutput')");
    String failover =
        "SELECT failover::text FROM pg_replication_slots WHERE slot_name = 'upgrade_slot'";
    assertThat(PgTesting.query(db, failover)).isEqualTo("false");
    PostgresSource source =
        PgTesting.source(db, "upgrade_slot", "upgrade_pub")
            .tables(List.of("t"))
            .dropSlotOnClose(true)
            .build();
    source.start(PgTesting.context("upgrade"));
    try {
      assertThat(PgTesting.query(db, failover)).isEqualTo("true");
    } finally {
      source.close();
    }
  }

  private static void write(PostgresServer server, Random random, int transactions)
      throws Exception {
    try (Connection c = server.connect(DB);
        Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      for (int t = 0; t < transactions; t++) {
        int ops = 1 + random.nextInt(4);
        for (int i = 0; i < ops; i++) {
          int id = 1 + random.nextInt(200);
          if (random.nextInt(5) == 0) {
            s.execute("DELETE FROM items WHERE id = " + id);
          } else {
            s.execute(
                "INSERT INTO items VALUES ("
                    + id
                    + ", md5(random()::text), 0) ON CONFLICT (id) DO UPDATE"
                    + " SET v = excluded.v, n = items.n + 1");
          }
        }
        c.commit();
      }
    }
  }

  private static void exec(PostgresServer server, String sql) throws Exception {
    try (Connection c = server.connect(DB);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static String query(PostgresServer server, String sql) throws Exception {
    try (Connection c = server.connect(DB);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? String.valueOf(rs.getString(1)) : "";
    }
  }

  private static Map<String, String> rows(PostgresServer server) throws Exception {
    Map<String, String> rows = new TreeMap<>();
    try (Connection c = server.connect(DB);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, v, n FROM items")) {
      while (rs.next()) {
        rows.put(rs.getString(1), rs.getString(2) + "|" + rs.getString(3));
      }
    }
    return rows;
  }

  private static List<String> differences(Map<String, String> rows, InMemoryVersionedSink index) {
    List<String> out = new ArrayList<>();
    Map<DocumentKey, Document> docs = index.liveDocuments();
    rows.forEach(
        (id, row) -> {
          Document d = docs.get(DocumentKey.of("items", id));
          if (d == null) {
            out.add("missing " + id);
          } else if (!row.equals(d.get("v") + "|" + d.get("n"))) {
            out.add("stale " + id);
          }
        });
    docs.keySet().stream()
        .filter(k -> !rows.containsKey(k.id()))
        .forEach(k -> out.add("phantom " + k.id()));
    return out;
  }
}
