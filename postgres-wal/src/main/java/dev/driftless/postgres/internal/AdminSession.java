package dev.driftless.postgres.internal;

import dev.driftless.postgres.LsnPosition;
import dev.driftless.postgres.SlotInvalidatedException;
import java.net.SocketTimeoutException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The source's administrative connection while it runs, opened on demand and dropped on any failure
 * (the replication connection reports real outages): the slot's state for the status, the
 * heartbeat, and the snapshot that lets {@link RecentCommits} forget transactions every new
 * snapshot sees. Confined to the source's poll thread, except {@link #status()} and {@link
 * #serverWalLsn()}.
 */
final class AdminSession implements ReplicatedTables.AdminConnection {
  private final SourceConnections connections;
  private final String slotName;
  private final RecentCommits recent;
  private final int responseTimeoutMillis;
  private final Map<String, Object> status = new ConcurrentHashMap<>();
  private volatile @Nullable Connection connection;
  private volatile long serverWalLsn;
  private long nextForgetNanos;
  // PostgreSQL 17 can flush a logical message at once; before that it waits for the WAL writer.
  private String heartbeatSql = "SELECT pg_logical_emit_message(false, 'driftless-heartbeat', '')";

  AdminSession(SourceConnections connections, String slotName, RecentCommits recent) {
    this.connections = connections;
    this.slotName = slotName;
    this.recent = recent;
    this.responseTimeoutMillis =
        (int) Math.min(Integer.MAX_VALUE, connections.responseTimeout().toMillis());
  }

  /** Uses the heartbeat form the server of {@code serverVersionNum} flushes best. */
  void serverVersion(int serverVersionNum) {
    if (serverVersionNum >= 170000) {
      heartbeatSql = "SELECT pg_logical_emit_message(false, 'driftless-heartbeat', '', true)";
    }
  }

  /**
   * The session's connection, opened if needed. Every statement on it waits at most the source's
   * {@code responseTimeout} for the server (a socket timeout); a statement that may wait longer on
   * purpose lifts it ({@link ReplicationSetup#createSlot}).
   */
  @Override
  public Connection connection() throws SQLException {
    Connection c = connection;
    if (c == null || c.isClosed()) {
      c = connections.admin();
      c.setNetworkTimeout(Runnable::run, responseTimeoutMillis);
      connection = c;
    }
    return c;
  }

  /**
   * {@code e} if, thrown by an attempt that began at {@code startNanos}, it says that the server
   * did not answer in time — a socket timeout, or a login that gave up after the response timeout
   * (an already closed session is opened again first) — else null (the server refused or failed at
   * once, which the replication connection reports by itself).
   */
  private @Nullable SQLException unanswered(SQLException e, long startNanos) {
    long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    if (waitedMillis >= responseTimeoutMillis * 9L / 10) {
      return e;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SocketTimeoutException) {
        return e;
      }
    }
    return null;
  }

  /** The slot's state as last read: WAL retained, confirmed position, {@code wal_status}. */
  Map<String, Object> status() {
    return status;
  }

  /** The server's WAL position as last read (0 before). */
  long serverWalLsn() {
    return serverWalLsn;
  }

  /**
   * Every two seconds, lets {@link #recent} forget the transactions a new snapshot sees (so that it
   * stays small while the stream is busy and never quiet).
   */
  void forgetVisibleCommits(boolean connected) {
    long now = System.nanoTime();
    if (now < nextForgetNanos || recent.size() == 0 || !connected) {
      return; // nothing to forget, or disconnected: no admin connection attempt on every poll
    }
    nextForgetNanos = now + TimeUnit.SECONDS.toNanos(2);
    try (Statement st = connection().createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_snapshot()::text")) {
      if (rs.next()) {
        recent.forgetVisible(TxSnapshot.parse(rs.getString(1)));
      }
    } catch (SQLException e) {
      close(); // best effort: tried again in two seconds
    }
  }

  /**
   * Reads the server's WAL position and the slot's state into the status (best effort).
   *
   * @return null, or why the server did not answer within the response timeout (the network path to
   *     it is silent: the stream, on the same path, cannot be trusted to be alive either)
   * @throws SlotInvalidatedException if the slot's WAL was removed
   */
  @Nullable SQLException refreshStatus() {
    long start = System.nanoTime();
    try {
      Connection c = connection();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT pg_current_wal_lsn()::text, restart_lsn::text, confirmed_flush_lsn::text,"
                  + " wal_status FROM pg_replication_slots WHERE slot_name = ?")) {
        ps.setString(1, slotName);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            long current = LsnPosition.parseLsn(rs.getString(1));
            String restart = rs.getString(2);
            String walStatus = rs.getString(4);
            serverWalLsn = current;
            if (restart != null) {
              status.put("walRetainedBytes", Math.max(0, current - LsnPosition.parseLsn(restart)));
            }
            if (rs.getString(3) != null) {
              status.put("slotConfirmedFlushLsn", rs.getString(3));
            }
            if (walStatus != null) {
              status.put("walStatus", walStatus);
              if ("lost".equals(walStatus)) {
                throw SlotInvalidatedException.of(slotName);
              }
            }
          }
        }
      }
    } catch (SQLException e) {
      close(); // status is best effort; the replication connection reports real outages
      return unanswered(e, start);
    }
    return null;
  }

  /**
   * Writes a heartbeat into this database's WAL (best effort).
   *
   * @return null, or why the server did not answer within the response timeout
   */
  @Nullable SQLException heartbeat() {
    long start = System.nanoTime();
    try (Statement s = connection().createStatement()) {
      s.execute(heartbeatSql);
      return null;
    } catch (SQLException e) {
      close();
      return unanswered(e, start);
    }
  }

  /** Cuts the connection from any thread (see {@link ReplicationConnection#abort()}). */
  void abort() {
    ReplicationSetup.abortQuietly(connection);
  }

  void close() {
    Connection c = connection;
    connection = null;
    ReplicationSetup.closeQuietly(c);
  }
}
