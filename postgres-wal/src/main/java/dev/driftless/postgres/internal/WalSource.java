package dev.driftless.postgres.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.RetriableException;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.RepairReader;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.postgres.LsnPosition;
import dev.driftless.postgres.SlotInvalidatedException;
import dev.driftless.postgres.internal.types.TypeRegistry;
import dev.driftless.postgres.internal.types.ValueDecoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The engine behind {@link dev.driftless.postgres.PostgresSource}: its lifecycle and its poll loop,
 * which drive the parts (docs/architecture.md): {@link SourceStartup} at start, {@link
 * ReplicationConnection} for the stream, {@link TransactionAssembler} for what it carries, {@link
 * FlushTracker} for what may be confirmed, {@link SourceBackfill} between transactions, {@link
 * AdminSession} for status and heartbeats, {@link PostgresRepairReader} for reads by key. Owns only
 * the lifecycle flags, the timers of the quiet loop and the figures of the status. Confined to the
 * pipeline's poll thread, except {@link #statusDetails} and {@link #repairReader}.
 */
public final class WalSource {
  private static final Duration STATUS_REFRESH = Duration.ofSeconds(5);

  private final SourceSettings settings;
  private final RecentCommits recent = new RecentCommits();
  private final FlushTracker flush = new FlushTracker();
  private final AdminSession admin;
  private final SourceConnections connections;
  private final PostgresRepairReader repairReader;
  private final ReplicatedTables tables;
  private final ReplicationConnection replication;
  private final TransactionAssembler stream;
  private final SourceBackfill backfill;
  private final SourceStartup startup;
  private final AtomicLong unreadableChanges = new AtomicLong();
  private final @Nullable StandbyRole standby;

  private Clock clock = Clock.systemUTC();
  private @Nullable SourceContext context;
  private boolean started;
  // Whether start-up ran to its end once (a standby runs it when it first takes over).
  private boolean activated;
  private volatile boolean closed;
  private volatile int protocolVersion = 1;
  private volatile long serverWalEnd;
  private volatile @Nullable Instant lastCommitTime;
  private long nextStatusRefreshNanos;
  private long nextHeartbeatNanos;

  public WalSource(SourceSettings settings) {
    this.settings = settings;
    SourceConnections connections =
        new SourceConnections(settings.database(), settings.slotName(), settings.responseTimeout());
    this.connections = connections;
    ColumnValueDecoder values = typesDecoder(connections::reader);
    this.admin = new AdminSession(connections, settings.slotName(), recent);
    this.repairReader =
        new PostgresRepairReader(connections::reader, values, Clock.systemUTC(), recent);
    this.tables =
        new ReplicatedTables(
            settings.tables(), settings.allowReplicaIdentityFull(), admin, repairReader::tables);
    this.replication = new ReplicationConnection(settings, connections, flush);
    this.stream =
        new TransactionAssembler(
            tables,
            values,
            repairReader::readRowSeeing,
            recent,
            settings.truncateMode(),
            settings.spillDirectory(),
            new StreamListener());
    this.backfill =
        new SourceBackfill(
            settings,
            connections,
            values,
            recent,
            (key, version, position, failure) ->
                deadLetterUnreadable(key, version, position, failure));
    this.startup = new SourceStartup(settings, connections, tables, backfill, replication, recent);
    this.standby =
        settings.standby()
            ? new StandbyRole(
                settings,
                connections,
                new StandbyRole.Actions() {
                  @Override
                  public void promote() throws Exception {
                    takeOver();
                  }

                  @Override
                  public void demote(Exception cause) {
                    replication.close(false);
                    stream.discard();
                  }
                },
                () -> {
                  // On the lease thread: unblock a poll thread stuck on a silenced connection.
                  replication.abort();
                  admin.abort();
                })
            : null;
  }

  /** The types package's decoder, looking user types up in the source database's catalog. */
  private static ColumnValueDecoder typesDecoder(TypeRegistry.CatalogConnector catalog) {
    ValueDecoder values = new ValueDecoder(TypeRegistry.connecting(catalog));
    return new ColumnValueDecoder() {
      @Override
      public @Nullable Object decode(int typeOid, int typmod, @Nullable String text) {
        return values.decode(typeOid, typmod, text);
      }

      @Override
      public void invalidate(int typeOid) {
        values.registry().invalidate(typeOid);
      }
    };
  }

