package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static dev.driftless.postgres.PgTesting.query;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryVersionedSink;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * With {@code resyncOnSlotLoss(true)}, a slot the server invalidates while the pipeline runs is
 * found, created again and every table backfilled, and the index converges on the table (I1)
 * although the WAL in between is gone. The realistic cause is set up: the index stalls, the
 * pipeline is full (only {@code keepAlive} reaches the source), the slot cannot confirm anything,
 * and the server removes its WAL ({@code max_slot_wal_keep_size}) and terminates its walsender.
 */
class SlotLostWhileRunningIT {

  private static final String SLOT = "lost_running_it";

  @Test
  void aSlotLostWhileTheIndexStallsIsRecreatedAndTheTableBackfilled() throws Exception {
    String db = PgTesting.newDatabase("lostrun");
    exec(
        db,
        "CREATE TABLE g (id int PRIMARY KEY, v text)",
        // Not published: it only makes WAL, so the pipeline receives nothing from it.
        "CREATE TABLE filler (id int PRIMARY KEY, v text)");
    GatedSink sink = new GatedSink();
    PostgresSource source =
        PgTesting.source(db, SLOT, "lost_running_pub")
            .tables(List.of("g"))
            .dropSlotOnClose(true)
            .resyncOnSlotLoss(true)
            .build();
    try (Pipeline pipeline =
        Pipeline.builder()
            .name("lostrun")
            .source(source)
            .sink(sink)
            .checkpointStore(new InMemoryCheckpointStore())
            .deadLetterStore(new InMemoryDeadLetterStore())
            // One unsettled event fills the pipeline: a stalled index stops the polling at once.
            .batchSize(1)
            .maxInFlightEvents(1)
            .build()) {
      pipeline.start();
      try {
        exec(db, "INSERT INTO g SELECT i, 'v0' FROM generate_series(1, 100) i");
        Eventually.until(
            Duration.ofSeconds(20),
            "the first rows in the index",
            () -> sink.memory.liveDocuments().size() == 100);

        sink.closeGate();
        // Their changes reach the slot, but the stalled pipeline never reads most of them: they
        // are lost with the WAL, and only the resync's backfill can bring them.
        exec(db, "UPDATE g SET v = 'gap' WHERE id <= 60");
        Eventually.until(
            Duration.ofSeconds(10),
            "a write stalled and the pipeline full",
            () -> sink.stalled() && pipeline.status().inFlightEvents() == 1);

        // The source may recreate the slot meanwhile: stop before the new one is lost too.
        PgTesting.loseSlot(
            db,
            "filler",
            SLOT,
            Duration.ofSeconds(20),
            () -> source.statusDetails().containsKey("slotResyncs"));

        // Found while the index is still stalled: only keepAlive calls reach the source now.
        Eventually.until(
            Duration.ofSeconds(15),
            "the source to find the lost slot and recreate it",
            () -> {
              assertThat(pipeline.failure()).as("the pipeline's failure").isEmpty();
              return Long.valueOf(1).equals(source.statusDetails().get("slotResyncs"));
            });
        assertThat(
                query(
                    db,
                    "SELECT wal_status FROM pg_replication_slots WHERE slot_name = '" + SLOT + "'"))
            .as("the recreated slot")
            .isIn("reserved", "extended");
        assertThat(sink.memory.liveDocuments().get(DocumentKey.of("g", "60")).get("v"))
            .as("the gap's changes are not in the index yet")
            .isEqualTo("v0");

        // Changes after the new slot was created: streamed, and read by the backfill too.
        exec(
            db,
            "UPDATE g SET v = 'after' WHERE id BETWEEN 50 AND 70",
            "INSERT INTO g VALUES (101, 'new')",
            "DELETE FROM g WHERE id = 100");
      } finally {
        sink.openGate();
      }

      Eventually.until(
          Duration.ofSeconds(30),
          "the resync backfill to finish",
          () -> "done".equals(source.statusDetails().get("backfillState")));
      exec(db, "INSERT INTO g VALUES (0, 'last')");
      Eventually.until(
          Duration.ofSeconds(20),
          "the last row in the index",
          () -> sink.memory.get(DocumentKey.of("g", "0")).isPresent());
      assertThat(pipeline.awaitIdle(Duration.ofSeconds(20))).isTrue();
      assertThat(pipeline.failure()).isEmpty();
      assertThat(source.statusDetails().get("slotResyncs")).isEqualTo(1L);

      Map<String, Object> index = new HashMap<>();
      for (Map.Entry<DocumentKey, Document> e : sink.memory.liveDocuments().entrySet()) {
        index.put(e.getKey().id(), String.valueOf(e.getValue().get("v")));
      }
      Map<String, Object> table = rows(db);
      assertThat(table).hasSize(101).containsEntry("60", "after").containsEntry("10", "gap");
      assertThat(index).isEqualTo(table);
      assertThat(sink.memory.violations()).isEmpty();
    }
  }

  private static Map<String, Object> rows(String db) throws Exception {
    Map<String, Object> rows = new HashMap<>();
    try (Connection c = PgTesting.server().connect(db);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, v FROM g")) {
      while (rs.next()) {
        rows.put(rs.getString(1), rs.getString(2));
      }
    }
    return rows;
  }

  /** The reference sink behind a gate: while it is closed, writes wait (an index that stalls). */
  private static final class GatedSink implements VersionedSink {
    final InMemoryVersionedSink memory = InMemoryVersionedSink.create();
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private final AtomicInteger waiting = new AtomicInteger();

    void closeGate() {
      gate = new CountDownLatch(1);
    }

    void openGate() {
      gate.countDown();
    }

    boolean stalled() {
      return waiting.get() > 0;
    }

    @Override
    public List<WriteResult> write(List<ChangeEvent> batch) throws Exception {
      CountDownLatch g = gate;
      waiting.incrementAndGet();
      try {
        g.await();
      } finally {
        waiting.decrementAndGet();
      }
      return memory.write(batch);
    }
  }
}
