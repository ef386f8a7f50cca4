package dev.driftless.benchmarks;

import dev.driftless.testinfra.postgres.PostgresServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The pgdecode benchmark's database: a six-column table in a publication, replication slots, and a
 * workload of inserts followed by updates of the same rows, committed in transactions of a fixed
 * size.
 */
final class PgWorkload {

  static final String DATABASE = "bench";
  static final String PUBLICATION = "bench_pub";
  static final String TABLE = "items";
  static final String PASSWORD = "bench";

  private final PostgresServer server;

  PgWorkload(PostgresServer server) {
    this.server = server;
  }

  Connection connect() throws SQLException {
    return server.connect(DATABASE);
  }

  /** Creates the database, table and publication, and raises logical_decoding_work_mem. */
  void setUp() throws SQLException {
    server.createDatabase(DATABASE);
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      // The launcher's 64kB (chosen so tests see streamed transactions) would make the server
      // spill every 1,000-row transaction to disk once per slot, measuring the server's disk.
      s.execute("ALTER SYSTEM SET logical_decoding_work_mem = '64MB'");
      s.execute("SELECT pg_reload_conf()");
      s.execute("ALTER ROLE postgres PASSWORD '" + PASSWORD + "'");
      s.execute(
          "CREATE TABLE "
              + TABLE
              + " (id bigint PRIMARY KEY, name text NOT NULL, qty integer NOT NULL,"
              + " price numeric(12,2) NOT NULL, updated_at timestamptz NOT NULL,"
              + " active boolean NOT NULL)");
      s.execute("CREATE TABLE wal_marker (id bigserial PRIMARY KEY, at timestamptz)");
      s.execute("CREATE PUBLICATION " + PUBLICATION + " FOR TABLE " + TABLE);
    }
  }

  void createSlot(String slot) throws SQLException {
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement("SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
      ps.setString(1, slot);
      ps.execute();
    }
  }

  /** Drops a slot, waiting up to 15 s for a finished reader's walsender to let go of it. */
  void dropSlot(String slot) throws SQLException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (true) {
      try (Connection c = connect();
          PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
        ps.setString(1, slot);
        ps.execute();
        return;
      } catch (SQLException e) {
        if (!"55006".equals(e.getSQLState()) || System.nanoTime() > deadline) {
          throw e;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      }
    }
  }

  /**
   * Writes {@code changes} row changes for ids starting at {@code firstId}: half inserts, then
   * updates of the same rows, {@code perTransaction} rows per transaction. Returns the WAL insert
   * position after the last commit, and writes one unpublished row after it so that the WAL extends
   * past that position.
   */
  String write(long firstId, int changes, int perTransaction) throws SQLException {
    int inserts = changes - changes / 2;
    int updates = changes / 2;
    try (Connection c = connect()) {
      c.setAutoCommit(true);
      try (PreparedStatement ins =
          c.prepareStatement(
              "INSERT INTO "
                  + TABLE
                  + " SELECT g, 'item-' || g, (g % 1000)::int, (g % 100000) / 100.0,"
                  + " timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second',"
                  + " g % 3 <> 0 FROM generate_series(?::bigint, ?::bigint) g")) {
        for (long from = firstId; from < firstId + inserts; from += perTransaction) {
          ins.setLong(1, from);
          ins.setLong(2, Math.min(firstId + inserts, from + perTransaction) - 1);
          ins.executeUpdate();
        }
      }
      try (PreparedStatement upd =
          c.prepareStatement(
              "UPDATE "
                  + TABLE
                  + " SET qty = qty + 1, price = price + 1, updated_at = updated_at +"
                  + " interval '1 hour', active = NOT active WHERE id BETWEEN ? AND ?")) {
        for (long from = firstId; from < firstId + updates; from += perTransaction) {
          upd.setLong(1, from);
          upd.setLong(2, Math.min(firstId + updates, from + perTransaction) - 1);
          upd.executeUpdate();
        }
      }
      String end;
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
        rs.next();
        end = rs.getString(1);
      }
      try (Statement s = c.createStatement()) {
        s.execute("INSERT INTO wal_marker (at) VALUES (now())");
      }
      return end;
    }
  }

  /** Whether the slot's confirmed flush position reached {@code lsn}. */
  boolean confirmedReached(String slot, String lsn) throws SQLException {
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT confirmed_flush_lsn >= ?::pg_lsn FROM pg_replication_slots"
                    + " WHERE slot_name = ?")) {
      ps.setString(1, lsn);
      ps.setString(2, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  String serverVersion() throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT version()")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** WAL bytes between two positions, for the report. */
  long walBytes(String from, String to) throws SQLException {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement("SELECT pg_wal_lsn_diff(?::pg_lsn, ?::pg_lsn)")) {
      ps.setString(1, to);
      ps.setString(2, from);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  String currentInsertLsn() throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
      rs.next();
      return rs.getString(1);
    }
  }

  int port() {
    return server.port();
  }

  String jdbcUrl() {
    return server.jdbcUrl(DATABASE);
  }
}
