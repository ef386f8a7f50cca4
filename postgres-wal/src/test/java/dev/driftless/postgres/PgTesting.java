package dev.driftless.postgres;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.tck.Eventually;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/** Shared helpers of the integration tests: one server per JVM, one database per test class. */
final class PgTesting {

  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  private PgTesting() {}

  static PostgresServer server() {
    return PostgresServer.shared();
  }

  /** A fresh database whose name starts with {@code prefix}. */
  static String newDatabase(String prefix) throws Exception {
    String name = prefix + "_" + ProcessHandle.current().pid() + "_" + SEQUENCE.incrementAndGet();
    server().createDatabase(name);
    return name;
  }

  static void exec(String db, String... statements) throws Exception {
    try (Connection c = server().connect(db);
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  static String query(String db, String sql) throws Exception {
    try (Connection c = server().connect(db);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? String.valueOf(rs.getString(1)) : "";
    }
  }

  /** The test server's database {@code db}, logging in as {@code user}. */
  static PostgresDatabase database(String db, String user) {
    return PostgresDatabase.builder().jdbcUrl(server().jdbcUrl(db)).user(user).build();
  }

  static PostgresSourceBuilder source(String db, String slot, String publication) {
    return PostgresSource.builder()
        .database(database(db, PostgresServer.SUPERUSER))
        .slotName(slot)
        .publication(publication)
        .statusInterval(Duration.ofMillis(500));
  }

  static SourceContext context(String name) {
    CheckpointStore store = new InMemoryCheckpointStore();
    return new SourceContext() {
      @Override
      public String pipelineName() {
        return name;
      }

      @Override
      public CheckpointStore checkpointStore() {
        return store;
      }

      @Override
      public OutagePolicy outagePolicy() {
        return FAST_RECONNECTS;
      }
    };
  }

  /** Reconnects every 50 ms to 1 s: the tests restart servers and cut connections on purpose. */
  static final OutagePolicy FAST_RECONNECTS =
      OutagePolicy.of(
          new RetrySettings(Duration.ofMillis(50), Duration.ofSeconds(1), 2.0, 0.2), null);

  /**
   * Makes the server invalidate {@code slot}: with {@code max_slot_wal_keep_size} at 1 MB (reset
   * afterwards) writes WAL through {@code table} (an {@code (id int PRIMARY KEY, v text)} table),
   * switching segments and checkpointing, until the slot's {@code wal_status} is {@code lost} or
   * {@code stopEarly} holds.
   */
  static void loseSlot(
      String db, String table, String slot, Duration timeout, ThrowingCondition stopEarly)
      throws Exception {
    exec(db, "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'", "SELECT pg_reload_conf()");
    try {
      Eventually.until(
          timeout,
          "slot " + slot + "'s WAL to be removed",
          () -> {
            if (stopEarly.test()) {
              return true;
            }
            exec(
                db,
                "INSERT INTO "
                    + table
                    + " SELECT g, repeat('x', 1000) FROM generate_series(1, 2000) g"
                    + " ON CONFLICT (id) DO UPDATE SET v = excluded.v || '.'",
                "SELECT pg_switch_wal()",
                "CHECKPOINT");
            return "lost"
                .equals(
                    query(
                        db,
                        "SELECT wal_status FROM pg_replication_slots WHERE slot_name = '"
                            + slot
                            + "'"));
          });
    } finally {
      exec(db, "ALTER SYSTEM RESET max_slot_wal_keep_size", "SELECT pg_reload_conf()");
    }
  }

  @FunctionalInterface
  interface ThrowingCondition {
    boolean test() throws Exception;
  }

  /**
   * Polls a source like a pipeline would, committing each batch's last position once "applied", and
   * keeps every event and the newest event per key.
   */
  static final class Drain {
    final PostgresSource source;
    final List<ChangeEvent> events = new ArrayList<>();
    final Map<DocumentKey, ChangeEvent> latest = new LinkedHashMap<>();
    boolean commit = true;

    Drain(PostgresSource source) {
      this.source = source;
    }

    void pollOnce() throws Exception {
      List<ChangeEvent> batch;
      try {
        batch = source.poll(500, Duration.ofMillis(100));
      } catch (dev.driftless.core.RetriableException e) {
        return; // an outage: polled again, as a pipeline would
      }
      for (ChangeEvent e : batch) {
        events.add(e);
        latest.put(e.key(), e);
      }
      if (commit && !batch.isEmpty()) {
        source.commit(batch.get(batch.size() - 1).position());
      }
    }

    /** Polls until {@code done} holds for the events so far. */
    Drain until(Predicate<Drain> done) throws Exception {
      Eventually.until(
          Duration.ofSeconds(60),
          "events (got " + events.size() + ")",
          () -> {
            pollOnce();
            return done.test(this);
          });
      return this;
    }

    boolean hasKey(String collection, String id) {
      return latest.containsKey(DocumentKey.of(collection, id));
    }

    ChangeEvent last(String collection, String id) {
      ChangeEvent e = latest.get(DocumentKey.of(collection, id));
      if (e == null) {
        throw new AssertionError("no event for " + collection + "/" + id + " in " + events);
      }
      return e;
    }
  }
}
