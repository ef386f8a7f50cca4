package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.spi.RepairReader;
import dev.driftless.tck.Eventually;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A commit record can be decoded before its transaction is visible to new snapshots. A read that
 * labels rows with a version must never label a row with a version its snapshot does not include
 * (DESIGN §5), or the index keeps the row's previous content under the newest version, which no
 * replay corrects (I1, I3).
 *
 * <p>The race is made deterministic: with {@code synchronous_standby_names} naming a standby that
 * never connects, a COMMIT writes and flushes its record (the stream decodes it), marks the
 * transaction committed, and then waits, invisible to new snapshots, until the test cancels the
 * wait. Before the fix both reads returned the row's previous content under the update's version
 * (or a higher one).
 */
class CommitVisibilityIT {

  // Threads of the test's own: the common pool has a single thread on a two-core machine, which a
  // waiting commit would hold.
  private static final java.util.concurrent.ExecutorService THREADS =
      java.util.concurrent.Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "commit-visibility-it");
            t.setDaemon(true);
            return t;
          });

  private String db = "";

  @AfterEach
  void resetStandbyNames() throws Exception {
    if (!db.isEmpty()) {
      exec(db, "ALTER SYSTEM RESET synchronous_standby_names", "SELECT pg_reload_conf()");
    }
  }

  @Test
  void theRereadOfAnUnchangedOutOfLineValueWaitsUntilItsUpdateIsVisible() throws Exception {
    db = PgTesting.newDatabase("visibility");
    exec(
        db,
        "CREATE TABLE r (id int PRIMARY KEY, big text, small int)",
        "ALTER TABLE r ALTER COLUMN big SET STORAGE EXTERNAL");
    try (PostgresSource source =
        PgTesting.source(db, "visibility_toast", "visibility_toast").tables(List.of("r")).build()) {
      source.start(PgTesting.context("visibility"));
      exec(db, "INSERT INTO r VALUES (1, repeat('x', 10000), 1)");
      PgTesting.Drain drain = new PgTesting.Drain(source).until(d -> d.hasKey("r", "1"));
      long inserted = drain.last("r", "1").version().value();

      HangingCommit update = HangingCommit.start(db, "UPDATE r SET small = 2 WHERE id = 1");
      AtomicReference<ChangeEvent> updated = new AtomicReference<>();
      CompletableFuture<Void> poller =
          CompletableFuture.runAsync(
              () -> {
                try {
                  while (updated.get() == null) {
                    for (ChangeEvent e : source.poll(100, Duration.ofMillis(100))) {
                      if (e.version().value() > inserted) {
                        updated.set(e);
                      }
                    }
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              THREADS);
      // Either the source hands out the update (the bug: the row as it was), or it waits for the
      // update to become visible.
      Eventually.until(
          Duration.ofSeconds(30),
          "the update's event or the re-read waiting for it",
          () -> updated.get() != null || rereads(source) > 0);
      update.release();
      poller.get(30, TimeUnit.SECONDS);

      ChangeEvent.Upsert event = (ChangeEvent.Upsert) updated.get();
      assertThat(event.document().fields()).containsEntry("small", 2);
    }
  }

  @Test
  void aRepairReadNeverLabelsAnInvisibleCommitsRowWithItsVersion() throws Exception {
    db = PgTesting.newDatabase("visibility");
    exec(db, "CREATE TABLE r (id int PRIMARY KEY, v text)");
    try (PostgresSource source =
        PgTesting.source(db, "visibility_repair", "visibility_repair")
            .tables(List.of("r"))
            .build()) {
      source.start(PgTesting.context("visibility"));
      exec(db, "INSERT INTO r VALUES (1, 'a')");
      PgTesting.Drain drain = new PgTesting.Drain(source).until(d -> d.hasKey("r", "1"));
      long inserted = drain.last("r", "1").version().value();

      HangingCommit update = HangingCommit.start(db, "UPDATE r SET v = 'b' WHERE id = 1");
      // The stream decodes the update although no new snapshot sees it yet.
      drain.until(d -> d.last("r", "1").version().value() > inserted);
      long updateVersion = drain.last("r", "1").version().value();

      RepairReader reader = source.repairReader().orElseThrow();
      CompletableFuture<ChangeEvent> repair =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return reader.readCurrent(List.of(DocumentKey.of("r", "1"))).get(0);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              THREADS);
      Eventually.until(
          Duration.ofSeconds(30),
          "the repair read's answer or its wait",
          () -> repair.isDone() || rereads(source) > 0);
      update.release();
      ChangeEvent read = repair.get(30, TimeUnit.SECONDS);

      // Either the row as the update left it, or a version below the update's (which the
      // update's own event then overwrites): never the old row at or above the update's version.
      assertThat(read).isInstanceOf(ChangeEvent.Upsert.class);
      Map<String, Object> fields = ((ChangeEvent.Upsert) read).document().fields();
      if (!"b".equals(fields.get("v"))) {
        assertThat(read.version().value())
            .as("version of a read that missed the update (content %s)", fields)
            .isLessThan(updateVersion);
      }
      assertThat(fields).containsEntry("v", "b");
    }
  }

  private static long rereads(PostgresSource source) {
    Object n = source.statusDetails().get("repairRereads");
    return n instanceof Long l ? l : 0;
  }

  /**
   * A statement whose COMMIT waits for a synchronous standby that never comes: committed and
   * decodable, invisible to new snapshots until {@link #release}.
   */
  private static final class HangingCommit {
    private final CompletableFuture<Void> done;
    private final AtomicLong pid;

    private HangingCommit(CompletableFuture<Void> done, AtomicLong pid) {
      this.done = done;
      this.pid = pid;
    }

    static HangingCommit start(String db, String sql) throws Exception {
      exec(
          db,
          "ALTER SYSTEM SET synchronous_standby_names = 'driftless_never_connects'",
          "SELECT pg_reload_conf()");
      // The server starts waiting for standbys once its checkpointer has read the new setting:
      // probe with transactions that write until one waits.
      Eventually.until(
          Duration.ofSeconds(30),
          "commits to wait for the standby",
          () -> {
            HangingCommit probe = begin(db, "CREATE TEMP TABLE probe (x int)");
            boolean waits = probe.waits(db, Duration.ofSeconds(2));
            probe.release();
            return waits;
          });
      HangingCommit commit = begin(db, sql);
      if (!commit.waits(db, Duration.ofSeconds(30))) {
        throw new AssertionError("the commit of '" + sql + "' did not wait for the standby");
      }
      return commit;
    }

    private static HangingCommit begin(String db, String sql) {
      AtomicLong pid = new AtomicLong();
      CompletableFuture<Void> done =
          CompletableFuture.runAsync(
              () -> {
                try (Connection c = PgTesting.server().connect(db);
                    Statement s = c.createStatement()) {
                  s.execute("SET synchronous_commit = on");
                  c.setAutoCommit(false);
                  try (ResultSet rs =
                      s.executeQuery("SELECT pg_backend_pid(), pg_current_xact_id()::text")) {
                    rs.next();
                    pid.set(rs.getLong(1));
                  }
                  s.execute(sql);
                  c.commit(); // waits for the standby
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              THREADS);
      return new HangingCommit(done, pid);
    }

    /** Whether the commit is (within {@code within}) waiting for the standby: committed, hidden. */
    private boolean waits(String db, Duration within) throws Exception {
      long deadline = System.nanoTime() + within.toNanos();
      while (System.nanoTime() < deadline && !done.isDone()) {
        if (pid.get() > 0
            && "SyncRep"
                .equals(
                    PgTesting.query(
                        db, "SELECT wait_event FROM pg_stat_activity WHERE pid = " + pid.get()))) {
          return true;
        }
        java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
      }
      return false;
    }

    /** Cancels the wait: the transaction becomes visible. */
    void release() throws Exception {
      try (Connection c = PgTesting.server().connect("postgres");
          Statement s = c.createStatement()) {
        s.execute("SET synchronous_commit = local");
        s.execute("SELECT pg_cancel_backend(" + pid.get() + ")");
      }
      done.get(30, TimeUnit.SECONDS);
    }
  }
}
