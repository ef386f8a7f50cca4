package dev.driftless.postgres;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.ChangeSource;
import dev.driftless.core.spi.RepairReader;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.postgres.internal.SourceSettings;
import dev.driftless.postgres.internal.WalSource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link ChangeSource} that follows a PostgreSQL database through logical replication with the
 * built-in {@code pgoutput} plugin, decoding the protocol itself (versions 1 to 4, the highest the
 * server offers).
 *
 * <h2>Versions and positions</h2>
 *
 * <p>Every change's {@link Version} is the commit LSN of its transaction, so changes of one key in
 * one transaction share it and the last of them wins by per-key order. Positions are {@link
 * LsnPosition}s. {@link #commit} confirms to the server (as the slot's flush LSN) only what is
 * settled: the end of every fully settled transaction, or, inside a transaction, the point just
 * before it (the transaction is then received again after a restart). When everything received is
 * settled, the server's reported WAL end is confirmed, so an idle source does not hold back WAL.
 *
 * <h2>Memory</h2>
 *
 * <p>Changes of an ordinary transaction are returned as they arrive, never collected. A large
 * transaction the server streams while in progress is written to a spill file per transaction and
 * read back only at its STREAM COMMIT; an aborted one (or an aborted subtransaction) emits nothing.
 * Heap use is therefore bounded by {@code maxEvents} of {@link #poll}, not by transaction size.
 *
 * <h2>TOAST and TRUNCATE</h2>
 *
 * <p>An update that leaves a large (TOASTed) value unchanged does not carry it; the source then
 * takes it from the old row (REPLICA IDENTITY FULL) or re-reads the current row, and never emits a
 * document lacking the value. TRUNCATE is handled per {@link TruncateMode}.
 *
 * <h2>Threading and failures</h2>
 *
 * <p>{@link #start}, {@link #poll}, {@link #commit}, {@link #keepAlive} come from the pipeline's
 * poll thread; {@link #statusDetails()} and the {@link #repairReader()} from any thread. A lost
 * connection (server restart, terminated walsender, network) is reconnected inside {@code poll},
 * the attempts spaced by the pipeline's outage policy ({@link SourceContext#outagePolicy()}),
 * resuming from the slot without loss; a loss that a reconnect does not mend is reported with
 * {@link SourceContext#outageStarted} (and its end with {@link SourceContext#outageEnded}), so that
 * the pipeline's {@code outageDeadline} applies. An invalidated slot fails with {@link
 * SlotInvalidatedException}: a full resync is needed (done by the source itself with {@link
 * PostgresSourceBuilder#resyncOnSlotLoss}).
 *
 * <h2>Several instances and failover</h2>
 *
 * <p>With {@link PostgresSourceBuilder#standby} several instances share the slot: one reads, the
 * others wait in {@link #poll} (returning nothing) until the active one dies or is cut off, and one
 * of them takes over within {@link PostgresSourceBuilder#takeoverTimeout}. On PostgreSQL 17+ the
 * slot is a failover slot ({@link PostgresSourceBuilder#failoverSlot}), so that a standby server
 * configured for it keeps it across a database failover; a multi-host URL connects to the primary.
 * See docs/postgres.md, "Standby instances" and "Failover".
 *
 * <h2>Backfill and repair</h2>
 *
 * <p>With {@link PostgresSourceBuilder#backfill} the source copies the current rows of tables while
 * streaming: key-ordered chunks, each read in one read-only transaction with its snapshot and WAL
 * LSN, held until the stream has passed that LSN, then emitted at it, minus keys of transactions
 * the snapshot missed although they committed before it (their own events carry them). Progress is
 * saved once settled: in the pipeline's checkpoint store if one is configured, otherwise in table
 * {@code driftless.backfill_progress} of the source database, so that a restart resumes it. The
 * {@link #repairReader()} gives rows a version from the same snapshot rule and retries a snapshot
 * that could have raced a commit. See docs/postgres.md, "Backfill and repair".
 */
public final class PostgresSource implements ChangeSource {

  /** What the source does when a replicated table is truncated. */
  public enum TruncateMode {
    /**
     * Emit one {@link ChangeEvent.Truncate} per truncated table, versioned with the TRUNCATE's
     * commit LSN: the pipeline writes it as a barrier and the sink removes every document of that
     * collection up to that version, keeping what later transactions wrote.
     */
    REMOVE_DOCUMENTS,
    /** Stop with an error that names the table: an operator resyncs the collection. */
    FAIL,
    /** Ignore it: the documents stay until reconciliation removes them. */
    IGNORE
  }

  private final WalSource wal;
  private final PostgresDatabase database;

  PostgresSource(SourceSettings settings) {
    this.wal = new WalSource(settings);
    this.database = settings.database();
  }

  /** A builder; see each setter for its default. */
  public static PostgresSourceBuilder builder() {
    return new PostgresSourceBuilder();
  }

  /**
   * The database this source follows, to share with {@link
   * dev.driftless.postgres.reconcile.PostgresFingerprintReader.Builder#database}.
   */
  public PostgresDatabase database() {
    return database;
  }

  @Override
  public void start(SourceContext context) throws Exception {
    wal.start(context);
  }

  /**
   * {@inheritDoc}
   *
   * @throws SlotInvalidatedException when the slot lost changes and {@link
   *     PostgresSourceBuilder#resyncOnSlotLoss} is off
   */
  @Override
  public List<ChangeEvent> poll(int maxEvents, Duration maxWait) throws Exception {
    return wal.poll(maxEvents, maxWait);
  }

  @Override
  public void commit(SourcePosition position) throws Exception {
    wal.commit(position);
  }

  @Override
  public void keepAlive() throws Exception {
    wal.keepAlive();
  }

  /**
   * Reads rows by key with versions from the snapshot rule (see the class comment): for repair,
   * dead-letter replay and reconciliation.
   */
  @Override
  public Optional<RepairReader> repairReader() {
    return Optional.of(wal.repairReader());
  }

  @Override
  public Map<String, Object> statusDetails() {
    return wal.statusDetails();
  }

  /**
   * The server's current WAL insert position ({@code pg_current_wal_insert_lsn()}: every commit so
   * far lies before it; on a standby the last replayed position), read on a short connection of its
   * own.
   */
  @Override
  public Optional<SourcePosition> head() throws Exception {
    return Optional.of(new LsnPosition(wal.headLsn(), 0));
  }

  /**
   * Whether the position this source confirmed to the server as flushed (only settled work, and the
   * server's WAL end while nothing is in flight) is at or past {@code head}'s WAL position, and no
   * backfill is still running.
   */
  @Override
  public boolean reached(SourcePosition head) {
    return head instanceof LsnPosition lsn && wal.reached(lsn.commitLsn());
  }

  @Override
  public void close() throws Exception {
    wal.close();
  }
}
