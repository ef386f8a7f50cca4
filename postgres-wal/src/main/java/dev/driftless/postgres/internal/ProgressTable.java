package dev.driftless.postgres.internal;

import dev.driftless.core.ConfigurationException;
import dev.driftless.core.spi.CheckpointStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;

/**
 * Backfill progress kept in the source database beside the replication slot, for a pipeline whose
 * checkpoint store is the in-memory default: table {@value #TABLE}, created (with its schema) on
 * first use, one row per slot and progress name. The slot name is part of the key, and the source
 * resets the progress whenever it creates the slot, so a dropped or recreated slot starts its
 * backfill over. Schema {@value #SCHEMA} is never replicated (the source leaves it out of a
 * publication's tables).
 *
 * <p>The source's role needs {@code CREATE} on the database the first time (to create the schema),
 * or an administrator creates schema and table beforehand and grants the role {@code SELECT,
 * INSERT, UPDATE} on the table (docs/postgres.md, "Server set-up").
 *
 * <p>Used from the source's poll thread; a save commits (with the server's {@code
 * synchronous_commit}) before it returns. A broken connection is reopened on the next call.
 */
final class ProgressTable implements CheckpointStore {

  static final String SCHEMA = "driftless";
  static final String TABLE = SCHEMA + ".backfill_progress";

  private final Callable<Connection> connector;
  private final String slotName;
  private @Nullable Connection connection;

  ProgressTable(Callable<Connection> connector, String slotName) {
    this.connector = connector;
    this.slotName = slotName;
  }

  /**
   * Creates the schema and table if absent. Called at start, before the slot is created, so that
   * missing privileges fail the start with nothing left behind.
   */
  void prepare() throws Exception {
    try {
      Connection c = connection();
      try (Statement s = c.createStatement()) {
        s.execute("CREATE SCHEMA IF NOT EXISTS " + SCHEMA);
        s.execute(
            "CREATE TABLE IF NOT EXISTS "
                + TABLE
                + " (slot_name text NOT NULL, name text NOT NULL, progress text NOT NULL,"
                + " saved_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (slot_name, name))");
      }
    } catch (SQLException e) {
      close();
      if ("42501".equals(e.getSQLState())) {
        throw new ConfigurationException(
            "the source keeps backfill progress in table "
                + TABLE
                + " of its database (the pipeline has no checkpointStore) but may not create"
                + " it: GRANT CREATE ON DATABASE ... TO <role>, or create schema "
                + SCHEMA
                + " and the table beforehand (see docs/postgres.md), or configure a"
                + " checkpointStore: "
                + e.getMessage(),
            e);
      }
      throw e;
    }
  }

  @Override
  public Optional<String> load(String name) throws Exception {
    try (PreparedStatement ps =
        connection()
            .prepareStatement(
                "SELECT progress FROM " + TABLE + " WHERE slot_name = ? AND name = ?")) {
      ps.setString(1, slotName);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      close();
      throw e;
    }
  }

  @Override
  public void save(String name, String position) throws Exception {
    try (PreparedStatement ps =
        connection()
            .prepareStatement(
                "INSERT INTO "
                    + TABLE
                    + " (slot_name, name, progress) VALUES (?, ?, ?) ON CONFLICT (slot_name, name)"
                    + " DO UPDATE SET progress = EXCLUDED.progress, saved_at = now()")) {
      ps.setString(1, slotName);
      ps.setString(2, name);
      ps.setString(3, position);
      ps.executeUpdate();
    } catch (SQLException e) {
      close();
      throw e;
    }
  }

  private Connection connection() throws Exception {
    Connection c = connection;
    if (c == null || c.isClosed()) {
      c = connector.call();
      c.setAutoCommit(true);
      connection = c;
    }
    return c;
  }

  void close() {
    ReplicationSetup.closeQuietly(connection);
    connection = null;
  }
}