  public void start(SourceContext context) throws Exception {
    Objects.requireNonNull(context, "context");
    if (started) {
      throw new IllegalStateException("source already started");
    }
    if (closed) {
      throw new IllegalStateException("source is closed");
    }
    started = true;
    clock = context.clock();
    this.context = context;
    replication.outagesTo(context);
    Connection c;
    try {
      c = admin.connection();
    } catch (SQLException e) {
      throw new RetriableException("could not connect to PostgreSQL: " + e.getMessage(), e);
    }
    StandbyRole role = standby;
    if (role != null) {
      // Reads only once it holds the standby lock: now, or later in poll.
      role.start(context);
      role.awaitActive(System.nanoTime());
      return;
    }
    activate(c);
  }

  /** This standby holds the lock: runs start-up the first time, else resumes from the slot. */
  private void takeOver() throws Exception {
    try {
      if (!activated) {
        activate(admin.connection());
      } else {
        // Another instance may have read meanwhile: the stream starts again where the slot is.
        startup.recordStart(admin.connection());
        replication.reconnectNow();
      }
    } catch (SQLException e) {
      admin.close();
      if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
        throw new RetriableException("could not take over: " + e.getMessage(), e);
      }
      throw e;
    }
  }

  /** Start-up: checks, creates what is missing, connects the stream; starts a backfill if due. */
  private void activate(Connection c) throws Exception {
    SourceContext context = Objects.requireNonNull(this.context, "context");
    try {
      SourceStartup.Outcome outcome = startup.run(c, context);
      protocolVersion = outcome.protocolVersion();
      admin.serverVersion(outcome.serverVersionNum());
      stream.start(outcome.protocolVersion(), outcome.spillOwner());
      if (outcome.resync()) {
        backfill.startResync(tables.shapes(), c, clock);
      } else {
        // A new slot (or a temporary one) streams from now: progress of an earlier one is void.
        backfill.start(clock, outcome.created() || settings.temporarySlot());
      }
      admin.refreshStatus();
      activated = true;
    } catch (Exception e) {
      if (startup.createdSlotThisRun()) {
        startup.dropSlotAfterFailedStart(e);
      }
      throw e;
    }
  }

  public List<ChangeEvent> poll(int maxEvents, Duration maxWait) throws Exception {
    StandbyRole role = standby;
    if (role != null && !role.checkLease()) {
      checkOpen();
      if (!role.awaitActive(System.nanoTime() + Math.max(0, maxWait.toNanos()))) {
        return List.of();
      }
    }
    try {
      return pollStream(maxEvents, maxWait);
    } catch (SlotInvalidatedException e) {
      // What this call collected came from the lost slot; the backfill covers it.
      resyncOrThrow(e);
      return List.of();
    }
  }

  /** Resyncs after a loss found while running if so configured, else rethrows it. */
  private void resyncOrThrow(SlotInvalidatedException e) throws Exception {
    if (!settings.resyncOnSlotLoss() || settings.temporarySlot() || closed) {
      throw e;
    }
    // The slot was lost while running: changes are gone. Recreate it and backfill every table;
    // the stream resumes at the new slot's start, above every position returned so far.
    replication.close(false);
    stream.discard();
    startup.recreateSlot(admin.connection(), e);
    startup.recordStart(admin.connection());
    flush.reset();
    backfill.startResync(tables.shapes(), admin.connection(), clock);
    replication.reconnectNow();
  }

  private List<ChangeEvent> pollStream(int maxEvents, Duration maxWait) throws Exception {
    if (maxEvents < 1) {
      throw new IllegalArgumentException("maxEvents must be at least 1, was " + maxEvents);
    }
    Objects.requireNonNull(maxWait, "maxWait");
    checkOpen();
    long deadline = System.nanoTime() + Math.max(0, maxWait.toNanos());
    List<ChangeEvent> out = new ArrayList<>(Math.min(maxEvents, 1024));
    long idleParkNanos = TimeUnit.MICROSECONDS.toNanos(200);
    backfill.between(stream);
    admin.forgetVisibleCommits(replication.connected());
    while (true) {
      if (standby != null && standby.leaseLost()) {
        break; // stop reading at once: the next poll steps down
      }
      ChangeEvent next;
      while (out.size() < maxEvents && (next = stream.poll()) != null) {
        out.add(next);
      }
      if (out.size() >= maxEvents || closed) {
        break;
      }
      if (stream.releasing()) {
        try {
          stream.pumpRelease(maxEvents - out.size());
        } catch (RetriableException | SQLException | UncheckedIOException e) {
          disconnect(e);
        }
        continue;
      }
      if (!replication.connected()) {
        if (replication.reconnectDue()) {
          replication.tryReconnect(admin, admin::close);
          continue;
        }
        if (!out.isEmpty() || System.nanoTime() >= deadline) {
          break;
        }
        long until = Math.min(replication.nextAttemptNanos(), deadline);
        LockSupport.parkNanos(Math.max(0, Math.min(until - System.nanoTime(), 50_000_000L)));
        continue;
      }
      ByteBuffer message;
      try {
        message = replication.readPending();
      } catch (SQLException e) {
        disconnect(e);
        continue;
      }
      if (message != null) {
        idleParkNanos = TimeUnit.MICROSECONDS.toNanos(200);
        try {
          stream.handle(message);
        } catch (RetriableException | SQLException | IOException | UncheckedIOException e) {
          disconnect(e);
        }
        continue;
      }
      afterQuietRead();
      if (!out.isEmpty() || System.nanoTime() >= deadline) {
        break;
      }
      LockSupport.parkNanos(Math.min(idleParkNanos, Math.max(0, deadline - System.nanoTime())));
      idleParkNanos = Math.min(idleParkNanos * 2, TimeUnit.MILLISECONDS.toNanos(10));
    }
    return out;
  }

  /** The connection broke: what belongs to unfinished transactions is sent again after it. */
  private void disconnect(Exception cause) {
    replication.lost(cause);
    stream.discard();
  }

  public void commit(SourcePosition position) throws Exception {
    Objects.requireNonNull(position, "position");
    if (!(position instanceof LsnPosition p)) {
      throw new IllegalArgumentException("not a position of this source: " + position);
    }
    if (p.commitLsn() == 0) {
      return; // a repair read's position: confirms nothing
    }
    backfill.committed(p);
    long confirm = flush.committed(p);
    if (confirm >= 0) {
      advanceFlush(confirm);
    }
  }

  public void keepAlive() throws Exception {
    checkOpen();
    StandbyRole role = standby;
    if (role != null && !role.checkLease()) {
      role.awaitActive(System.nanoTime());
      return;
    }
    if (!replication.connected()) {
      if (replication.reconnectDue()) {
        try {
          replication.tryReconnect(admin, admin::close);
        } catch (SlotInvalidatedException e) {
          // A stalled index is when a slot is most likely lost: the pipeline is full and calls
          // only this, so the loss must be handled here as in poll, not only thrown.
          resyncOrThrow(e);
        }
      }
      return;
    }
    try {
      replication.sendStatus();
    } catch (SQLException e) {
      disconnect(e);
    }
  }

  /** The server's current WAL insert position (on a standby: the last replayed one). */
  public long headLsn() throws SQLException {
    try (Connection c = connections.reader();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
                    + " ELSE pg_current_wal_insert_lsn() END)::text")) {
      rs.next();
      return LsnPosition.parseLsn(rs.getString(1));
    }
  }

  /**
   * Whether everything up to {@code lsn} is committed: the position confirmed to the server as
   * flushed is at or past it, and no backfill is still running (its rows are part of "everything").
   */
  public boolean reached(long lsn) {
    return flush.flushed() >= lsn && backfill.idle();
  }

  public RepairReader repairReader() {
    return repairReader;
  }

  public Map<String, Object> statusDetails() {
    Map<String, Object> details = new LinkedHashMap<>();
    StandbyRole role = standby;
    if (role != null) {
      details.putAll(role.status());
    }
    details.putAll(admin.status());
    long flushed = flush.flushed();
    if (replication.reportedFailures() > 0) {
      details.put("reconnects", replication.reportedFailures());
    }
    if (unreadableChanges.get() > 0) {
      details.put("unreadableChanges", unreadableChanges.get());
    }
    if (startup.slotResyncs() > 0) {
      details.put("slotResyncs", startup.slotResyncs());
    }
    details.put("slot", settings.slotName());
    details.putAll(backfill.status());
    details.put("repairRereads", repairReader.rereads());
    details.put("toastRereads", stream.rereads());
    details.put("recentCommits", recent.size());
    details.put("publication", settings.publication());
    details.put("protocolVersion", protocolVersion);
    details.put("connected", replication.connected());
    details.put("confirmedFlushLsn", LsnPosition.formatLsn(flushed));
    long currentWal = Math.max(serverWalEnd, admin.serverWalLsn());
    details.put("serverWalLsn", LsnPosition.formatLsn(currentWal));
    long lagBytes = Math.max(0, currentWal - flushed);
    details.put("replicationLagBytes", lagBytes);
    Instant last = lastCommitTime;
    long lagMillis =
        lagBytes == 0 || last == null
            ? 0
            : Math.max(0, Duration.between(last, clock.instant()).toMillis());
    details.put("replicationLagMillis", lagMillis);
    Exception failure = replication.lastFailure();
    if (failure != null && !replication.connected()) {
      details.put("lastConnectionFailure", String.valueOf(failure.getMessage()));
    }
    return details;
  }

  public void close() throws Exception {
    if (closed) {
      return;
    }
    closed = true;
    replication.close(true);
    if (standby != null) {
      standby.close(); // after the stream: a successor need not terminate our walsender
    }
    stream.discard();
    repairReader.closeConnection();
    backfill.close();
    try {
      if (settings.dropSlotOnClose() && !settings.temporarySlot() && started) {
        startup.dropSlotWithRetry();
      }
    } finally {
      admin.close();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("source is closed");
    }
    if (!started) {
      throw new IllegalStateException("source not started");
    }
  }

  private void advanceFlush(long lsn) {
    if (flush.advance(lsn)) {
      replication.confirm(lsn);
    }
  }

  /** Nothing more to read for now: confirm the server's WAL end if nothing is in flight. */
  private void afterQuietRead() {
    long received = replication.lastReceived();
    if (received > serverWalEnd) {
      serverWalEnd = received;
    }
    if (stream.betweenTransactions() && received > 0) {
      // Between transactions with nothing pending: every commit below what was received is decoded.
      recent.decodedBelow(received);
    }
    backfill.between(stream);
    if (stream.readySize() == 0
        && stream.betweenTransactions()
        && flush.everythingSettled(stream.lastDecoded())) {
      advanceFlush(received);
    }
    long now = System.nanoTime();
    SQLException unanswered = null;
    if (now >= nextStatusRefreshNanos) {
      nextStatusRefreshNanos = now + STATUS_REFRESH.toNanos();
      unanswered = admin.refreshStatus();
    }
    if (unanswered == null && !settings.heartbeatInterval().isZero() && now >= nextHeartbeatNanos) {
      nextHeartbeatNanos = now + settings.heartbeatInterval().toNanos();
      unanswered = admin.heartbeat();
    }
    if (unanswered != null && replication.connected()) {
      // A silent server (a partition, a frozen host): a quiet stream on the same path proves
      // nothing. Reconnect; logins are bounded by the same timeout, so a lasting silence shows as
      // an outage instead of a source that looks idle forever.
      disconnect(
          new SQLException(
              "PostgreSQL did not answer within responseTimeout ("
                  + settings.responseTimeout()
                  + "): "
                  + unanswered.getMessage(),
              "08006",
              unanswered));
    }
  }

  /** What the assembler tells the source: transaction ends, quiet points, unreadable changes. */
  private final class StreamListener implements TransactionAssembler.Listener {
    @Override
    public void betweenTransactions() {
      backfill.between(stream);
    }

    @Override
    public void transactionEnd(@Nullable LsnPosition last, long endLsn, Instant commitTime) {
      lastCommitTime = commitTime;
      long confirm = flush.transactionEnd(last, stream.lastDecoded(), endLsn);
      if (confirm >= 0) {
        advanceFlush(confirm);
      }
    }

    @Override
    public void unreadable(
        DocumentKey key, Version version, LsnPosition position, UnreadableChange failure) {
      deadLetterUnreadable(key, version, position, failure);
    }
  }

  /**
   * Stores an unreadable change in the pipeline's dead-letter store (before any later event is
   * returned). A store failure stops the pipeline: it is not an outage of the stream.
   */
  private void deadLetterUnreadable(
      DocumentKey key, Version version, LsnPosition pos, UnreadableChange u) {
    SourceContext ctx = Objects.requireNonNull(context, "context");
    unreadableChanges.incrementAndGet();
    try {
      ctx.deadLetter(
          DeadLetter.unreadable(
              UUID.randomUUID().toString(),
              key,
              version,
              pos,
              u.columns(),
              u.errorType(),
              String.valueOf(u.getMessage()),
              clock.instant()));
    } catch (Exception e) {
      throw new DriftlessException(
          "could not dead-letter an unreadable change of "
              + key
              + " ("
              + u.getMessage()
              + "): "
              + e,
          e);
    }
  }
}
