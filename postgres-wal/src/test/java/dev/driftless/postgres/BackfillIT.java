package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryVersionedSink;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Backfill of a pre-filled table while writers change it, through the real pipeline into the TCK's
 * in-memory versioned sink: the sink ends equal to the table (I1), no key's writes go back in
 * version (I3) and none overlap (I4); a backfill interrupted by a crash resumes from its persisted
 * progress (I2) and converges. Repair reads take a race-free snapshot (I3).
 */
class BackfillIT {

  private static final int ROWS = 20_000;

  @Test
  void backfillUnderConcurrentWritesConverges() throws Exception {
    String db = PgTesting.newDatabase("backfill");
    exec(
        db,
        "CREATE TABLE items (id int PRIMARY KEY, val int NOT NULL, note text)",
        "INSERT INTO items SELECT g, 0, 'n' || g FROM generate_series(1, " + ROWS + ") g");
    InMemoryVersionedSink sink = InMemoryVersionedSink.create();
    PostgresSource source =
        PgTesting.source(db, "backfill_it", "backfill_pub")
            .tables(List.of("items"))
            .dropSlotOnClose(true)
            .backfill(BackfillSettings.builder().tables(List.of("items")).chunkRows(500).build())
            .build();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong writes = new AtomicLong();
    List<Thread> writers = new ArrayList<>();
    List<Throwable> writerErrors = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<PipelineListener.BackfillProgress> progress =
        new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Pipeline pipeline =
        Pipeline.builder()
            .name("backfill_it")
            .source(source)
            .sink(sink)
            .deadLetterStore(new InMemoryDeadLetterStore())
            .listener(
                new PipelineListener() {
                  @Override
                  public void backfillProgress(String name, BackfillProgress p) {
                    progress.add(p);
                  }
                })
            .build()) {
      pipeline.start();
      for (int w = 0; w < 3; w++) {
        int writer = w;
        Thread t =
            new Thread(
                () -> {
                  try (Connection c = PgTesting.server().connect(db);
                      Statement s = c.createStatement()) {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    int next = ROWS + 1 + writer * 1_000_000;
                    while (!stop.get()) {
                      int id = rnd.nextInt(1, ROWS + 1);
                      switch (rnd.nextInt(5)) {
                        case 0 -> s.execute("INSERT INTO items VALUES (" + next++ + ", 1, 'new')");
                        case 1 -> s.execute("DELETE FROM items WHERE id = " + id);
                        case 2 ->
                            // hot keys, changed by many transactions
                            s.execute(
                                "UPDATE items SET val = val + 1 WHERE id = " + rnd.nextInt(1, 6));
                        case 3 ->
                            s.execute(
                                "BEGIN; UPDATE items SET val = val + 1 WHERE id = "
                                    + id
                                    + "; UPDATE items SET note = 'x' || val WHERE id = "
                                    + rnd.nextInt(1, ROWS + 1)
                                    + "; INSERT INTO items VALUES ("
                                    + id
                                    + ", 7, 'back') ON CONFLICT (id) DO UPDATE SET val ="
                                    + " items.val + 10; COMMIT");
                        default -> s.execute("UPDATE items SET val = val + 1 WHERE id = " + id);
                      }
                      writes.incrementAndGet();
                    }
                  } catch (Throwable e) {
                    writerErrors.add(e);
                  }
                },
                "writer-" + w);
        t.start();
        writers.add(t);
      }
      Eventually.until(
          Duration.ofSeconds(60),
          "the backfill to finish (" + source.statusDetails() + ")",
          () -> "done".equals(source.statusDetails().get("backfillState")));
      stop.set(true);
      for (Thread t : writers) {
        t.join();
      }
      assertThat(writerErrors).isEmpty();
      exec(db, "INSERT INTO items VALUES (0, 0, 'last')");
      Eventually.until(
          Duration.ofSeconds(30),
          "the last row in the sink",
          () -> sink.get(DocumentKey.of("items", "0")).isPresent());
      assertThat(pipeline.awaitIdle(Duration.ofSeconds(30))).isTrue();
      Map<String, Object> status = source.statusDetails();
      assertThat((Long) status.get("backfillRowsDone")).isGreaterThan(ROWS / 2);
      // Listeners heard the backfill move on and finish, with the source's own count.
      PipelineListener.BackfillProgress last = progress.get(progress.size() - 1);
      assertThat(last.done()).isTrue();
      assertThat(last.itemsRead()).isEqualTo((Long) status.get("backfillRowsDone"));
      assertThat(last.collection()).isEqualTo("items");
      System.out.println("backfill under " + writes.get() + " concurrent writes: " + status);
    }
    assertThat(writes.get()).isGreaterThan(100);
    assertSinkEqualsTable(db, sink);
    for (DocumentKey key : sink.keysWritten()) {
      List<ChangeEvent> log = sink.writeLog(key);
      for (int i = 1; i < log.size(); i++) {
        assertThat(log.get(i).version().compareTo(log.get(i - 1).version()))
            .as("versions of %s in write order: %s", key, log)
            .isGreaterThanOrEqualTo(0);
      }
    }
    assertThat(sink.violations()).isEmpty();
    // Backfilled rows say so (no commit time: no freshness is measured for them); changes do not.
    List<ChangeEvent> written =
        sink.keysWritten().stream().flatMap(k -> sink.writeLog(k).stream()).toList();
    assertThat(written).anyMatch(e -> !e.fromChangeLog());
    assertThat(written).anyMatch(ChangeEvent::fromChangeLog);
  }

  @Test
  void aBackfillInterruptedByACrashResumesFromItsProgress() throws Exception {
    String db = PgTesting.newDatabase("backfill_crash");
    exec(
        db,
        "CREATE TABLE parts (a int, b text, val int, PRIMARY KEY (a, b))",
        "INSERT INTO parts SELECT g % 100, 'k' || g, g FROM generate_series(1, 10000) g");
    CheckpointStore store = new InMemoryCheckpointStore();
    BackfillSettings settings =
        BackfillSettings.builder().tables(List.of("parts")).chunkRows(500).build();
    InMemoryVersionedSink sink = InMemoryVersionedSink.create();
    PostgresSource first =
        PgTesting.source(db, "backfill_crash", "backfill_crash_pub")
            .tables(List.of("parts"))
            .backfill(settings)
            .build();
    first.start(context(store));
    // Poll, write and commit some batches; then crash: the last batches are written but not
    // committed, and the source is closed without a final commit.
    long written = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    int batches = 0;
    while (written < 4_000 && System.nanoTime() < deadline) {
      List<ChangeEvent> batch = first.poll(300, Duration.ofMillis(100));
      if (batch.isEmpty()) {
        continue;
      }
      sink.write(batch);
      written += batch.size();
      if (++batches % 3 != 0) {
        first.commit(batch.get(batch.size() - 1).position());
      }
      if (batches == 4) {
        exec(db, "UPDATE parts SET val = -1 WHERE a = 1", "DELETE FROM parts WHERE a = 2");
      }
    }
    assertThat(written).isGreaterThanOrEqualTo(4_000);
    first.close();
    assertThat(store.load("postgres-backfill/backfill_crash/backfill_crash")).isPresent();

    exec(db, "UPDATE parts SET val = -2 WHERE a = 3");
    PostgresSource second =
        PgTesting.source(db, "backfill_crash", "backfill_crash_pub")
            .tables(List.of("parts"))
            .dropSlotOnClose(true)
            .backfill(settings)
            .build();
    try (Pipeline pipeline =
        Pipeline.builder()
            .name("backfill_crash")
            .source(second)
            .sink(sink)
            .checkpointStore(store)
            .deadLetterStore(new InMemoryDeadLetterStore())
            .build()) {
      pipeline.start();
      Eventually.until(
          Duration.ofSeconds(30),
          "the resumed backfill to finish",
          () -> "done".equals(second.statusDetails().get("backfillState")));
      exec(db, "INSERT INTO parts VALUES (-1, 'last', 0)");
      Eventually.until(
          Duration.ofSeconds(30),
          "the last row in the sink",
          () -> sink.get(DocumentKey.composite("parts", List.of("-1", "last"))).isPresent());
      assertThat(pipeline.awaitIdle(Duration.ofSeconds(30))).isTrue();
      long secondRun = (Long) second.statusDetails().get("backfillRowsReadThisRun");
      assertThat(secondRun).isPositive().isLessThan(10_000);
      assertThat(second.statusDetails().get("backfillRowsDone")).isEqualTo(10_000L);
    }
    assertThat(store.load("postgres-backfill/backfill_crash/backfill_crash")).contains("done");
    assertSinkEqualsTable(db, sink, "parts", "a, b", "val");
    assertThat(sink.violations()).isEmpty();
  }

  /**
   * A repair read's version is the stream's frontier: at or above every change the stream decoded
   * (which its snapshot sees), below every change it did not see (I3).
   */
  @Test
  void repairReadsGiveVersionsBetweenWhatTheySawAndWhatTheyDidNot() throws Exception {
    String db = PgTesting.newDatabase("repair_race");
    exec(db, "CREATE TABLE acc (id int PRIMARY KEY, val int)", "INSERT INTO acc VALUES (1, 0)");
    try (PostgresSource source =
        PgTesting.source(db, "repair_race", "repair_race_pub")
            .tables(List.of("acc"))
            .temporarySlot(true)
            .build()) {
      source.start(context(new InMemoryCheckpointStore()));
      PgTesting.Drain drain = new PgTesting.Drain(source);
      DocumentKey key = DocumentKey.of("acc", "1");
      for (int i = 1; i <= 20; i++) {
        exec(db, "UPDATE acc SET val = " + i + " WHERE id = 1");
        int round = i;
        drain.until(
            d ->
                d.latest.get(key) instanceof ChangeEvent.Upsert u
                    && Integer.valueOf(round).equals(u.document().get("val")));
        ChangeEvent seen = drain.latest.get(key);
        ChangeEvent repaired = source.repairReader().orElseThrow().readCurrent(List.of(key)).get(0);
        exec(db, "UPDATE acc SET val = " + (i + 1000) + " WHERE id = 1");
        drain.until(
            d ->
                d.latest.get(key) instanceof ChangeEvent.Upsert u
                    && Integer.valueOf(round + 1000).equals(u.document().get("val")));
        ChangeEvent after = drain.latest.get(key);
        assertThat(((ChangeEvent.Upsert) repaired).document().get("val")).isEqualTo(i);
        assertThat(repaired.version().compareTo(seen.version())).isNotNegative();
        assertThat(repaired.version().compareTo(after.version())).isNegative();
      }
      assertThat(
              source.repairReader().orElseThrow().readCurrent(List.of(DocumentKey.of("acc", "9"))))
          .singleElement()
          .isInstanceOf(ChangeEvent.Delete.class);
    }
  }

  private static SourceContext context(CheckpointStore store) {
    return new SourceContext() {
      @Override
      public String pipelineName() {
        return "backfill_crash";
      }

      @Override
      public CheckpointStore checkpointStore() {
        return store;
      }
    };
  }

  private static void assertSinkEqualsTable(String db, InMemoryVersionedSink sink)
      throws Exception {
    assertSinkEqualsTable(db, sink, "items", "id", "val");
  }

  private static void assertSinkEqualsTable(
      String db, InMemoryVersionedSink sink, String table, String keyColumns, String valueColumn)
      throws Exception {
    Map<DocumentKey, String> expected = new HashMap<>();
    String[] keys = keyColumns.split(", ");
    try (Connection c = PgTesting.server().connect(db);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT " + keyColumns + ", " + valueColumn + " FROM " + table)) {
      while (rs.next()) {
        List<String> parts = new ArrayList<>();
        for (int k = 1; k <= keys.length; k++) {
          parts.add(rs.getString(k));
        }
        DocumentKey key =
            parts.size() == 1
                ? DocumentKey.of(table, parts.get(0))
                : DocumentKey.composite(table, parts);
        expected.put(key, rs.getString(keys.length + 1));
      }
    }
    Map<DocumentKey, Document> live = sink.liveDocuments();
    Map<DocumentKey, String> actual = new HashMap<>();
    live.forEach((k, d) -> actual.put(k, String.valueOf(d.get(valueColumn))));
    assertThat(actual).hasSameSizeAs(expected).isEqualTo(expected);
  }

  /**
   * A backfill advances while the stream lags (issue: an incarnation ran 70 s under lag without
   * saving progress, so each kill restarted the backfill from scratch). Before the fix a chunk
   * waited until the stream had decoded past its snapshot's LSN, so no backfill row came before the
   * whole backlog; now chunks go out between the backlog's transactions, and their progress is
   * saved as they settle (I2, with the convergence of I1 checked at the end).
   */
  @Test
  void aBackfillAdvancesWhileTheStreamLags() throws Exception {
    String db = PgTesting.newDatabase("backfill_lag");
    exec(
        db,
        "CREATE TABLE fill (id int PRIMARY KEY, v text)",
        "CREATE TABLE busy (id int PRIMARY KEY, v int)",
        "INSERT INTO fill SELECT g, 'f' || g FROM generate_series(1, 2000) g");
    CheckpointStore progress = new InMemoryCheckpointStore();
    SourceContext context =
        new SourceContext() {
          @Override
          public String pipelineName() {
            return "backfill_lag";
          }

          @Override
          public CheckpointStore checkpointStore() {
            return progress;
          }

          @Override
          public boolean checkpointStoreConfigured() {
            return true;
          }
        };
    try (PostgresSource source =
        PgTesting.source(db, "backfill_lag", "backfill_lag")
            .tables(List.of("fill", "busy"))
            .dropSlotOnClose(true)
            .backfill(BackfillSettings.builder().tables(List.of("fill")).chunkRows(100).build())
            .build()) {
      source.start(context);
      // A backlog of 2,000 small transactions the stream has not read yet.
      try (Connection c = PgTesting.server().connect(db);
          Statement s = c.createStatement()) {
        for (int i = 1; i <= 2000; i++) {
          s.execute("INSERT INTO busy VALUES (" + i + ", " + i + ")");
        }
      }
      int polled = 0;
      int firstFill = -1;
      int lastBusy = -1;
      boolean progressSavedUnderLag = false;
      Map<DocumentKey, ChangeEvent> latest = new HashMap<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (latest.size() < 4000) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("timed out with " + latest.size() + " of 4000 keys");
        }
        List<ChangeEvent> batch = source.poll(50, Duration.ofMillis(100));
        for (ChangeEvent e : batch) {
          polled++;
          latest.put(e.key(), e);
          if (e.key().collection().equals("fill") && firstFill < 0) {
            firstFill = polled;
          }
          if (e.key().collection().equals("busy")) {
            lastBusy = polled;
          }
        }
        if (!batch.isEmpty()) {
          source.commit(batch.get(batch.size() - 1).position());
          long busySeen =
              latest.keySet().stream().filter(k -> k.collection().equals("busy")).count();
          if (busySeen < 2000) {
            progressSavedUnderLag |=
                progress
                        .load("postgres-backfill/backfill_lag/backfill_lag")
                        .map(BackfillIT::rowsDone)
                        .orElse(0L)
                    > 0;
          }
        }
      }
      assertThat(firstFill).as("first backfill row, of %s events", polled).isPositive();
      assertThat(firstFill).as("first backfill row before the backlog's end").isLessThan(lastBusy);
      assertThat(progressSavedUnderLag).as("progress saved before the backlog was read").isTrue();
      for (int i = 1; i <= 2000; i++) {
        ChangeEvent e = latest.get(DocumentKey.of("fill", Integer.toString(i)));
        assertThat(e).as("fill/%s", i).isInstanceOf(ChangeEvent.Upsert.class);
        assertThat(((ChangeEvent.Upsert) e).document().fields()).containsEntry("v", "f" + i);
      }
    }
  }

  /** The rows done that a saved progress says (its format: table, index, name, rows, key lines). */
  private static long rowsDone(String saved) {
    if (saved.equals("done")) {
      return Long.MAX_VALUE;
    }
    return Long.parseLong(saved.split("\n", -1)[0].split("\t", -1)[3]);
  }
}
