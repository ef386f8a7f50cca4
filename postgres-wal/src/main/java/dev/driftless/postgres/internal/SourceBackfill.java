package dev.driftless.postgres.internal;

import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.postgres.BackfillSettings;
import dev.driftless.postgres.LsnPosition;
import java.sql.Connection;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source's backfill, as the source runs it: the configured one, or after a slot loss a resync
 * of every replicated table; where its progress is kept (the pipeline's checkpoint store when one
 * is configured, else table {@code driftless.backfill_progress} of the source database); and where
 * its chunks enter the stream (between two transactions, while the ready queue holds less than a
 * chunk). Confined to the source's poll thread, except {@link #status()}.
 */
final class SourceBackfill {
  private static final Logger LOG = LoggerFactory.getLogger(SourceBackfill.class);

  private final SourceSettings settings;
  private final SourceConnections connections;
  private final ColumnValueDecoder values;
  private final RecentCommits recent;
  private final Backfill.UnreadableRows unreadable;
  private volatile @Nullable Backfill backfill;
  private @Nullable SourceContext context;
  private @Nullable CheckpointStore progress;
  private @Nullable ProgressTable table;

  SourceBackfill(
      SourceSettings settings,
      SourceConnections connections,
      ColumnValueDecoder values,
      RecentCommits recent,
      Backfill.UnreadableRows unreadable) {
    this.settings = settings;
    this.connections = connections;
    this.values = values;
    this.recent = recent;
    this.unreadable = unreadable;
    BackfillSettings b = settings.backfill();
    this.backfill = b == null ? null : newBackfill(b);
  }

  private Backfill newBackfill(BackfillSettings b) {
    Backfill fill = new Backfill(b, connections::reader, values, recent);
    fill.onUnreadable(unreadable);
    fill.onProgress(
        p -> {
          SourceContext c = context;
          if (c != null) {
            c.backfillProgress(p);
          }
        });
    return fill;
  }

  /**
   * At start, before the source creates anything: checks the backfill's tables against the
   * replicated ones and resolves where progress is kept.
   */
  void prepare(Map<String, TableShape> shapes, SourceContext ctx, Connection admin)
      throws Exception {
    this.context = ctx;
    Backfill fill = backfill;
    if (fill != null) {
      fill.resolve(shapes);
      progress = progressStore(ctx, admin);
    } else {
      progress = ctx.checkpointStore(); // where a resync after slot loss keeps its progress
    }
  }

  /**
   * Saves "nothing done yet", durably, before the source creates a new slot: a crash from then on
   * finds no progress of an older slot.
   */
  void resetBeforeNewSlot() throws Exception {
    Backfill fill = backfill;
    if (fill != null) {
      fill.reset(Objects.requireNonNull(progress), name());
    }
  }

  /** Starts (or resumes) the configured backfill; {@code startOver} for a new slot. */
  void start(Clock clock, boolean startOver) throws Exception {
    Backfill fill = backfill;
    if (fill != null) {
      fill.start(Objects.requireNonNull(progress), name(), clock, startOver);
    }
  }

  /**
   * A backfill of every replicated table from the start, replacing any earlier progress: the slot
   * was lost and created again. Calls the context's {@code resynced} once done (the pipeline tells
   * its listeners).
   */
  void startResync(Map<String, TableShape> shapes, Connection admin, Clock clock) throws Exception {
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
    CheckpointStore store = progress;
    if (store == null) {
      store = progressStore(ctx, admin);
      progress = store;
    }
    b.onDone(ctx::resynced);
    b.start(store, name(), clock, true);
    backfill = b;
  }

  /**
   * The stream is between two transactions: hands over the held chunk (its positions fall between
   * theirs), and reads the next one while the ready queue holds less than a chunk, so that memory
   * stays bounded by about two chunks.
   */
  void between(TransactionAssembler stream) {
    Backfill b = backfill;
    if (b == null || !b.active() || stream.inTransaction()) {
      return;
    }
    if (!b.hasHeld() && stream.readySize() < b.chunkRows()) {
      b.maybeRead();
    }
    b.release(stream::insert, stream.lastDecoded());
  }

  /** The pipeline settled everything at or before {@code position}. */
  void committed(LsnPosition position) throws Exception {
    Backfill b = backfill;
    if (b != null) {
      b.committed(position);
    }
  }

  /** Whether no backfill is configured or running (any thread). */
  boolean idle() {
    Backfill b = backfill;
    return b == null || b.finished();
  }

  /** The backfill's status entries (none without a backfill). */
  Map<String, Object> status() {
    Backfill b = backfill;
    return b == null ? Map.of() : b.status();
  }

  void close() {
    Backfill b = backfill;
    if (b != null) {
      b.closeConnection();
    }
    ProgressTable t = table;
    if (t != null) {
      t.close();
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
    ProgressTable t = new ProgressTable(connections::admin, settings.slotName());
    t.prepare();
    table = t;
    return t;
  }

  private String name() {
    SourceContext ctx = Objects.requireNonNull(context, "context");
    return "postgres-backfill/" + ctx.pipelineName() + "/" + settings.slotName();
  }
}
