package dev.driftless.chaos;

import dev.driftless.testinfra.postgres.PostgresServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The suite's writes, straight to PostgreSQL (not through the proxy): a table {@code items(id int
 * PRIMARY KEY, name, qty, note, body, rev, wlsn)} seeded with rows for the backfill, then small
 * transactions at a steady rate (inserts, updates, deletes, re-inserts). About 1% of the rows are
 * poison: every id with {@code id % 100 == 7} has a name starting with {@link #POISON_PREFIX},
 * which the child's mapper refuses; such a row is inserted and updated (staying poison) but never
 * deleted, so the dead-letter store must end up holding exactly those ids. A tenth of the rows
 * carry a {@code body} of 6,400 characters (TOASTed out of line) that most updates leave alone, so
 * the source re-reads unchanged TOAST values. {@code rev} counts a row's writes; {@code wlsn} is
 * the WAL insert position during the writing transaction, a lower bound of its commit LSN (the
 * version the index must hold at least).
 *
 * <p>Transactions that fail (PostgreSQL restarting) are dropped: the database is the truth the
 * comparison reads at the end, whatever committed.
 */
final class Workload implements AutoCloseable {

  static final String POISON_PREFIX = "poison:";

  private static final String WLSN = "(pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint";

  /** Whether some rows carry a TOASTed body ({@code -Dchaos.toast=false} to narrow down). */
  static final boolean TOAST = Boolean.parseBoolean(System.getProperty("chaos.toast", "true"));

  private static final String BODY =
      TOAST
          ? "(SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 200))"
          : "'short body'";

  private final PostgresServer server;
  private final String database;
  private final Random random;
  private final ScheduledExecutorService writer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "chaos-workload");
            t.setDaemon(true);
            return t;
          });
  private final AtomicLong committed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private int nextId;
  private @Nullable Connection connection;

  Workload(PostgresServer server, String database, long seed) {
    this.server = server;
    this.database = database;
    this.random = new Random(seed);
  }

  /** Whether rows are poisoned at all ({@code -Dchaos.poison=false} to narrow a failure down). */
  static final boolean POISON = Boolean.parseBoolean(System.getProperty("chaos.poison", "true"));

  static boolean isPoison(int id) {
    return POISON && id % 100 == 7;
  }

  /** Creates the table and its first {@code rows} rows (what the backfill reads). */
  void seed(int rows) throws SQLException {
    try (Connection c = server.connect(database);
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int, note text,"
              + " body text, rev int NOT NULL, wlsn bigint NOT NULL)");
      s.execute(
          "INSERT INTO items SELECT g, CASE WHEN "
              + POISON
              + " AND g % 100 = 7 THEN '"
              + POISON_PREFIX
              + "' || g ELSE 'item ' || g END, g % 50, CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || g"
              + " END, CASE WHEN g % 10 = 1 THEN "
              + BODY
              + " ELSE NULL END, 1, "
              + WLSN
              + " FROM generate_series(1, "
              + rows
              + ") g");
    }
    nextId = rows + 1;
  }

  /** Starts writing one transaction every {@code periodMillis}. */
  void start(long periodMillis) {
    writer.scheduleAtFixedRate(this::writeOne, 0, periodMillis, TimeUnit.MILLISECONDS);
  }

  /** Stops writing and waits for the transaction under way. */
  void stop() throws InterruptedException {
    writer.shutdown();
    if (!writer.awaitTermination(60, TimeUnit.SECONDS)) {
      throw new AssertionError("the workload did not stop within 60 s");
    }
    closeConnection();
  }

  long committed() {
    return committed.get();
  }

  long failed() {
    return failed.get();
  }

  private void writeOne() {
    try {
      Connection c = connection;
      if (c == null) {
        c = server.connect(database);
        c.setAutoCommit(false);
        connection = c;
      }
      int ops = 1 + random.nextInt(4);
      for (int i = 0; i < ops; i++) {
        operation(c);
      }
      c.commit();
      committed.incrementAndGet();
    } catch (SQLException e) {
      failed.incrementAndGet();
      closeConnection();
    } catch (RuntimeException e) {
      failed.incrementAndGet();
      closeConnection();
    }
  }

  private void operation(Connection c) throws SQLException {
    int roll = random.nextInt(100);
    if (roll < 25) {
      upsert(c, nextId++, random.nextInt(10) == 0);
    } else if (roll < 35) {
      int id = 1 + random.nextInt(nextId - 1);
      if (!isPoison(id)) {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM items WHERE id = ?")) {
          s.setInt(1, id);
          s.executeUpdate();
        }
      }
    } else {
      // An update, or the re-insert of a deleted row; sometimes with a new body.
      upsert(c, 1 + random.nextInt(nextId - 1), random.nextInt(20) == 0);
    }
  }

  private void upsert(Connection c, int id, boolean newBody) throws SQLException {
    String name = isPoison(id) ? POISON_PREFIX + id + ":" + random.nextInt(1000) : "item " + id;
    String note = random.nextInt(4) == 0 ? null : "note " + random.nextInt(100_000);
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO items AS t VALUES (?, ?, ?, ?, "
                + (newBody ? BODY : "NULL")
                + ", 1, "
                + WLSN
                + ") ON CONFLICT (id) DO UPDATE SET name = excluded.name, qty = excluded.qty,"
                + " note = excluded.note, rev = t.rev + 1, wlsn = excluded.wlsn"
                + (newBody ? ", body = excluded.body" : ""))) {
      s.setInt(1, id);
      s.setString(2, name);
      s.setInt(3, random.nextInt(1000));
      s.setString(4, note);
      s.executeUpdate();
    }
  }

  private void closeConnection() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        // the server is gone; the next transaction connects again
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (!writer.isShutdown()) {
      stop();
    }
  }
}
