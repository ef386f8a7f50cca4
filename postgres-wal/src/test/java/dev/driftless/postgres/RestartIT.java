package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static dev.driftless.postgres.PgTesting.query;
import static dev.driftless.postgres.PgTesting.server;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.stores.FileCheckpointStore;
import dev.driftless.tck.Eventually;
import dev.driftless.testinfra.faults.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PostgreSQL pipeline in a process of its own, killed with {@code kill -9} and started again:
 * backfill progress survives in the configured store and, with none configured, in the database; a
 * kill during slot creation does not turn into a claimed loss; spill files of the killed process
 * are deleted at the next start. Also: a configuration error found at start leaves no slot.
 */
class RestartIT {

  private static final int ROWS = 6000;
  private static final Path LOGS = Path.of("target", "restart-it");

  @TempDir Path dir;

  private static Map<String, String> pipelineArgs(String db, String slot) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("url", server().jdbcUrl(db));
    a.put("slot", slot);
    a.put("publication", slot + "_pub");
    a.put("tables", "public.items");
    return a;
  }

  private static String itemsDatabase(String prefix, int rows) throws Exception {
    String db = PgTesting.newDatabase(prefix);
    exec(
        db,
        "CREATE TABLE items (id int PRIMARY KEY, v text)",
        "INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, " + rows + ") g");
    return db;
  }

  /** Rows done in a saved progress text ("table\t<i>\t<name>\t<rows>..." or "done"). */
  private static long rowsIn(String progress) {
    return progress.equals("done") ? ROWS : Long.parseLong(progress.split("\n")[0].split("\t")[3]);
  }

  @Test
  void backfillKilledMidwayResumesFromAFileCheckpointStore() throws Exception {
    String db = itemsDatabase("restart_file", ROWS);
    Path checkpoints = dir.resolve("checkpoints");
    Map<String, String> args = pipelineArgs(db, "restart_file");
    args.put("checkpoints", checkpoints.toString());
    String name = "postgres-backfill/restart/restart_file";
    killMidwayThenResume(
        db,
        args,
        () -> {
          if (!Files.isDirectory(checkpoints)) {
            return 0L;
          }
          return FileCheckpointStore.in(checkpoints).load(name).map(RestartIT::rowsIn).orElse(0L);
        });
  }

  @Test
  void backfillKilledMidwayResumesFromTheDatabaseWithTheDefaultStore() throws Exception {
    String db = itemsDatabase("restart_default", ROWS);
    Map<String, String> args = pipelineArgs(db, "restart_default");
    killMidwayThenResume(
        db,
        args,
        () -> {
          String progress =
              query(
                  db,
                  "SELECT CASE WHEN to_regclass('driftless.backfill_progress') IS NULL THEN ''"
                      + " ELSE (SELECT coalesce(max(progress), '') FROM"
                      + " driftless.backfill_progress WHERE slot_name = 'restart_default') END");
          return progress.isEmpty() ? 0L : rowsIn(progress);
        });
  }

  @FunctionalInterface
  private interface SavedRows {
    long get() throws Exception;
  }

  private void killMidwayThenResume(String db, Map<String, String> args, SavedRows saved)
      throws Exception {
    args.put("backfill", "public.items");
    args.put("chunkRows", "100");
    args.put("rowsPerSecond", "1000");
    Path log = LOGS.resolve(args.get("slot") + ".log");
    long before;
    try (ChildJvm first =
        ChildJvm.start(PipelineProcess.class, List.of(), PipelineProcess.args(args), log)) {
      first.awaitLine("STARTED", Duration.ofSeconds(60));
      Eventually.until(
          Duration.ofSeconds(60),
          "backfill progress of 1,500 rows saved",
          () -> saved.get() >= 1500);
      first.kill();
      before = saved.get();
    }
    assertThat(before).isBetween(1500L, ROWS - 1L);

    try (ChildJvm second =
        ChildJvm.start(PipelineProcess.class, List.of(), PipelineProcess.args(args), log)) {
      String done =
          second.awaitLine(
              l ->
                  l.startsWith("STATUS")
                      && "done".equals(PipelineProcess.field(l, "backfillState")),
              Duration.ofSeconds(90));
      long readAgain =
          Long.parseLong(
              Objects.requireNonNull(PipelineProcess.field(done, "backfillRowsReadThisRun")));
      // Resumed after the saved progress, not from scratch: at most the rows not yet saved.
      assertThat(readAgain).isPositive().isLessThanOrEqualTo(ROWS - before);
      assertThat(PipelineProcess.field(done, "backfillRowsDone")).isEqualTo(String.valueOf(ROWS));
      assertThat(saved.get()).isEqualTo(ROWS); // "done"
    }
  }

  @Test
  void aBackfillTableTheSourceDoesNotReplicateFailsStartAndLeavesNoSlot() throws Exception {
    String db = itemsDatabase("restart_badfill", 10);
    exec(
        db,
        "CREATE TABLE other (id int PRIMARY KEY)",
        "CREATE PUBLICATION bad_pub FOR TABLE items");
    PostgresSource source =
        PgTesting.source(db, "bad_slot", "bad_pub")
            .backfill(BackfillSettings.builder().tables(List.of("other")).build())
            .build();
    assertThatThrownBy(() -> source.start(PgTesting.context("bad")))
        .hasMessageContaining("backfill table public.other");
    source.close();
    assertThat(query(db, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'bad_slot'"))
        .isEqualTo("0");
  }

  @Test
  void killedWhileCreatingTheSlotTheNextStartCreatesItAfresh() throws Exception {
    String db = itemsDatabase("restart_creating", 1);
    Map<String, String> args = pipelineArgs(db, "creating");
    ExecutorService pool = Executors.newSingleThreadExecutor();
    // A transaction with an xid, open: slot creation waits for it to end.
    try (Connection blocker = server().connect(db)) {
      blocker.setAutoCommit(false);
      try (Statement s = blocker.createStatement()) {
        s.execute("INSERT INTO items VALUES (100, 'blocking')");
      }
      String waiting =
          "SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE datname = '"
              + db
              + "' AND query ILIKE '%pg_create_logical_replication_slot%'"
              + " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()";
      int creator;
      try (ChildJvm child =
          ChildJvm.start(
              PipelineProcess.class,
              List.of(),
              PipelineProcess.args(args),
              LOGS.resolve("creating.log"))) {
        Eventually.until(
            Duration.ofSeconds(60), "slot creation to wait", () -> !query(db, waiting).equals("0"));
        creator = Integer.parseInt(query(db, waiting));
        child.kill();
      }
      // The server goes on creating the slot for a client that is gone.
      assertThat(
              query(db, "SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'creating'"))
          .isEqualTo(String.valueOf(creator));

      PostgresSource source =
          PgTesting.source(db, "creating", "creating_pub").tables(List.of("items")).build();
      Future<?> started =
          pool.submit(
              () -> {
                source.start(PgTesting.context("creating"));
                return null;
              });
      try {
        Eventually.until(
            Duration.ofSeconds(30),
            "the dead run's creating backend to be terminated",
            () ->
                query(db, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + creator)
                    .equals("0"));
        blocker.commit();
        started.get(60, TimeUnit.SECONDS); // no "changes were lost"
        assertThat(source.statusDetails()).doesNotContainKey("slotResyncs");
        exec(db, "INSERT INTO items VALUES (200, 'after')");
        Set<String> keys = new HashSet<>();
        Eventually.until(
            Duration.ofSeconds(30),
            "a change after the restart",
            () -> {
              for (ChangeEvent e : source.poll(100, Duration.ofMillis(100))) {
                keys.add(e.key().id());
                source.commit(e.position());
              }
              return keys.contains("200");
            });
      } finally {
        source.close();
        pool.shutdownNow();
      }
    }
  }

  @Test
  void spillFilesOfAKilledRunAreDeletedAtTheNextStart() throws Exception {
    String db = itemsDatabase("restart_spill", 1);
    // Small enough that the server streams the open transaction below to the source at once.
    exec(db, "ALTER DATABASE " + db + " SET logical_decoding_work_mem = '64kB'");
    Path spill = dir.resolve("spill");
    Files.createDirectories(spill);
    Map<String, String> args = pipelineArgs(db, "spilling");
    args.put("spill", spill.toString());
    try (Connection writer = server().connect(db)) {
      writer.setAutoCommit(false);
      Set<Path> leftovers;
      try (ChildJvm child =
          ChildJvm.start(
              PipelineProcess.class,
              List.of(),
              PipelineProcess.args(args),
              LOGS.resolve("spilling.log"))) {
        child.awaitLine("STARTED", Duration.ofSeconds(60));
        try (Statement s = writer.createStatement()) {
          s.execute(
              "INSERT INTO items SELECT g, repeat('x', 200) FROM generate_series(2, 20001) g");
        }
        Eventually.until(
            Duration.ofSeconds(60), "a spill file", () -> !spillFiles(spill).isEmpty());
        child.kill();
        leftovers = spillFiles(spill);
      }
      assertThat(leftovers).isNotEmpty();
      // Files of other sources in the same folder: another slot, another database.
      String identity =
          leftovers.iterator().next().getFileName().toString().split("-")[1].split("\\.")[1];
      Path otherSlot =
          Files.writeString(
              spill.resolve("driftless-spilling_2." + identity + "-xid-9-1.spill"), "");
      Path otherDb =
          Files.writeString(
              spill.resolve(
                  "driftless-spilling."
                      + (identity.equals("00000000") ? "00000001" : "00000000")
                      + "-xid-9-1.spill"),
              "");

      PostgresSource source =
          PgTesting.source(db, "spilling", "spilling_pub")
              .tables(List.of("public.items"))
              .spillDirectory(spill)
              .build();
      try {
        source.start(PgTesting.context("spilling"));
        assertThat(spillFiles(spill)).containsExactlyInAnyOrder(otherSlot, otherDb);
        // The streamed transaction still arrives whole once it commits.
        writer.commit();
        Set<String> keys = new HashSet<>();
        Eventually.until(
            Duration.ofSeconds(60),
            "the transaction's 20,000 rows",
            () -> {
              List<ChangeEvent> batch = source.poll(5000, Duration.ofMillis(100));
              for (ChangeEvent e : batch) {
                keys.add(e.key().id());
              }
              if (!batch.isEmpty()) {
                source.commit(batch.get(batch.size() - 1).position());
              }
              return keys.size() == 20_000;
            });
      } finally {
        source.close();
      }
    }
  }

  private static Set<Path> spillFiles(Path folder) throws Exception {
    try (Stream<Path> files = Files.list(folder)) {
      return new HashSet<>(files.filter(f -> f.toString().endsWith(".spill")).toList());
    }
  }
}
