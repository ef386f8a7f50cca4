package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static dev.driftless.postgres.PgTesting.query;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryVersionedSink;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code heartbeatInterval(d)} writes a non-transactional logical message with prefix {@code
 * driftless-heartbeat} into the source database about every {@code d} while the stream is idle, and
 * nothing at all when the option is off (the default). Seen by what the server logs, not by the
 * source's own counters: a second logical slot with {@code test_decoding} in each database (the
 * probe) decodes every message written there (a slot decodes only its own database's messages).
 * Both pipelines run side by side, so the silent one is watched for as long as the other one beats.
 */
class HeartbeatIT {

  private static final String HEARTBEAT_ROW =
      "message: transactional: 0 prefix: driftless-heartbeat, sz: 0 content:";

  /** A database only for commits that flush the WAL (see {@link #flushWal}). */
  private String scratch = "";

  @Test
  void heartbeatsAreWrittenAboutEveryIntervalWhileIdleAndNeverWhenOff() throws Exception {
    String on = PgTesting.newDatabase("beat_on");
    String off = PgTesting.newDatabase("beat_off");
    scratch = PgTesting.newDatabase("beat_flush");
    exec(scratch, "CREATE TABLE f (x int)");
    for (String db : List.of(on, off)) {
      exec(
          db,
          "CREATE TABLE h (id int PRIMARY KEY, v text)",
          "SELECT pg_create_logical_replication_slot('" + probe(db) + "', 'test_decoding')");
    }
    InMemoryVersionedSink onSink = InMemoryVersionedSink.create();
    InMemoryVersionedSink offSink = InMemoryVersionedSink.create();
    PostgresSource onSource =
        PgTesting.source(on, "heartbeat_on_it", "heartbeat_pub")
            .tables(List.of("h"))
            .dropSlotOnClose(true)
            .heartbeatInterval(Duration.ofSeconds(1))
            .build();
    PostgresSource offSource =
        PgTesting.source(off, "heartbeat_off_it", "heartbeat_pub")
            .tables(List.of("h"))
            .dropSlotOnClose(true)
            .build();
    try (Pipeline onPipeline = pipeline("beat_on", onSource, onSink);
        Pipeline offPipeline = pipeline("beat_off", offSource, offSink)) {
      onPipeline.start();
      offPipeline.start();
      exec(on, "INSERT INTO h VALUES (1, 'a')");
      exec(off, "INSERT INTO h VALUES (1, 'a')");
      Eventually.until(
          Duration.ofSeconds(20),
          "both streams to deliver a row",
          () ->
              onSink.get(DocumentKey.of("h", "1")).isPresent()
                  && offSink.get(DocumentKey.of("h", "1")).isPresent());

      // From here on nothing writes to either table: both streams are idle.
      long idleSince = System.nanoTime();
      long before = heartbeats(on);
      Eventually.until(
          Duration.ofSeconds(10),
          "4 more heartbeats with the option on",
          () -> heartbeats(on) >= before + 4);
      Duration fourBeats = Duration.ofNanos(System.nanoTime() - idleSince);
      // Each heartbeat is at least an interval after the previous one, and all written before
      // were counted (the WAL was flushed): 4 more take at least 3 s. Not one per poll.
      assertThat(fourBeats).isGreaterThan(Duration.ofMillis(2_500));
      assertThat(
              query(
                  on,
                  "SELECT data FROM pg_logical_slot_peek_changes('"
                      + probe(on)
                      + "', NULL, NULL)"
                      + " WHERE data LIKE 'message:%driftless-heartbeat%' LIMIT 1"))
          .isEqualTo(HEARTBEAT_ROW);

      // The probe of the other database decodes messages too, yet saw no heartbeat in that time.
      exec(off, "SELECT pg_logical_emit_message(false, 'probe-marker', '')");
      flushWal();
      assertThat(
              query(
                  off,
                  "SELECT count(*) FROM pg_logical_slot_peek_changes('"
                      + probe(off)
                      + "', NULL, NULL) WHERE data LIKE 'message:%probe-marker%'"))
          .isEqualTo("1");
      assertThat(heartbeats(off)).isZero();
      // ... while its pipeline kept running and polling the idle stream all along.
      assertThat(offPipeline.status().state()).isEqualTo(PipelineStatus.State.RUNNING);
      assertThat(offSource.statusDetails().get("connected")).isEqualTo(true);
      exec(off, "INSERT INTO h VALUES (2, 'b')");
      Eventually.until(
          Duration.ofSeconds(10),
          "the silent pipeline to deliver a later row",
          () -> offSink.get(DocumentKey.of("h", "2")).isPresent());
      assertThat(heartbeats(off)).isZero();
    } finally {
      for (String db : List.of(on, off)) {
        exec(db, "SELECT pg_drop_replication_slot('" + probe(db) + "')");
      }
    }
  }

  private static Pipeline pipeline(String name, PostgresSource source, InMemoryVersionedSink sink) {
    return Pipeline.builder()
        .name(name)
        .source(source)
        .sink(sink)
        .checkpointStore(new InMemoryCheckpointStore())
        .deadLetterStore(new InMemoryDeadLetterStore())
        .build();
  }

  /**
   * Heartbeat messages written into {@code db} so far, as its probe slot decodes them (only peeked
   * at, so counted again each time).
   */
  private long heartbeats(String db) throws Exception {
    flushWal();
    return Long.parseLong(
        query(
            db,
            "SELECT count(*) FROM pg_logical_slot_peek_changes('"
                + probe(db)
                + "', NULL, NULL) WHERE data LIKE 'message:%driftless-heartbeat%'"));
  }

  /**
   * Makes everything written so far decodable: decoding stops at the flushed WAL, and neither a
   * message outside a transaction nor (with the test server's {@code synchronous_commit=off}) a
   * commit waits for a flush. A commit that does, in a third database, flushes all before it.
   */
  private void flushWal() throws Exception {
    exec(scratch, "SET synchronous_commit = on", "INSERT INTO f VALUES (1)");
  }

  /** The test_decoding slot that watches {@code db} (slot names are per cluster). */
  private static String probe(String db) {
    return db + "_probe";
  }
}
