package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.Version;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.postgres.reconcile.PostgresFingerprintReader;
import dev.driftless.postgres.reconcile.TableMapping;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryFingerprintReader;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The row fingerprints the replication stream computes from pgoutput's text equal the ones
 * PostgreSQL computes in SQL, for awkward types (so a clean index reconciles as in sync), and
 * reconciliation repairs a corrupted index through the source's repair reads, whose fingerprints
 * agree too (I8, I3).
 */
class StreamReconciliationIT {

  @Test
  void streamAndSqlFingerprintsAgreeAndDriftIsRepaired() throws Exception {
    String db = PgTesting.newDatabase("streamrec");
    exec(
        db,
        "SET TimeZone = 'Asia/Kolkata'", // the test session's zone must not matter
        "CREATE TABLE things (id int PRIMARY KEY, ok boolean, code char(4), addr inet, amount"
            + " numeric, at timestamptz, doc jsonb, tags text[], raw bytea, span interval, f"
            + " float8, note text)");
    InMemoryVersionedSink sink = InMemoryVersionedSink.create();
    PostgresSource source =
        PgTesting.source(db, "streamrec_it", "streamrec_pub")
            .tables(List.of("things"))
            .dropSlotOnClose(true)
            .build();
    try (Pipeline pipeline =
        Pipeline.builder()
            .name("streamrec_it")
            .source(source)
            .sink(sink)
            .deadLetterStore(new InMemoryDeadLetterStore())
            .build()) {
      pipeline.start();
      exec(
          db,
          "INSERT INTO things SELECT g, g % 2 = 0, 'c' || (g % 7), ('10.0.' || (g % 250) ||"
              + " '.1')::inet, g * 1.5, timestamptz '2024-01-01 12:00:00+02' + g * interval '1"
              + " minute', jsonb_build_object('g', g, 's', 'é,\"'), ARRAY['a,b', NULL, 'x' || g],"
              + " decode('00ff' || lpad(to_hex(g), 4, '0'), 'hex'), g * interval '1 day 2 hours',"
              + " CASE WHEN g = 5 THEN 'NaN'::float8 ELSE g / 3.0 END, CASE WHEN g % 5 = 0 THEN"
              + " NULL ELSE 'row ' || g END FROM generate_series(1, 400) g",
          "UPDATE things SET note = 'updated', ok = NULL WHERE id % 11 = 0",
          "DELETE FROM things WHERE id % 13 = 0",
          "INSERT INTO things (id) VALUES (100000)");
      Eventually.until(
          Duration.ofSeconds(60),
          "the last row in the sink",
          () -> sink.get(DocumentKey.of("things", "100000")).isPresent());
      assertThat(pipeline.awaitIdle(Duration.ofSeconds(30))).isTrue();

      PostgresFingerprintReader database =
          PostgresFingerprintReader.builder()
              .database(
                  PostgresDatabase.builder()
                      .jdbcUrl(PgTesting.server().jdbcUrl(db))
                      .user(PostgresServer.SUPERUSER)
                      .build())
              .table(TableMapping.of("public", "things"))
              .build();
      Reconciler reconciler =
          Reconciler.builder()
              .source(database)
              .index(InMemoryFingerprintReader.of(sink))
              .pipeline(pipeline)
              .collection("things")
              .splits(16)
              .listThreshold(50)
              .verifyDelay(Duration.ZERO)
              .build();

      ReconciliationReport clean = reconciler.run();
      assertThat(clean.inSync()).as(clean.summary()).isTrue();
      assertThat(clean.sourceRows()).isEqualTo(400 - 30 + 1);

      // Corrupt the index behind the pipeline's back.
      sink.forget(DocumentKey.of("things", "1"));
      sink.forget(DocumentKey.of("things", "2"));
      StoredDocument held = sink.get(DocumentKey.of("things", "3")).orElseThrow();
      sink.corrupt(
          DocumentKey.of("things", "3"),
          StoredDocument.live(held.version(), Document.of("id", 3, "note", "tampered")));
      sink.corrupt(
          DocumentKey.of("things", "13"),
          StoredDocument.live(Version.of(1), Document.of("id", 13, "note", "ghost")));

      ReconciliationReport drift = reconciler.run();
      assertThat(drift.missing()).as(drift.summary()).isEqualTo(2);
      assertThat(drift.stale()).as(drift.sampleKeys().toString()).isEqualTo(1);
      assertThat(drift.stale()).isEqualTo(1);
      assertThat(drift.phantom()).isEqualTo(1);
      assertThat(drift.repaired()).isEqualTo(4);
      assertThat(sink.get(DocumentKey.of("things", "3")).orElseThrow().version())
          .as("I3: the repair carries a version at least the one the index held")
          .isGreaterThanOrEqualTo(held.version());

      ReconciliationReport after = reconciler.run();
      assertThat(after.inSync()).as(after.summary()).isTrue();
      assertThat(sink.liveDocuments().get(DocumentKey.of("things", "13"))).isNull();
      assertThat(sink.liveDocuments().get(DocumentKey.of("things", "1")).get("note"))
          .isEqualTo("row 1");
    }
  }
}
