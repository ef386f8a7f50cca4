package dev.driftless.postgres.internal;

import dev.driftless.core.OutagePolicy;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.postgres.LsnPosition;
import dev.driftless.postgres.SlotInvalidatedException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.postgresql.replication.fluent.logical.ChainedLogicalStreamBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replication connection: opens the walsender stream on the slot from the last confirmed
 * position, reads messages, tells the server what is flushed (status updates, also when nothing is
 * read), and after a loss reconnects, spaced by the pipeline's outage policy, checking first that
 * the slot still exists and is not lost; a loss that a reconnect does not mend is reported to the
 * pipeline as an outage (and its end once connected again). Owns the JDBC connection, the stream,
 * the count of failed attempts and whether an outage is reported. Confined to the source's poll
 * thread, except {@link #connected()} and {@link #lastFailure()}.
 */
final class ReplicationConnection {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicationConnection.class);

  private final SourceSettings settings;
  private final SourceConnections connections;
  private final FlushTracker flush;

  private volatile @Nullable Connection connection;
  private volatile @Nullable PGReplicationStream stream;
  private boolean temporarySlotCreated;
  private int protocolVersion = 1;
  private long nextAttemptNanos;
  private int consecutiveFailures;
  // The pipeline's outage policy spaces the reconnects; the pipeline hears of each outage.
  private OutagePolicy policy = OutagePolicy.of(RetrySettings.DEFAULT, null);
  private @Nullable SourceContext outages;
  private boolean outageReported;
  private volatile @Nullable Exception lastFailure;
  private volatile int reportedFailures;

  ReplicationConnection(
      SourceSettings settings, SourceConnections connections, FlushTracker flush) {
    this.settings = settings;
    this.connections = connections;
    this.flush = flush;
  }

  /**
   * Spaces reconnects with the pipeline's {@link SourceContext#outagePolicy()} and reports outages
   * through {@code context}.
   */
  void outagesTo(SourceContext context) {
    this.policy = context.outagePolicy();
    this.outages = context;
  }

  /**
   * Opens the stream with pgoutput protocol {@code protocolVersion}, from the confirmed position.
   *
   * @throws SlotInvalidatedException if the server says the slot cannot stream any more
   */
  void open(int protocolVersion) throws SQLException {
    this.protocolVersion = protocolVersion;
    Connection conn = connections.replication();
    try {
      // pgoutput prints values with this session's settings; fingerprints need them fixed.
      TextRendering.apply(conn);
      PGConnection pg = conn.unwrap(PGConnection.class);
      if (settings.temporarySlot()) {
        if (temporarySlotCreated) {
          throw SlotInvalidatedException.of(
              settings.slotName(),
              "it was temporary and disappeared with its connection",
              lastFailure);
        }
        pg.getReplicationAPI()
            .createReplicationSlot()
            .logical()
            .withSlotName(settings.slotName())
            .withOutputPlugin("pgoutput")
            .withTemporaryOption()
            .make();
        temporarySlotCreated = true;
      }
      ChainedLogicalStreamBuilder builder =
          pg.getReplicationAPI()
              .replicationStream()
              .logical()
              .withSlotName(settings.slotName())
              .withSlotOption("proto_version", protocolVersion)
              .withSlotOption("publication_names", TableShape.quote(settings.publication()))
              .withStatusInterval(
                  (int) Math.max(1, settings.statusInterval().toMillis()), TimeUnit.MILLISECONDS);
      if (settings.streaming() && protocolVersion >= 2) {
        builder.withSlotOption("streaming", protocolVersion >= 4 ? "parallel" : "on");
      }
      builder.withSlotOption("messages", true);
      long flushed = flush.flushed();
      if (flushed > 0) {
        builder.withStartPosition(LogSequenceNumber.valueOf(flushed));
      }
      PGReplicationStream s = builder.start();
      connection = conn;
      stream = s;
      if (flushed > 0) {
        s.setFlushedLSN(LogSequenceNumber.valueOf(flushed));
        s.setAppliedLSN(LogSequenceNumber.valueOf(flushed));
      }
    } catch (SQLException e) {
      ReplicationSetup.closeQuietly(conn);
      throw classifyStartFailure(e);
    } catch (RuntimeException e) {
      ReplicationSetup.closeQuietly(conn);
      throw e;
    }
  }

  private SQLException classifyStartFailure(SQLException sql) {
    String msg = String.valueOf(sql.getMessage());
    if (msg.contains("can no longer get changes") || msg.contains("has been invalidated")) {
      throw SlotInvalidatedException.of(settings.slotName(), "the server says: " + msg, sql);
    }
    if ("42704".equals(sql.getSQLState()) && !settings.temporarySlot()) {
      throw SlotInvalidatedException.of(settings.slotName(), "it no longer exists", sql);
    }
    return sql;
  }

  boolean connected() {
    return stream != null;
  }

  /** The next message, or null when none is pending (or when disconnected). */
  @Nullable ByteBuffer readPending() throws SQLException {
    PGReplicationStream s = stream;
    return s == null ? null : s.readPending();
  }

  /** The highest WAL position received from the server (0 when disconnected). */
  long lastReceived() {
    PGReplicationStream s = stream;
    return s == null ? 0 : s.getLastReceiveLSN().asLong();
  }

  /** Reports {@code lsn} as flushed and applied with the next status update. */
  void confirm(long lsn) {
    PGReplicationStream s = stream;
    if (s != null) {
      s.setFlushedLSN(LogSequenceNumber.valueOf(lsn));
      s.setAppliedLSN(LogSequenceNumber.valueOf(lsn));
    }
  }

  /** Sends a status update now (keeps the walsender from timing out while nothing is read). */
  void sendStatus() throws SQLException {
    PGReplicationStream s = stream;
    if (s != null) {
      s.forceUpdateStatus();
    }
  }

  /** Whether a reconnect attempt is due (disconnected and the backoff has passed). */
  boolean reconnectDue() {
    return stream == null && System.nanoTime() >= nextAttemptNanos;
  }

  /** When the next reconnect attempt is due, in {@link System#nanoTime()}. */
  long nextAttemptNanos() {
    return nextAttemptNanos;
  }

  /** Consecutive failures up to the last one (kept after a reconnect, for the status). */
  int reportedFailures() {
    return reportedFailures;
  }

  /** Why the connection was last lost or could not be opened, or null. */
  @Nullable Exception lastFailure() {
    return lastFailure;
  }

  /**
   * Tries to reconnect: checks that the slot still exists and is not lost, then opens the stream. A
   * failure to reach the server schedules the next attempt.
   *
   * @throws SlotInvalidatedException if the slot is gone or lost
   */
  void tryReconnect(ReplicatedTables.AdminConnection admin, Runnable adminFailed) throws Exception {
    try {
      String confirmed = null;
      if (!settings.temporarySlot()) {
        Optional<ReplicationSetup.SlotState> slot =
            ReplicationSetup.slot(admin.connection(), settings.slotName());
        if (slot.isEmpty()) {
          throw SlotInvalidatedException.of(settings.slotName(), "it no longer exists", null);
        }
        ReplicationSetup.checkNotLost(settings.slotName(), slot.get());
        confirmed = slot.get().confirmedFlushLsn();
      }
      open(protocolVersion);
      // The stream resumes at the slot's confirmed position, which this process may not have
      // confirmed itself (it logged 0/0 then).
      LOG.info(
          "replication slot {} reconnected; the server resumes after {}",
          settings.slotName(),
          confirmed != null
              ? confirmed + " (the slot's confirmed position)"
              : LsnPosition.formatLsn(flush.flushed()));
      consecutiveFailures = 0;
      SourceContext ctx = outages;
      if (outageReported && ctx != null) {
        outageReported = false;
        ctx.outageEnded();
      }
    } catch (SQLException e) {
      adminFailed.run();
      scheduleReconnect(e);
    }
  }

  /** The connection broke: closes it and schedules a reconnect. */
  void lost(Exception cause) {
    LOG.warn(
        "replication connection of slot " + settings.slotName() + " lost; reconnecting: " + cause);
    close(false);
    scheduleReconnect(cause);
  }

  /** The next attempt at once (after a new slot was created). */
  void reconnectNow() {
    nextAttemptNanos = System.nanoTime();
  }

  private void scheduleReconnect(Exception cause) {
    lastFailure = cause;
    consecutiveFailures++;
    reportedFailures = consecutiveFailures;
    nextAttemptNanos = System.nanoTime() + policy.delay(consecutiveFailures).toNanos();
    SourceContext ctx = outages;
    if (consecutiveFailures > 1 && ctx != null) {
      // The connection was lost and a reconnect failed too (a lost connection alone is retried
      // first): an outage the pipeline must see, so that it shows it and holds it to its
      // outageDeadline. Each report updates the cause; the outage keeps its start.
      outageReported = true;
      ctx.outageStarted(cause);
    }
  }

  /**
   * Cuts the connection from any thread, without a word to the server: a read blocked on it (a
   * network partition) fails at once. The poll thread then finds it lost.
   */
  void abort() {
    ReplicationSetup.abortQuietly(connection);
  }

  /** Closes the stream; {@code graceful}: after a last status update. */
  void close(boolean graceful) {
    PGReplicationStream s = stream;
    stream = null;
    if (s != null && graceful) {
      try {
        s.forceUpdateStatus();
        s.close();
      } catch (SQLException ignored) {
        // the connection is being dropped anyway
      }
    }
    Connection c = connection;
    connection = null;
    ReplicationSetup.closeQuietly(c);
  }
}
