package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.Version;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.postgres.reconcile.PostgresFingerprintReader;
import dev.driftless.postgres.reconcile.TableMapping;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryFingerprintReader;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * With {@code resyncOnSlotLoss(true)} a slot the server invalidated is recreated and every table
 * backfilled instead of failing, and a scheduled reconciliation runs at once to remove what the
 * lost WAL's deletions left behind: the index converges on the table (I1, I8) although the WAL in
 * between is gone.
 */
class SlotResyncIT {

  @Test
  void aLostSlotIsRecreatedAndTheTablesBackfilled() throws Exception {
    String db = PgTesting.newDatabase("resync");
    exec(db, "CREATE TABLE r (id int PRIMARY KEY, v text)");
    PostgresSource first =
        PgTesting.source(db, "resync_it", "resync_pub").tables(List.of("r")).build();
    first.start(PgTesting.context("resync"));
    first.close(); // the slot stays, unread
    PgTesting.loseSlot(db, "r", "resync_it", Duration.ofSeconds(60), () -> false);
    exec(db, "UPDATE r SET v = 'changed' WHERE id <= 10");
    InMemoryVersionedSink sink = InMemoryVersionedSink.create();
    // A row deleted while the slot was lost: its delete is gone with the WAL, so only
    // reconciliation can take it out of the index.
    DocumentKey deletedInTheGap = DocumentKey.of("r", "4242");
    sink.write(
        List.of(
            ChangeEvent.upsert(
                deletedInTheGap,
                Version.of(1),
                LsnPosition.ZERO,
                Document.of("id", 4242L, "v", "gone").withFingerprint(7L),
                java.time.Instant.EPOCH)));
    java.util.concurrent.atomic.AtomicBoolean resynced =
        new java.util.concurrent.atomic.AtomicBoolean();
    PostgresSource second =
        PgTesting.source(db, "resync_it", "resync_pub")
            .tables(List.of("r"))
            .dropSlotOnClose(true)
            .resyncOnSlotLoss(true)
            .build();
    BlockingQueue<ReconciliationReport> reports = new LinkedBlockingQueue<>();
    try (Pipeline pipeline =
            Pipeline.builder()
                .name("resync")
                .source(second)
                .sink(sink)
                .checkpointStore(new InMemoryCheckpointStore())
                .deadLetterStore(new InMemoryDeadLetterStore())
                .listener(
                    new dev.driftless.core.PipelineListener() {
                      @Override
                      public void sourceResynced(String pipelineName) {
                        resynced.set(true);
                      }
                    })
                .build();
        // Scheduled hourly: the run this test sees can only be the one the resync starts.
        AutoCloseable schedule =
            Reconciler.builder()
                .source(
                    PostgresFingerprintReader.builder()
                        .database(
                            PostgresDatabase.builder()
                                .jdbcUrl(PgTesting.server().jdbcUrl(db))
                                .user(PostgresServer.SUPERUSER)
                                .build())
                        .table(TableMapping.of("public", "r"))
                        .build())
                .index(InMemoryFingerprintReader.of(sink))
                .pipeline(pipeline)
                .collection("r")
                .build()
                .schedule(Duration.ofHours(1), reports::add)) {
      pipeline.start();
      Eventually.until(
          Duration.ofSeconds(30),
          "the resync backfill to finish",
          () -> "done".equals(second.statusDetails().get("backfillState")));
      Eventually.until(
          Duration.ofSeconds(10), "the resync listener (starts reconciliation)", resynced::get);
      exec(db, "INSERT INTO r VALUES (0, 'last')");
      Eventually.until(
          Duration.ofSeconds(30),
          "the last row in the sink",
          () -> sink.get(DocumentKey.of("r", "0")).isPresent());
      assertThat(pipeline.awaitIdle(Duration.ofSeconds(30))).isTrue();
      assertThat(second.statusDetails().get("slotResyncs")).isEqualTo(1L);
      ReconciliationReport report = reports.poll(60, TimeUnit.SECONDS);
      assertThat(report).as("a reconciliation run started by the resync").isNotNull();
      assertThat(report.phantom()).as(report.summary()).isEqualTo(1);
      // Rows of the resync still in flight may be repaired too (a no-op write each): at least one.
      assertThat(report.repaired()).isPositive();
      assertThat(pipeline.awaitIdle(Duration.ofSeconds(30))).isTrue();
    }
    Map<DocumentKey, Document> live = sink.liveDocuments();
    assertThat(live).doesNotContainKey(deletedInTheGap);
    assertThat(live).hasSize(2001);
    assertThat(live.get(DocumentKey.of("r", "5")).get("v")).isEqualTo("changed");
    assertThat(String.valueOf(live.get(DocumentKey.of("r", "500")).get("v"))).startsWith("xxx");
    assertThat(sink.violations()).isEmpty();
  }
}
