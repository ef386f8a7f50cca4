package dev.driftless.postgres.internal;

import dev.driftless.core.DriftlessException;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.postgres.LsnPosition;
import dev.driftless.postgres.SlotInvalidatedException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source's start-up sequence and its slot operations: checks the server, the role, the
 * publication and the tables (and the backfill's), only then creates what is missing (publication,
 * slot), connects the stream, deletes spill files a killed run left, and tells {@link
 * RecentCommits} where the stream starts and which transactions were running then. Also recreates a
 * lost slot and drops the slot (on close, or after a failed start that created it). Owns only
 * whether this run created the slot; confined to the source's poll thread.
 */
final class SourceStartup {
  private static final Logger LOG = LoggerFactory.getLogger(SourceStartup.class);

  /**
   * What start-up found.
   *
   * @param protocolVersion the pgoutput protocol version to use
   * @param serverVersionNum the server's {@code server_version_num}
   * @param spillOwner the name spill files of this slot and database carry
   * @param resync whether the slot was lost and created again (a full backfill is due)
   * @param created whether this run created the slot
   */
  record Outcome(
      int protocolVersion,
      int serverVersionNum,
      String spillOwner,
      boolean resync,
      boolean created) {}

  private final SourceSettings settings;
  private final SourceConnections connections;
  private final ReplicatedTables replicated;
  private final SourceBackfill backfill;
  private final ReplicationConnection replication;
  private final RecentCommits recent;
  private final AtomicLong resyncs = new AtomicLong();
  // Set once this run's pg_create_logical_replication_slot returned: a failure later in start
  // drops the slot again.
  private boolean createdSlotThisRun;

  SourceStartup(
      SourceSettings settings,
      SourceConnections connections,
      ReplicatedTables replicated,
      SourceBackfill backfill,
      ReplicationConnection replication,
      RecentCommits recent) {
    this.settings = settings;
    this.connections = connections;
    this.replicated = replicated;
    this.backfill = backfill;
    this.replication = replication;
    this.recent = recent;
  }

  /** How often a lost slot was created again. */
  long slotResyncs() {
    return resyncs.get();
  }

  /** Whether this run created the slot (then a failed start drops it). */
  boolean createdSlotThisRun() {
    return createdSlotThisRun;
  }

  /**
   * Validates everything that can be validated (server, role, tables, publication, backfill tables,
   * the progress store), and only then creates the publication and the slot, and connects. A
   * failure after this run created the slot drops it again.
   */
  Outcome run(Connection c, SourceContext context) throws Exception {
    boolean resync = false;
    ReplicationSetup.checkServer(c);
    ReplicationSetup.checkRole(c);
    int versionNum = ReplicationSetup.serverVersionNum(c);
    int highest = versionNum >= 160000 ? 4 : versionNum >= 150000 ? 3 : 2;
    int protocolVersion =
        settings.protocolVersion() == 0 ? highest : Math.min(settings.protocolVersion(), highest);

    boolean publicationExists = ReplicationSetup.publicationExists(c, settings.publication());
    List<String> tables = replicatedTables(c, publicationExists);
    replicated.set(ReplicationSetup.describeTables(c, tables, settings.allowReplicaIdentityFull()));
    backfill.prepare(replicated.shapes(), context, c);
    if (!publicationExists) {
      ReplicationSetup.createPublication(c, settings.publication(), settings.tables());
    }

    boolean created = false;
    if (!settings.temporarySlot()) {
      Optional<ReplicationSetup.SlotState> slot = existingSlot(c);
      if (slot.isPresent()) {
        try {
          ReplicationSetup.checkSlot(c, settings.slotName(), slot.get());
          upgradeToFailover(c, versionNum);
        } catch (SlotInvalidatedException e) {
          if (!settings.resyncOnSlotLoss()) {
            throw e;
          }
          recreateSlot(c, e);
          resync = true;
        }
      } else if (settings.createSlot()) {
        // Before the slot exists: a crash from here on finds no progress of an older slot.
        backfill.resetBeforeNewSlot();
        ReplicationSetup.createSlot(c, settings.slotName(), failover(versionNum));
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
        replication.open(protocolVersion);
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
    String spillOwner = settings.slotName() + "." + ReplicationSetup.databaseIdentity(c);
    int leftovers = SpillFile.deleteLeftovers(settings.spillDirectory(), spillOwner);
    if (leftovers > 0) {
      LOG.info(
          "deleted {} spill file(s) a previous run of slot {} left in {}",
          leftovers,
          settings.slotName(),
          settings.spillDirectory());
    }
    recordStart(c);
    return new Outcome(protocolVersion, versionNum, spillOwner, resync, created);
  }

  /**
   * Tells {@link #recent} where the stream starts (the slot's confirmed position: every commit
   * below it was written before now) and which transactions are running now.
   */
  void recordStart(Connection c) throws SQLException {
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

  /**
   * An existing slot created before failover slots (a server upgraded to 17, or a slot made by
   * hand) becomes one, so that it survives a failover. Best effort: a failure is logged, since the
   * stream works without it.
   */
  private void upgradeToFailover(Connection c, int versionNum) {
    if (!failover(versionNum)) {
      return;
    }
    try {
      if (ReplicationSetup.isFailoverSlot(c, settings.slotName())) {
        return;
      }
      try (Connection replication = connections.replication()) {
        ReplicationSetup.makeFailoverSlot(replication, settings.slotName());
      }
      LOG.info(
          "replication slot {} is a failover slot now (a standby with sync_replication_slots keeps"
              + " a copy)",
          settings.slotName());
    } catch (SQLException e) {
      LOG.warn(
          "replication slot {} is not a failover slot and could not be made one; it will not"
              + " survive a database failover: {}",
          settings.slotName(),
          e.getMessage());
    }
  }

  /** Whether a slot created on a server of {@code versionNum} is a failover slot. */
  private boolean failover(int versionNum) {
    return settings.failoverSlot() && versionNum >= 170000;
  }

  /** Start failed after this run created the slot: drop it, so that it holds no WAL. */
  void dropSlotAfterFailedStart(Exception cause) {
    replication.close(false);
    try {
      dropSlotWithRetry();
      LOG.info(
          "start failed; dropped replication slot {} which it had created", settings.slotName());
    } catch (Exception e) {
      cause.addSuppressed(e);
    }
  }

  /** Drops the invalidated slot and creates it again, at the server's current WAL position. */
  void recreateSlot(Connection c, SlotInvalidatedException cause) throws SQLException {
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
    ReplicationSetup.createSlot(
        c, settings.slotName(), failover(ReplicationSetup.serverVersionNum(c)));
    resyncs.incrementAndGet();
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

  void dropSlotWithRetry() throws Exception {
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
}
