package dev.driftless.postgres.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.RetriableException;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.RepairReader;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.postgres.BackfillSettings;
import dev.driftless.postgres.LsnPosition;
import dev.driftless.postgres.PostgresSource;
import dev.driftless.postgres.SlotInvalidatedException;
import dev.driftless.postgres.internal.types.TypeRegistry;
import dev.driftless.postgres.internal.types.ValueDecoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.postgresql.replication.fluent.logical.ChainedLogicalStreamBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind {@link dev.driftless.postgres.PostgresSource}: its lifecycle and poll loop,
 * which drive the parts named in docs/architecture.md. Confined to the pipeline's poll thread
 * except {@link #statusDetails} and {@link #repairReader}.
 */
public final class WalSource {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresSource.class);
  private static final Duration STATUS_REFRESH = Duration.ofSeconds(5);

  private final SourceSettings settings;
  private final SourceConnections connections;
  private final PostgresRepairReader repairReader;
  private final Map<String, Object> status = new java.util.concurrent.ConcurrentHashMap<>();

  // --- poll-thread state ---
  private Clock clock = Clock.systemUTC();
  private boolean started;
  private volatile boolean closed;
  private int protocolVersion = 1;
  // PostgreSQL 17 can flush a logical message at once; before that it waits for the WAL writer.
  private String heartbeatSql = "SELECT pg_logical_emit_message(false, 'driftless-heartbeat', '')";
  private PgOutputDecoder decoder = new PgOutputDecoder(1);
  private @Nullable Connection admin;
  private @Nullable Connection replicationConnection;
  private @Nullable PGReplicationStream stream;
  private boolean temporarySlotCreated;
  private Map<String, TableShape> shapes = Map.of();
  private long nextConnectAttemptNanos;
  private Duration currentBackoff;
  private int consecutiveFailures;
  private @Nullable Exception lastConnectionFailure;

  private final Map<Integer, ReplicatedRelation> relations = new HashMap<>();
  private final Map<Long, Map<Integer, ReplicatedRelation>> streamRelations = new HashMap<>();
  private final List<ReplicatedRelation> relationHistory = new ArrayList<>();
  private final Map<Long, SpillFile> spills = new HashMap<>();
  private long currentStreamXid = -1;
  private @Nullable DecodedTransaction tx;
  private @Nullable Release release;
  private final ArrayDeque<ChangeEvent> ready = new ArrayDeque<>();

  private final FlushTracker flush = new FlushTracker();
  private @Nullable LsnPosition lastDecoded;
  private volatile long serverWalEnd;
  private volatile @Nullable Instant lastCommitTime;
  private long nextStatusRefreshNanos;
  private long nextHeartbeatNanos;

  private final ColumnValueDecoder values;
  private final ChangeConverter converter;
  // What the stream decoded recently: the version rule of repair reads and backfill chunks.
  private final RecentCommits recent = new RecentCommits();
  private volatile @Nullable Backfill backfill;
  private @Nullable SourceContext context;
  // Where the backfill keeps its progress (resolved at start), and the table if it is ours.
  private @Nullable CheckpointStore backfillProgress;
  private @Nullable ProgressTable progressTable;
  // Set once this run's pg_create_logical_replication_slot returned: a failure later in start
  // drops the slot again.
  private boolean createdSlotThisRun;
  // Names this source's spill files (slot and database), so that leftovers are recognised.
  private String spillOwner = "unstarted";
  private long nextForgetNanos;

  public WalSource(SourceSettings settings) {
    this.settings = settings;
    this.connections = new SourceConnections(settings.database(), settings.slotName());
    this.currentBackoff = settings.reconnectBackoffMin();
    this.values = typesDecoder(connections::reader);
    this.repairReader =
        new PostgresRepairReader(connections::reader, values, Clock.systemUTC(), recent);
    this.converter =
        new ChangeConverter(values, repairReader::readRowSeeing, new ConverterOutput());
    BackfillSettings b = settings.backfill();
    this.backfill = b == null ? null : newBackfill(b);
  }

  private Backfill newBackfill(BackfillSettings b) {
    Backfill backfill = new Backfill(b, connections::reader, values, recent);
    backfill.onUnreadable(
        (key, version, position, failure) ->
            deadLetterUnreadable(key, version, position, commitTimeNow(), failure));
    return backfill;
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

  // ------------------------------------------------------------------------------------------
  // ChangeSource

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
    Connection c;
    try {
      c = connections.admin();
    } catch (SQLException e) {
      throw new RetriableException("could not connect to PostgreSQL: " + e.getMessage(), e);
    }
    admin = c;
    try {
      startOn(c, context);
    } catch (Exception e) {
      if (createdSlotThisRun) {
        dropSlotAfterFailedStart(e);
      }
      throw e;
    }
  }

  /**
   * Validates everything that can be validated (server, role, tables, publication, backfill tables,
   * the progress store), and only then creates the publication and the slot, connects and starts
   * the backfill.
   */
  private void startOn(Connection c, SourceContext context) throws Exception {
    boolean resync = false;
    ReplicationSetup.checkServer(c);
    ReplicationSetup.checkRole(c);
    int versionNum = ReplicationSetup.serverVersionNum(c);
    int highest = versionNum >= 160000 ? 4 : versionNum >= 150000 ? 3 : 2;
    if (versionNum >= 170000) {
      heartbeatSql = "SELECT pg_logical_emit_message(false, 'driftless-heartbeat', '', true)";
    }
    protocolVersion =
        settings.protocolVersion() == 0 ? highest : Math.min(settings.protocolVersion(), highest);
    decoder = new PgOutputDecoder(protocolVersion);

    boolean publicationExists = ReplicationSetup.publicationExists(c, settings.publication());
    List<String> tables = replicatedTables(c, publicationExists);
    shapes = ReplicationSetup.describeTables(c, tables, settings.allowReplicaIdentityFull());
    repairReader.tables(shapes.values());
    Backfill fill = backfill;
    CheckpointStore progress = context.checkpointStore();
    if (fill != null) {
      fill.resolve(shapes);
      progress = progressStore(context, c);
    }
    backfillProgress = progress;
    if (!publicationExists) {
      ReplicationSetup.createPublication(c, settings.publication(), settings.tables());
    }

    boolean created = false;
    if (!settings.temporarySlot()) {
      Optional<ReplicationSetup.SlotState> slot = existingSlot(c);
      if (slot.isPresent()) {
        try {
          ReplicationSetup.checkSlot(c, settings.slotName(), slot.get());
        } catch (SlotInvalidatedException e) {
          if (!settings.resyncOnSlotLoss()) {
            throw e;
          }
          recreateSlot(c, e);
          resync = true;
        }
      } else if (settings.createSlot()) {
        if (fill != null) {
          // Before the slot exists: a crash from here on finds no progress of an older slot.
          fill.reset(progress, backfillName(context));
        }
        ReplicationSetup.createSlot(c, settings.slotName());
        createdSlotThisRun = true;
        created = true;
      } else {
        throw new DriftlessException(
            "replication slot '"
                + settings.slotName()
                + "' does not exist and createSlot is false: create it with SELECT"
                + " pg_create_logical_replication_slot('"
                + settings.slotName()
                + "', 'pgoutput')");
      }
    }
    // A walsender of a previous run may still hold the slot for a moment after it died.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (true) {
      try {
        connectReplication();
        break;
      } catch (SQLException e) {
        if (!"55006".equals(e.getSQLState()) || System.nanoTime() > deadline) {
          throw e;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      }
    }
    // The slot is ours now (one walsender at a time): no other process of this source is running,
    // so spill files named after it are leftovers of a killed one.
    spillOwner = settings.slotName() + "." + ReplicationSetup.databaseIdentity(c);
    int leftovers = SpillFile.deleteLeftovers(settings.spillDirectory(), spillOwner);
    if (leftovers > 0) {
      LOG.info(
          "deleted {} spill file(s) a previous run of slot {} left in {}",
          leftovers,
          settings.slotName(),
          settings.spillDirectory());
    }
    this.context = context;
    recordStart(c);
    if (resync) {
      startResyncBackfill();
    } else if (fill != null) {
      // A new slot (or a temporary one) streams from now: progress of an earlier one is void.
      fill.start(progress, backfillName(context), clock, created || settings.temporarySlot());
    }
    refreshStatus();
  }

  /**
   * Tells {@link #recent} where the stream starts (the slot's confirmed position: every commit
   * below it was written before now) and which transactions are running now.
   */
  private void recordStart(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT confirmed_flush_lsn::text, pg_current_snapshot()::text"
                + " FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, settings.slotName());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next() || rs.getString(1) == null) {
          throw new DriftlessException(
              "replication slot '" + settings.slotName() + "' has no confirmed position");
        }
        recent.startedWith(
            LsnPosition.parseLsn(rs.getString(1)), TxSnapshot.parse(rs.getString(2)));
      }
    }
  }

  /**
   * The slot if it exists. A slot still being created by a backend of this source whose client died
   * (killed while {@code pg_create_logical_replication_slot} waited for running transactions) is
   * not a slot yet: nothing was ever streamed from it. Its backend is terminated, which drops it,
   * and the slot counts as absent, to be created afresh.
   */
  private Optional<ReplicationSetup.SlotState> existingSlot(Connection c) throws SQLException {
    Optional<ReplicationSetup.SlotState> slot = ReplicationSetup.slot(c, settings.slotName());
    if (slot.isEmpty()) {
      return slot;
    }
    java.util.OptionalInt creator = ReplicationSetup.creatingBackend(c, settings.slotName());
    if (creator.isEmpty()) {
      return slot;
    }
    LOG.warn(
        "replication slot {} is still being created by backend {}, left by a run that died"
            + " during the creation; terminating it and creating the slot afresh",
        settings.slotName(),
        creator.getAsInt());
    ReplicationSetup.terminateBackend(c, creator.getAsInt());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      slot = ReplicationSetup.slot(c, settings.slotName());
      // Gone, or its creation completed meanwhile (then it has a confirmed position and is a slot
      // like any other). The terminated backend can leave pg_stat_activity before its half-made
      // slot is removed, so the backend's absence alone says nothing.
      if (slot.isEmpty() || slot.get().confirmedFlushLsn() != null) {
        return slot;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
    throw new DriftlessException(
        "replication slot '"
            + settings.slotName()
            + "' is still being created by backend "
            + creator.getAsInt()
            + ", which did not stop within 15 s of pg_terminate_backend");
  }

  /** Start failed after this run created the slot: drop it, so that it holds no WAL. */
  private void dropSlotAfterFailedStart(Exception cause) {
    closeReplication(false);
    try {
      dropSlotWithRetry();
      LOG.info(
          "start failed; dropped replication slot {} which it had created", settings.slotName());
    } catch (Exception e) {
      cause.addSuppressed(e);
    }
  }

  /**
   * Where the backfill keeps its progress: the configured checkpoint store, or, when the pipeline
   * has only its in-memory default, a table in the source database (durable without any setting).
   */
  private CheckpointStore progressStore(SourceContext ctx, Connection c) throws Exception {
    if (ctx.checkpointStoreConfigured()) {
      return ctx.checkpointStore();
    }
    if ("true".equals(ReplicationSetup.single(c, "SELECT pg_is_in_recovery()::text"))) {
      LOG.warn(
          "backfill progress of slot {} is kept in memory only: the database is a standby, where"
              + " the source cannot keep it, and the pipeline has no checkpointStore. Configure"
              + " one (FileCheckpointStore) so that a restart resumes the backfill.",
          settings.slotName());
      return ctx.checkpointStore();
    }
    ProgressTable table = new ProgressTable(connections::admin, settings.slotName());
    table.prepare();
    progressTable = table;
    return table;
  }

  private String backfillName(SourceContext ctx) {
    return "postgres-backfill/" + ctx.pipelineName() + "/" + settings.slotName();
  }

  /** Drops the invalidated slot and creates it again, at the server's current WAL position. */
  private void recreateSlot(Connection c, SlotInvalidatedException cause) throws SQLException {
    LOG.warn(
        "replication slot "
            + settings.slotName()
            + " was invalidated; resyncOnSlotLoss: recreating it and backfilling every table ("
            + cause.getMessage()
            + ")");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (true) {
      try {
        ReplicationSetup.dropSlot(c, settings.slotName());
        break;
      } catch (SQLException e) {
        // 55006: the walsender of the lost stream has not exited yet.
        if (!"55006".equals(e.getSQLState()) || System.nanoTime() > deadline) {
          throw e;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      }
    }
    ReplicationSetup.createSlot(c, settings.slotName());
    status.merge("slotResyncs", 1L, (a, b) -> (Long) a + (Long) b);
  }

  /** A backfill of every replicated table from the start, replacing any earlier progress. */
  private void startResyncBackfill() throws Exception {
    SourceContext ctx = Objects.requireNonNull(context, "context");
    Backfill old = backfill;
    if (old != null) {
      old.closeConnection();
    }
    BackfillSettings configured = settings.backfill();
    BackfillSettings all =
        new BackfillSettings(
            List.copyOf(shapes.keySet()),
            configured == null ? 1000 : configured.chunkRows(),
            configured == null ? 0 : configured.rowsPerSecond());
    Backfill b = newBackfill(all);
    b.resolve(shapes);
    CheckpointStore progress = backfillProgress;
    if (progress == null) {
      progress = progressStore(ctx, adminConnection());
      backfillProgress = progress;
    }
    b.onDone(
        () -> {
          settings.onResynced().run();
          ctx.resynced();
        });
    b.start(progress, backfillName(ctx), clock, true);
    backfill = b;
  }

  /**
   * The slot was lost while running: changes are gone. Recreate it and backfill every table; the
   * stream resumes at the new slot's start, above every position returned so far.
   */
  private void resyncAfterLoss(SlotInvalidatedException cause) throws Exception {
    closeReplication(false);
    discardStreamingState();
    recreateSlot(adminConnection(), cause);
    recordStart(adminConnection());
    flush.reset();
    startResyncBackfill();
    nextConnectAttemptNanos = 0;
  }

  /**
   * The tables to replicate: the configured ones, which an existing publication must publish, or
   * every table the publication publishes (except the source's own schema). Creates nothing.
   */
  private List<String> replicatedTables(Connection c, boolean publicationExists)
      throws SQLException {
    String publication = settings.publication();
    if (!publicationExists) {
      if (settings.tables().isEmpty()) {
        throw new DriftlessException(
            "publication '"
                + publication
                + "' does not exist and no tables are configured: create it (CREATE PUBLICATION "
                + TableShape.quote(publication)
                + " FOR TABLE ...) or configure tables(...)");
      }
      if (!settings.createPublication()) {
        throw new DriftlessException(
            "publication '" + publication + "' does not exist and createPublication is false");
      }
      return settings.tables();
    }
    List<String> published = new ArrayList<>(ReplicationSetup.publishedTables(c, publication));
    if (settings.tables().isEmpty()) {
      // A publication FOR ALL TABLES also publishes the backfill progress table.
      published.removeIf(t -> t.startsWith(ProgressTable.SCHEMA + "."));
      if (published.isEmpty()) {
        throw new DriftlessException("publication '" + publication + "' publishes no table");
      }
      return published;
    }
    for (String table : settings.tables()) {
      if (!published.contains(table)) {
        throw new DriftlessException(
            "publication '"
                + publication
                + "' does not publish table "
                + table
                + ": ALTER PUBLICATION "
                + TableShape.quote(publication)
                + " ADD TABLE "
                + table);
      }
    }
    return settings.tables();
  }

  public List<ChangeEvent> poll(int maxEvents, Duration maxWait) throws Exception {
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
    resyncAfterLoss(e);
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
    releaseBackfill();
    forgetVisibleCommits();
    while (true) {
      while (out.size() < maxEvents && !ready.isEmpty()) {
        out.add(ready.poll());
      }
      if (out.size() >= maxEvents || closed) {
        break;
      }
      if (release != null) {
        try {
          pumpRelease(maxEvents - out.size());
        } catch (RetriableException | SQLException | UncheckedIOException e) {
          disconnect(e);
        }
        continue;
      }
      PGReplicationStream s = stream;
      if (s == null) {
        if (System.nanoTime() >= nextConnectAttemptNanos) {
          tryReconnect();
          continue;
        }
        if (out.isEmpty() && ready.isEmpty() && consecutiveFailures > 1) {
          // The server cannot be reached (the connection was lost and a reconnect attempt failed
          // too; a lost connection alone is retried here first): an outage the pipeline
          // must see, so that it reports it and its outageDeadline applies. The next poll tries
          // again (this source's own backoff still spaces the attempts).
          Exception cause = lastConnectionFailure;
          throw new RetriableException(
              "PostgreSQL unreachable ("
                  + (consecutiveFailures - 1)
                  + " reconnect attempts failed): "
                  + (cause == null ? "" : cause.getMessage()),
              cause);
        }
        if (!out.isEmpty() || System.nanoTime() >= deadline) {
          break;
        }
        long until = Math.min(nextConnectAttemptNanos, deadline);
        LockSupport.parkNanos(Math.max(0, Math.min(until - System.nanoTime(), 50_000_000L)));
        continue;
      }
      ByteBuffer message;
      try {
        message = s.readPending();
      } catch (SQLException e) {
        disconnect(e);
        continue;
      }
      if (message != null) {
        idleParkNanos = TimeUnit.MICROSECONDS.toNanos(200);
        try {
          handle(message);
        } catch (RetriableException | SQLException | IOException | UncheckedIOException e) {
          disconnect(e);
        }
        continue;
      }
      afterQuietRead(s);
      if (!out.isEmpty() || System.nanoTime() >= deadline) {
        break;
      }
      LockSupport.parkNanos(Math.min(idleParkNanos, Math.max(0, deadline - System.nanoTime())));
      idleParkNanos = Math.min(idleParkNanos * 2, TimeUnit.MILLISECONDS.toNanos(10));
    }
    return out;
  }

  public void commit(SourcePosition position) throws Exception {
    Objects.requireNonNull(position, "position");
    if (!(position instanceof LsnPosition p)) {
      throw new IllegalArgumentException("not a position of this source: " + position);
    }
    if (p.commitLsn() == 0) {
      return; // a repair read's position: confirms nothing
    }
    Backfill b = backfill;
    if (b != null) {
      b.committed(p);
    }
    long confirm = flush.committed(p);
    if (confirm >= 0) {
      advanceFlush(confirm);
    }
  }

  public void keepAlive() throws Exception {
    checkOpen();
    PGReplicationStream s = stream;
    if (s == null) {
      if (System.nanoTime() >= nextConnectAttemptNanos) {
        try {
          tryReconnect();
        } catch (SlotInvalidatedException e) {
          // A stalled index is when a slot is most likely lost: the pipeline is full and calls
          // only this, so the loss must be handled here as in poll, not only thrown.
          resyncOrThrow(e);
        }
      }
      return;
    }
    try {
      s.forceUpdateStatus();
    } catch (SQLException e) {
      disconnect(e);
    }
  }

  public RepairReader repairReader() {
    return repairReader;
  }

  public Map<String, Object> statusDetails() {
    Map<String, Object> details = new LinkedHashMap<>(status);
    long flushed = flush.flushed();
    long walEnd = serverWalEnd;
    details.put("slot", settings.slotName());
    Backfill b = backfill;
    if (b != null) {
      details.putAll(b.status());
    }
    details.put("repairRereads", repairReader.rereads());
    details.put("toastRereads", converter.rereads());
    details.put("recentCommits", recent.size());
    details.put("publication", settings.publication());
    details.put("protocolVersion", protocolVersion);
    details.put("connected", stream != null);
    details.put("confirmedFlushLsn", LsnPosition.formatLsn(flushed));
    long currentWal = walEnd;
    Object serverLsn = status.get("serverWalLsnValue");
    if (serverLsn instanceof Long l) {
      currentWal = Math.max(currentWal, l);
    }
    details.remove("serverWalLsnValue");
    details.put("serverWalLsn", LsnPosition.formatLsn(currentWal));
    long lagBytes = Math.max(0, currentWal - flushed);
    details.put("replicationLagBytes", lagBytes);
    Instant last = lastCommitTime;
    long lagMillis =
        lagBytes == 0 || last == null
            ? 0
            : Math.max(0, Duration.between(last, clock.instant()).toMillis());
    details.put("replicationLagMillis", lagMillis);
    Exception failure = lastConnectionFailure;
    if (failure != null && stream == null) {
      details.put("lastConnectionFailure", String.valueOf(failure.getMessage()));
    }
    return details;
  }

  public void close() throws Exception {
    if (closed) {
      return;
    }
    closed = true;
    closeReplication(true);
    discardStreamingState();
    repairReader.closeConnection();
    if (backfill != null) {
      backfill.closeConnection();
    }
    ProgressTable table = progressTable;
    if (table != null) {
      table.close();
    }
    Connection c = admin;
    admin = null;
    try {
      if (settings.dropSlotOnClose() && !settings.temporarySlot() && started) {
        dropSlotWithRetry();
      }
    } finally {
      closeQuietly(c);
    }
  }

  private void dropSlotWithRetry() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    try (Connection c = connections.admin()) {
      while (true) {
        try {
          ReplicationSetup.dropSlot(c, settings.slotName());
          return;
        } catch (SQLException e) {
          // 55006: the walsender we just left has not exited yet.
          if (!"55006".equals(e.getSQLState()) || System.nanoTime() > deadline) {
            throw e;
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Connections

  private void connectReplication() throws SQLException {
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
              lastConnectionFailure);
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
      if (flush.flushed() > 0) {
        builder.withStartPosition(LogSequenceNumber.valueOf(flush.flushed()));
      }
      PGReplicationStream s = builder.start();
      replicationConnection = conn;
      stream = s;
      if (flush.flushed() > 0) {
        s.setFlushedLSN(LogSequenceNumber.valueOf(flush.flushed()));
        s.setAppliedLSN(LogSequenceNumber.valueOf(flush.flushed()));
      }
    } catch (SQLException e) {
      closeQuietly(conn);
      throw classifyStartFailure(e);
    } catch (RuntimeException e) {
      closeQuietly(conn);
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

  private void tryReconnect() throws Exception {
    try {
      if (!settings.temporarySlot()) {
        Connection c = adminConnection();
        Optional<ReplicationSetup.SlotState> slot = ReplicationSetup.slot(c, settings.slotName());
        if (slot.isEmpty()) {
          throw SlotInvalidatedException.of(settings.slotName(), "it no longer exists", null);
        }
        ReplicationSetup.checkNotLost(settings.slotName(), slot.get());
      }
      connectReplication();
      LOG.info(
          "replication slot {} reconnected at {}",
          settings.slotName(),
          LsnPosition.formatLsn(flush.flushed()));
      consecutiveFailures = 0;
      currentBackoff = settings.reconnectBackoffMin();
    } catch (SQLException e) {
      closeAdmin();
      scheduleReconnect(e);
    }
  }

  private void disconnect(Exception cause) {
    LOG.warn(
        "replication connection of slot " + settings.slotName() + " lost; reconnecting: " + cause);
    closeReplication(false);
    discardStreamingState();
    scheduleReconnect(cause);
  }

  private void scheduleReconnect(Exception cause) {
    lastConnectionFailure = cause;
    consecutiveFailures++;
    long base = currentBackoff.toNanos();
    long jitter = ThreadLocalRandom.current().nextLong(Math.max(1, base / 4));
    nextConnectAttemptNanos = System.nanoTime() + base + jitter;
    Duration doubled = currentBackoff.multipliedBy(2);
    currentBackoff =
        doubled.compareTo(settings.reconnectBackoffMax()) > 0
            ? settings.reconnectBackoffMax()
            : doubled;
    status.put("reconnects", consecutiveFailures);
  }

  private void closeReplication(boolean graceful) {
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
    Connection c = replicationConnection;
    replicationConnection = null;
    closeQuietly(c);
  }

  /** Forgets whatever belongs to transactions not yet complete; the server sends them again. */
  private void discardStreamingState() {
    decoder.reset();
    for (SpillFile f : spills.values()) {
      f.close();
    }
    spills.clear();
    streamRelations.clear();
    currentStreamXid = -1;
    DecodedTransaction t = tx;
    tx = null;
    if (t != null) {
      decodedTx(t); // partly: what it touched so far still counts for the race rule
    }
    Release r = release;
    release = null;
    if (r != null) {
      decodedTx(r.tx());
      r.spill().close();
    }
    relations.clear();
  }

  private Connection adminConnection() throws SQLException {
    Connection c = admin;
    if (c == null || c.isClosed()) {
      c = connections.admin();
      admin = c;
    }
    return c;
  }

  private void closeAdmin() {
    Connection c = admin;
    admin = null;
    closeQuietly(c);
  }

  private static void closeQuietly(@Nullable Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // nothing left to do with a broken connection
      }
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

  // ------------------------------------------------------------------------------------------
  // Flush tracking

  private void advanceFlush(long lsn) {
    if (!flush.advance(lsn)) {
      return;
    }
    PGReplicationStream s = stream;
    if (s != null) {
      s.setFlushedLSN(LogSequenceNumber.valueOf(lsn));
      s.setAppliedLSN(LogSequenceNumber.valueOf(lsn));
    }
  }

  /** A transaction ended; {@code lastOfTx} is its last event, or null if it had none. */
  private void transactionEnd(@Nullable LsnPosition lastOfTx, long endLsn, Instant commitTime) {
    lastCommitTime = commitTime;
    long confirm = flush.transactionEnd(lastOfTx, lastDecoded, endLsn);
    if (confirm >= 0) {
      advanceFlush(confirm);
    }
  }

  /** Nothing more to read for now: confirm the server's WAL end if nothing is in flight. */
  private void afterQuietRead(PGReplicationStream s) throws Exception {
    long received = s.getLastReceiveLSN().asLong();
    if (received > serverWalEnd) {
      serverWalEnd = received;
    }
    if (tx == null && release == null && currentStreamXid == -1 && received > 0) {
      // Between transactions with nothing pending: every commit below what was received is decoded.
      recent.decodedBelow(received);
    }
    releaseBackfill();
    if (ready.isEmpty()
        && release == null
        && tx == null
        && currentStreamXid == -1
        && flush.everythingSettled(lastDecoded)) {
      advanceFlush(received);
    }
    long now = System.nanoTime();
    if (now >= nextStatusRefreshNanos) {
      nextStatusRefreshNanos = now + STATUS_REFRESH.toNanos();
      refreshStatus();
    }
    if (!settings.heartbeatInterval().isZero() && now >= nextHeartbeatNanos) {
      nextHeartbeatNanos = now + settings.heartbeatInterval().toNanos();
      heartbeat();
    }
  }

  /**
   * Every two seconds, lets {@link #recent} forget the transactions a new snapshot sees (so that it
   * stays small while the stream is busy and never quiet).
   */
  private void forgetVisibleCommits() {
    long now = System.nanoTime();
    if (now < nextForgetNanos || recent.size() == 0 || stream == null) {
      return; // nothing to forget, or disconnected: no admin connection attempt on every poll
    }
    nextForgetNanos = now + TimeUnit.SECONDS.toNanos(2);
    try (Statement st = adminConnection().createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_snapshot()::text")) {
      if (rs.next()) {
        recent.forgetVisible(TxSnapshot.parse(rs.getString(1)));
      }
    } catch (SQLException e) {
      closeAdmin(); // best effort: tried again in two seconds
    }
  }

  private void refreshStatus() {
    try {
      Connection c = adminConnection();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT pg_current_wal_lsn()::text, restart_lsn::text, confirmed_flush_lsn::text,"
                  + " wal_status FROM pg_replication_slots WHERE slot_name = ?")) {
        ps.setString(1, settings.slotName());
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            long current = LsnPosition.parseLsn(rs.getString(1));
            String restart = rs.getString(2);
            String walStatus = rs.getString(4);
            status.put("serverWalLsnValue", current);
            if (restart != null) {
              status.put("walRetainedBytes", Math.max(0, current - LsnPosition.parseLsn(restart)));
            }
            if (rs.getString(3) != null) {
              status.put("slotConfirmedFlushLsn", rs.getString(3));
            }
            if (walStatus != null) {
              status.put("walStatus", walStatus);
              if ("lost".equals(walStatus)) {
                throw SlotInvalidatedException.of(settings.slotName());
              }
            }
          }
        }
      }
    } catch (SQLException e) {
      closeAdmin(); // status is best effort; the replication connection reports real outages
    }
  }

  private void heartbeat() {
    try (Statement s = adminConnection().createStatement()) {
      s.execute(heartbeatSql);
    } catch (SQLException e) {
      closeAdmin();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Decoding

  /** Records what a decoded transaction changed, for the version rule of reads. */
  private void decodedTx(DecodedTransaction t) {
    recent.decoded(t.xid, t.commitLsn, t.touched, t.truncated);
  }

  /**
   * Between two transactions: hands the held backfill chunk to the stream (its positions fall
   * between theirs), and reads the next one while the ready queue holds less than a chunk, so that
   * memory stays bounded by about two chunks.
   */
  private void releaseBackfill() {
    Backfill b = backfill;
    if (b == null || !b.active() || tx != null || release != null) {
      return;
    }
    if (!b.hasHeld() && ready.size() < b.chunkRows()) {
      b.maybeRead();
    }
    b.release(
        e -> {
          ready.add(e);
          lastDecoded = (LsnPosition) e.position();
        },
        lastDecoded);
  }

  private record Release(
      SpillFile spill,
      Iterator<SpillFile.Record> records,
      DecodedTransaction tx,
      long endLsn,
      long xid) {}

  private void handle(ByteBuffer message) throws Exception {
    boolean streamedChange = decoder.inStreamBlock();
    PgOutputMessage m = decoder.decode(message, null);
    if (m instanceof PgOutputMessage.Begin b) {
      // Commits come in LSN order: a transaction at or past the chunk's LSN means all below it
      // are decoded; the chunk goes first.
      releaseBackfill();
      tx = new DecodedTransaction(b.finalLsn(), b.commitTime(), b.xid());
    } else if (m instanceof PgOutputMessage.Commit c) {
      DecodedTransaction t = tx;
      tx = null;
      if (t != null) {
        decodedTx(t);
      }
      transactionEnd(t == null ? null : t.last, c.endLsn(), c.commitTime());
    } else if (m instanceof PgOutputMessage.Relation r) {
      ReplicatedRelation entry = relationEntry(r.withoutXid());
      if (streamedChange) {
        streamRelations.computeIfAbsent(currentStreamXid, k -> new HashMap<>()).put(r.oid(), entry);
      } else {
        relations.put(r.oid(), entry);
      }
    } else if (m instanceof PgOutputMessage.Type t) {
      values.invalidate(t.oid());
    } else if (m instanceof PgOutputMessage.LogicalMessage lm) {
      // Carries no rows; a non-transactional one (a heartbeat) tells how far the stream is.
      if (!lm.transactional()) {
        releaseBackfill();
      }
    } else if (m instanceof PgOutputMessage.Origin) {
      // Nothing to index: origins name where a change came from, messages carry no rows.
    } else if (m instanceof PgOutputMessage.StreamStart st) {
      currentStreamXid = st.xid();
      if (!spills.containsKey(st.xid())) {
        spills.put(st.xid(), new SpillFile(settings.spillDirectory(), spillOwner, st.xid()));
      }
    } else if (m instanceof PgOutputMessage.StreamStop) {
      SpillFile f = spills.get(currentStreamXid);
      if (f != null) {
        f.flush();
      }
      currentStreamXid = -1;
    } else if (m instanceof PgOutputMessage.StreamCommit sc) {
      SpillFile f = spills.remove(sc.xid());
      releaseBackfill();
      DecodedTransaction t = new DecodedTransaction(sc.commitLsn(), sc.commitTime(), sc.xid());
      // The server counts relations announced in a committed streamed transaction as announced
      // for the whole session, and does not repeat them for later transactions.
      Map<Integer, ReplicatedRelation> announced = streamRelations.get(sc.xid());
      if (announced != null) {
        relations.putAll(announced);
      }
      if (f == null) {
        streamRelations.remove(sc.xid());
        recent.decoded(sc.xid(), sc.commitLsn(), Set.of(), Set.of());
        transactionEnd(null, sc.endLsn(), sc.commitTime());
      } else {
        release = new Release(f, f.read(), t, sc.endLsn(), sc.xid());
      }
    } else if (m instanceof PgOutputMessage.StreamAbort sa) {
      if (sa.xid() == sa.subXid()) {
        SpillFile f = spills.remove(sa.xid());
        if (f != null) {
          f.close();
        }
        streamRelations.remove(sa.xid());
      } else {
        SpillFile f = spills.get(sa.xid());
        if (f != null) {
          f.abortSubtransaction(sa.subXid());
        }
      }
    } else if (m instanceof PgOutputMessage.Insert i) {
      change(i, i.relationOid(), i.xid(), streamedChange, message);
    } else if (m instanceof PgOutputMessage.Update u) {
      change(u, u.relationOid(), u.xid(), streamedChange, message);
    } else if (m instanceof PgOutputMessage.Delete d) {
      change(d, d.relationOid(), d.xid(), streamedChange, message);
    } else if (m instanceof PgOutputMessage.Truncate t) {
      if (streamedChange) {
        spill(t.xid(), -1, message);
      } else {
        truncate(t, requireTx(), relations);
      }
    }
  }

  private void change(
      PgOutputMessage m, int relationOid, long xid, boolean streamed, ByteBuffer raw)
      throws Exception {
    if (streamed) {
      ReplicatedRelation entry = lookupRelation(relationOid, currentStreamXid);
      if (entry.shape() != null) {
        spill(xid, entry.historyIndex(), raw);
      }
    } else {
      converter.convert(lookupRelation(relationOid, -1), m, requireTx());
    }
  }

  private void spill(long subXid, int relationIndex, ByteBuffer raw) throws IOException {
    SpillFile f = spills.get(currentStreamXid);
    if (f == null) {
      throw new DriftlessException(
          "streamed change for transaction " + currentStreamXid + " outside a STREAM START");
    }
    f.append(subXid, relationIndex, raw);
  }

  private DecodedTransaction requireTx() {
    DecodedTransaction t = tx;
    if (t == null) {
      throw new DriftlessException("change received outside a transaction (protocol error)");
    }
    return t;
  }

  private ReplicatedRelation lookupRelation(int oid, long streamXid) {
    ReplicatedRelation entry = null;
    if (streamXid != -1) {
      Map<Integer, ReplicatedRelation> own = streamRelations.get(streamXid);
      entry = own == null ? null : own.get(oid);
    }
    if (entry == null) {
      entry = relations.get(oid);
    }
    if (entry == null) {
      throw new DriftlessException("change for relation " + oid + " before its RELATION message");
    }
    return entry;
  }

  private ReplicatedRelation relationEntry(PgOutputMessage.Relation r) throws SQLException {
    for (int i = relationHistory.size() - 1; i >= 0; i--) {
      ReplicatedRelation known = relationHistory.get(i);
      if (known.relation().equals(r)) {
        return known;
      }
    }
    String qualified = r.namespace() + "." + r.name();
    String collection = TableShape.collectionOf(r.namespace(), r.name());
    TableShape shape = null;
    int @Nullable [] keyIndexes = new int[0];
    String unkeyable = null;
    boolean replicated = settings.tables().isEmpty() || settings.tables().contains(qualified);
    if (replicated) {
      shape = shapes.get(qualified);
      keyIndexes = shape == null ? null : keyIndexes(shape, r);
      if (shape == null || keyIndexes == null) {
        // A table new to the publication, or whose key changed: ask the catalog now. What makes a
        // table unusable was refused at start; found now, mid-stream, its changes are isolated
        // (dead-lettered with the reason) rather than stopping the stream.
        try {
          shape =
              ReplicationSetup.describe(
                      adminConnection(),
                      r.namespace(),
                      r.name(),
                      settings.allowReplicaIdentityFull())
                  .orElseThrow(() -> new DriftlessException("table " + qualified + " vanished"));
          Map<String, TableShape> updated = new LinkedHashMap<>(shapes);
          updated.put(qualified, shape);
          shapes = updated;
          repairReader.tables(shapes.values());
          keyIndexes = keyIndexes(shape, r);
          if (keyIndexes == null) {
            unkeyable =
                "the key columns "
                    + shape.keyColumns()
                    + " of "
                    + qualified
                    + " are not replicated (a publication column list leaves them out)";
          }
        } catch (DriftlessException e) {
          unkeyable = e.getMessage();
          shape = new TableShape(r.namespace(), r.name(), List.of(), r.replicaIdentity());
        }
        if (unkeyable != null) {
          LOG.error(
              "changes of " + qualified + " cannot be keyed; each is dead-lettered: " + unkeyable);
        }
      }
    }
    List<RowDocument.Column> documentColumns = new ArrayList<>(r.columns().size());
    for (PgOutputMessage.Column col : r.columns()) {
      documentColumns.add(new RowDocument.Column(col.name(), col.typeOid(), col.typmod()));
    }
    ReplicatedRelation entry =
        new ReplicatedRelation(
            r,
            relationHistory.size(),
            shape,
            keyIndexes == null ? new int[0] : keyIndexes,
            collection,
            unkeyable,
            List.copyOf(documentColumns));
    relationHistory.add(entry);
    return entry;
  }

  private static int @Nullable [] keyIndexes(TableShape shape, PgOutputMessage.Relation r) {
    int[] indexes = new int[shape.keyColumns().size()];
    for (int k = 0; k < indexes.length; k++) {
      indexes[k] = -1;
      for (int c = 0; c < r.columns().size(); c++) {
        if (r.columns().get(c).name().equals(shape.keyColumns().get(k))) {
          indexes[k] = c;
        }
      }
      if (indexes[k] < 0) {
        return null;
      }
    }
    return indexes;
  }

  private void pumpRelease(int room) throws Exception {
    Release r = Objects.requireNonNull(release);
    int produced = 0;
    // Each record makes at most two events; stop once the caller's room is used.
    while (produced < Math.max(1, room) && r.records().hasNext()) {
      SpillFile.Record rec = r.records().next();
      int before = ready.size();
      PgOutputMessage m = decoder.decode(rec.message(), true);
      if (m instanceof PgOutputMessage.Truncate t) {
        Map<Integer, ReplicatedRelation> view = new HashMap<>(relations);
        Map<Integer, ReplicatedRelation> own = streamRelations.get(r.xid());
        if (own != null) {
          view.putAll(own);
        }
        truncate(t, r.tx(), view);
      } else {
        converter.convert(relationHistory.get(rec.relationIndex()), m, r.tx());
      }
      produced += ready.size() - before;
    }
    if (!r.records().hasNext()) {
      release = null;
      r.spill().close();
      streamRelations.remove(r.xid());
      decodedTx(r.tx());
      transactionEnd(r.tx().last, r.endLsn(), r.tx().commitTime);
    }
  }

  private void truncate(
      PgOutputMessage.Truncate t,
      DecodedTransaction current,
      Map<Integer, ReplicatedRelation> view) {
    for (int oid : t.relationOids()) {
      ReplicatedRelation entry = view.get(oid);
      if (entry == null || entry.shape() == null) {
        continue;
      }
      switch (settings.truncateMode()) {
        case IGNORE -> {}
        case FAIL ->
            throw new DriftlessException(
                "table "
                    + entry.shape().qualifiedName()
                    + " was truncated (commit LSN "
                    + LsnPosition.formatLsn(current.commitLsn)
                    + ") and truncateMode is FAIL: resync collection '"
                    + entry.collection()
                    + "' and restart");
        case REMOVE_DOCUMENTS -> {
          LsnPosition pos = nextPosition(current);
          if (pos != null) {
            emit(
                ChangeEvent.truncate(
                    entry.collection(), Version.of(current.commitLsn), pos, current.commitTime),
                current);
          }
        }
      }
    }
  }

  /** The next position of {@code t}, or null if it was already emitted before a reconnect. */
  private @Nullable LsnPosition nextPosition(DecodedTransaction t) {
    LsnPosition pos = new LsnPosition(t.commitLsn, t.sequence++);
    LsnPosition decoded = lastDecoded;
    return decoded != null && pos.compareTo(decoded) <= 0 ? null : pos;
  }

  private void emit(ChangeEvent event, DecodedTransaction t) {
    LsnPosition pos = (LsnPosition) event.position();
    t.touch(event);
    ready.add(event);
    lastDecoded = pos;
    t.last = pos;
  }

  /** What the change converter needs of the source: positions, the ready queue, dead letters. */
  private final class ConverterOutput implements ChangeConverter.Output {
    @Override
    public @Nullable LsnPosition nextPosition(DecodedTransaction t) {
      return WalSource.this.nextPosition(t);
    }

    @Override
    public void emit(ChangeEvent event, DecodedTransaction t) {
      WalSource.this.emit(event, t);
    }

    @Override
    public void unreadable(
        DocumentKey key,
        Version version,
        LsnPosition pos,
        DecodedTransaction t,
        UnreadableChange failure) {
      deadLetterUnreadable(key, version, pos, t.commitTime, failure);
      // Settled as dead-lettered: remembered like an emitted change, so that reads wait for its
      // transaction to be visible too.
      t.touch(ChangeEvent.delete(key, version, pos, t.commitTime));
      lastDecoded = pos;
      t.last = pos;
    }
  }

  /**
   * Stores an unreadable change in the pipeline's dead-letter store (before any later event is
   * returned). A store failure stops the pipeline: it is not an outage of the stream.
   */
  private void deadLetterUnreadable(
      DocumentKey key, Version version, LsnPosition pos, Instant committedAt, UnreadableChange u) {
    SourceContext ctx = Objects.requireNonNull(context, "context");
    status.merge("unreadableChanges", 1L, (a, b) -> (Long) a + (Long) b);
    try {
      ctx.deadLetter(
          dev.driftless.core.DeadLetter.unreadable(
              java.util.UUID.randomUUID().toString(),
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

  /** The commit time a backfill row's dead letter carries: none of its own, so now. */
  private Instant commitTimeNow() {
    return clock.instant();
  }
}
