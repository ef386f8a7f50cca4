package dev.driftless.postgres.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The lease that makes one of several instances of a source (same slot, same database) the active
 * reader and the others standbys: a session-level advisory lock held on a normal session of its
 * own.
 *
 * <p>The lock ends with its session, so an instance that dies (its sockets closed by the OS)
 * releases it at once. One that is cut off by the network is expired by the server: the session
 * runs with {@code idle_session_timeout} (PostgreSQL 14+) at the lease, and a thread of this class
 * keeps it busy with a ping four times per lease, so the server ends it (and releases the lock) one
 * lease after the last ping that got through. The ping has a socket timeout of half a lease, so the
 * cut-off holder learns that its lease is lost ({@link #lost()}) before the server gives the lock
 * to someone else.
 *
 * <p>{@link #tryAcquire} and {@link #holder} come from the source's poll thread; the ping runs on
 * the lease thread; {@link #lost()} and {@link #close()} from any thread. The session is guarded by
 * this object's monitor.
 */
final class StandbyLock implements AutoCloseable {
  /** The advisory lock's first key: "DRFT"; the second is {@code hashtext} of the slot name. */
  private static final int LOCK_CLASS = 0x44524654;

  private final SourceConnections connections;
  private final String slotName;
  private final Duration lease;
  private final ScheduledExecutorService pinger;
  private final Runnable onLost;

  // Guarded by this.
  private @Nullable Connection session;
  private boolean held;
  private @Nullable ScheduledFuture<?> pings;
  private volatile @Nullable Exception lost;

  /**
   * {@code onLost} runs on the lease thread the moment a ping fails: it must cut what the source
   * reads with, since the poll thread may be blocked on a connection that the same partition
   * silenced.
   */
  StandbyLock(SourceConnections connections, String slotName, Duration lease, Runnable onLost) {
    this.connections = connections;
    this.onLost = onLost;
    this.slotName = slotName;
    this.lease = lease;
    this.pinger =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "driftless-standby-lease-" + slotName);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Takes the lock if no other instance holds it; true if this instance holds it now (also when it
   * already did). A failure to reach the server throws, and the session is opened afresh next time.
   */
  synchronized boolean tryAcquire() throws SQLException {
    if (held) {
      return true;
    }
    Connection c = session();
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?, hashtext(?))")) {
      ps.setInt(1, LOCK_CLASS);
      ps.setString(2, slotName);
      try (ResultSet rs = ps.executeQuery()) {
        held = rs.next() && rs.getBoolean(1);
      }
    } catch (SQLException e) {
      dropSession();
      throw e;
    }
    if (held) {
      lost = null;
      long every = Math.max(50, lease.toMillis() / 4);
      pings = pinger.scheduleWithFixedDelay(this::ping, every, every, TimeUnit.MILLISECONDS);
    }
    return held;
  }

  /** Whether this instance holds the lock (and has not learnt that it lost it). */
  synchronized boolean held() {
    return held && lost == null;
  }

  /** Why the held lock was lost (its session failed), or null while held or never held. */
  @Nullable Exception lost() {
    return lost;
  }

  /**
   * The process id of the session holding the lock and its application name, for the status and the
   * log ("pid 123 (driftless-orders)"), or null if nobody holds it.
   */
  synchronized @Nullable String holder() throws SQLException {
    Connection c = session();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT l.pid, a.application_name, a.client_addr::text FROM pg_locks l"
                + " LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
                + " WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid"
                + " FROM pg_database WHERE datname = current_database())"
                + " AND l.classid = ?::int4::oid AND l.objid = hashtext(?)::oid"
                + " AND l.objsubid = 2")) {
      ps.setInt(1, LOCK_CLASS);
      ps.setString(2, slotName);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        String addr = rs.getString(3);
        return "pid "
            + rs.getInt(1)
            + " ("
            + rs.getString(2)
            + (addr == null ? "" : " from " + addr)
            + ")";
      }
    } catch (SQLException e) {
      dropSession();
      throw e;
    }
  }

  /** Gives the lock up (ends its session); the next {@link #tryAcquire} starts afresh. */
  synchronized void release() {
    ScheduledFuture<?> p = pings;
    pings = null;
    if (p != null) {
      p.cancel(false);
    }
    held = false;
    dropSession();
  }

  @Override
  public void close() {
    release();
    pinger.shutdownNow();
  }

  private synchronized void ping() {
    Connection c = session;
    if (!held || c == null) {
      return;
    }
    try (Statement s = c.createStatement()) {
      s.execute("SELECT 1");
    } catch (SQLException e) {
      lost = e;
      ScheduledFuture<?> p = pings;
      pings = null;
      if (p != null) {
        p.cancel(false);
      }
      held = false;
      ReplicationSetup.abortQuietly(session);
      session = null;
      onLost.run();
    }
  }

  private Connection session() throws SQLException {
    Connection c = session;
    if (c != null) {
      return c;
    }
    Properties props = new Properties();
    // Half a lease: a ping that cannot get through fails before the server expires the session.
    props.setProperty("socketTimeout", Long.toString(Math.max(1, lease.toSeconds() / 2)));
    c = connections.admin(props);
    try (Statement s = c.createStatement()) {
      if (c.getMetaData().getDatabaseMajorVersion() >= 14) {
        // The server ends the session (and so releases the lock) of a holder cut off from it.
        s.execute("SET idle_session_timeout = " + lease.toMillis());
      }
    } catch (SQLException e) {
      ReplicationSetup.closeQuietly(c);
      throw e;
    }
    session = c;
    return c;
  }

  private void dropSession() {
    Connection c = session;
    session = null;
    ReplicationSetup.closeQuietly(c);
  }
}
