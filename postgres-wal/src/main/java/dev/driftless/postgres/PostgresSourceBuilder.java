package dev.driftless.postgres;

import dev.driftless.postgres.PostgresSource.TruncateMode;
import dev.driftless.postgres.internal.ReplicationSetup;
import dev.driftless.postgres.internal.SourceSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Configures a {@link PostgresSource}. Each setter checks its argument at once ({@link
 * NullPointerException} naming it, {@link IllegalArgumentException} for a bad value); {@link
 * #build()} checks the combination ({@link IllegalStateException}). Not thread-safe.
 */
public final class PostgresSourceBuilder {
  private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}");

  private @Nullable PostgresDatabase database;
  private @Nullable String slotName;
  private @Nullable String publication;
  private final Set<String> tables = new LinkedHashSet<>();
  private boolean createSlot = true;
  private boolean createPublication = true;
  private boolean temporarySlot;
  private boolean dropSlotOnClose;
  private boolean allowReplicaIdentityFull;
  private boolean streaming = true;
  private int protocolVersion;
  private Duration statusInterval = Duration.ofSeconds(10);
  private Duration heartbeatInterval = Duration.ZERO;
  private Path spillDirectory = Path.of(System.getProperty("java.io.tmpdir"));
  private TruncateMode truncateMode = TruncateMode.REMOVE_DOCUMENTS;
  private @Nullable BackfillSettings backfill;
  private boolean resyncOnSlotLoss;
  private boolean standby;
  private @Nullable Duration takeoverTimeout;
  private boolean failoverSlot = true;
  private Duration responseTimeout = Duration.ofSeconds(30);

  PostgresSourceBuilder() {}

  /**
   * Whether an invalidated slot ({@code wal_status = 'lost'}, or gone) is dropped, created again
   * and every replicated table backfilled (with the chunk size and throttle of {@link #backfill},
   * else 1,000 rows unthrottled), instead of failing with {@link SlotInvalidatedException}. Rows
   * deleted while changes were lost stay in the index until reconciliation removes them. Not with
   * {@link #temporarySlot}. Default false.
   */
  public PostgresSourceBuilder resyncOnSlotLoss(boolean resync) {
    this.resyncOnSlotLoss = resync;
    return this;
  }

  /**
   * Whether several instances of this source (in several processes, with the same database and
   * slot) run side by side, one reading and the others waiting as standbys, so that one takes over
   * within {@link #takeoverTimeout} when the active one dies or is cut off from the database. The
   * active instance holds a PostgreSQL advisory lock on a session of its own; an instance that
   * loses that session stops reading at once (its pipeline shows a source outage) and waits as a
   * standby again. Every instance sharing the slot must set it. Not with {@link #temporarySlot} or
   * {@link #dropSlotOnClose}. Default false. See docs/postgres.md, "Standby instances".
   */
  public PostgresSourceBuilder standby(boolean standby) {
    this.standby = standby;
    return this;
  }

  /**
   * With {@link #standby}: how soon after the active instance died or lost its connection a standby
   * takes over (plus the time to connect the stream), 2 s to 10 min. A standby tries the lock four
   * times per timeout; the active instance's lock session expires on the server after half of it
   * without a ping (PostgreSQL 14+ {@code idle_session_timeout}; older servers notice a dead peer
   * only by TCP keepalive). Default 10 s.
   */
  public PostgresSourceBuilder takeoverTimeout(Duration timeout) {
    this.takeoverTimeout =
        range(timeout, "takeoverTimeout", Duration.ofSeconds(2), Duration.ofMinutes(10));
    return this;
  }

  /**
   * How long the source waits for PostgreSQL to answer before it counts the server as unreachable,
   * 1 s to 10 min: a new connection's login, and the small queries the source runs while it reads
   * (the slot's state every few seconds, heartbeats). A server (or a network path) that stops
   * answering without closing the connection — a partition, a frozen host — then shows as a source
   * outage and the stream reconnects, instead of the source waiting forever on a silent socket.
   * Long statements (creating the slot, which waits for running transactions; backfill reads) are
   * not bounded by it. Default 30 s.
   */
  public PostgresSourceBuilder responseTimeout(Duration timeout) {
    this.responseTimeout =
        range(timeout, "responseTimeout", Duration.ofSeconds(1), Duration.ofMinutes(10));
    return this;
  }

  /**
   * Whether the slot is created with {@code failover = true} on PostgreSQL 17 and later, so that a
   * standby with {@code sync_replication_slots} keeps a copy of it and the stream continues on that
   * standby after a failover; an existing ordinary slot is made one at start (best effort, logged).
   * Ignored on older servers. Default true. See docs/postgres.md, "Failover".
   */
  public PostgresSourceBuilder failoverSlot(boolean failover) {
    this.failoverSlot = failover;
    return this;
  }

  /**
   * Copies the current rows of the given tables into the index while the stream runs (read-only: it
   * works against a standby and writes nothing but, when the server is idle, a WAL-only logical
   * message). Progress is kept in the pipeline's checkpoint store and survives restarts; once done
   * it does not run again. Default none. See docs/postgres.md, "Backfill and repair".
   */
  public PostgresSourceBuilder backfill(BackfillSettings backfill) {
    this.backfill = Objects.requireNonNull(backfill, "backfill");
    return this;
  }

  /**
   * The database to replicate, and how to log in: the source opens its replication connection from
   * its URL and user (the role needs REPLICATION, or superuser, and SELECT on the tables), and
   * every other connection from its {@code DataSource} if it has one. Required.
   */
  public PostgresSourceBuilder database(PostgresDatabase database) {
    this.database = Objects.requireNonNull(database, "database");
    return this;
  }

  /** The replication slot: lower-case letters, digits and underscores, at most 63. Required. */
  public PostgresSourceBuilder slotName(String slotName) {
    Objects.requireNonNull(slotName, "slotName");
    if (!SLOT_NAME.matcher(slotName).matches()) {
      throw new IllegalArgumentException(
          "slotName must be 1 to 63 lower-case letters, digits or underscores, was '"
              + slotName
              + "'");
    }
    this.slotName = slotName;
    return this;
  }

  /** The publication: an identifier (letters, digits, {@code _}, {@code $}). Required. */
  public PostgresSourceBuilder publication(String publication) {
    this.publication = identifier(publication, "publication");
    return this;
  }

  /**
   * The tables to replicate, as {@code table} (schema {@code public}) or {@code schema.table}.
   * Default: every table of the publication. Changes of other tables are ignored; a missing
   * publication is created for exactly these tables.
   */
  public PostgresSourceBuilder tables(List<String> tables) {
    Objects.requireNonNull(tables, "tables");
    Set<String> checked = new LinkedHashSet<>();
    for (int i = 0; i < tables.size(); i++) {
      String t = Objects.requireNonNull(tables.get(i), "tables[" + i + "]");
      String[] parts = ReplicationSetup.splitQualified(t);
      identifier(parts[0], "tables[" + i + "] schema");
      identifier(parts[1], "tables[" + i + "]");
      checked.add(parts[0] + "." + parts[1]);
    }
    this.tables.clear();
    this.tables.addAll(checked);
    return this;
  }

  /** Whether to create the slot when it does not exist. Default true. */
  public PostgresSourceBuilder createSlot(boolean createSlot) {
    this.createSlot = createSlot;
    return this;
  }

  /** Whether to create the publication (for {@link #tables}) when absent. Default true. */
  public PostgresSourceBuilder createPublication(boolean createPublication) {
    this.createPublication = createPublication;
    return this;
  }

  /**
   * Whether the slot is temporary: created with the connection and gone with it. For tests and
   * throw-away pipelines only: a lost connection then fails with {@link SlotInvalidatedException}.
   * Default false.
   */
  public PostgresSourceBuilder temporarySlot(boolean temporarySlot) {
    this.temporarySlot = temporarySlot;
    return this;
  }

  /** Whether {@link PostgresSource#close()} drops the slot (stop retaining WAL). Default false. */
  public PostgresSourceBuilder dropSlotOnClose(boolean dropSlotOnClose) {
    this.dropSlotOnClose = dropSlotOnClose;
    return this;
  }

  /**
   * Whether a table with neither primary key nor replica identity index but with REPLICA IDENTITY
   * FULL is accepted, keyed by all its columns. Default false: such a table is refused at start.
   */
  public PostgresSourceBuilder allowReplicaIdentityFull(boolean allow) {
    this.allowReplicaIdentityFull = allow;
    return this;
  }

  /**
   * Whether the server may stream large in-progress transactions (spilled to disk here until their
   * commit). Default true.
   */
  public PostgresSourceBuilder streaming(boolean streaming) {
    this.streaming = streaming;
    return this;
  }

  /** The pgoutput protocol version, 1 to 4, or 0 for the highest the server offers. Default 0. */
  public PostgresSourceBuilder protocolVersion(int version) {
    if (version < 0 || version > 4) {
      throw new IllegalArgumentException("protocolVersion must be in 0..4, was " + version);
    }
    this.protocolVersion = version;
    return this;
  }

  /**
   * How often status updates (flush LSN) are sent while reading, 100 ms to 1 h; keep it well below
   * the server's {@code wal_sender_timeout}. Default 10 s.
   */
  public PostgresSourceBuilder statusInterval(Duration interval) {
    this.statusInterval =
        range(interval, "statusInterval", Duration.ofMillis(100), Duration.ofHours(1));
    return this;
  }

  /**
   * How often to write a heartbeat ({@code pg_logical_emit_message}) into this database's WAL, so
   * that the slot advances even when only other databases write; zero disables it, else 1 s to 1 h.
   * Default zero.
   */
  public PostgresSourceBuilder heartbeatInterval(Duration interval) {
    Objects.requireNonNull(interval, "heartbeatInterval");
    this.heartbeatInterval =
        interval.isZero()
            ? interval
            : range(interval, "heartbeatInterval", Duration.ofSeconds(1), Duration.ofHours(1));
    return this;
  }

  /** Where streamed in-progress transactions are spilled. Default {@code java.io.tmpdir}. */
  public PostgresSourceBuilder spillDirectory(Path directory) {
    this.spillDirectory = Objects.requireNonNull(directory, "spillDirectory");
    return this;
  }

  /** What a TRUNCATE of a replicated table does. Default {@link TruncateMode#REMOVE_DOCUMENTS}. */
  public PostgresSourceBuilder truncateMode(TruncateMode mode) {
    this.truncateMode = Objects.requireNonNull(mode, "truncateMode");
    return this;
  }

  /**
   * The source.
   *
   * @throws IllegalStateException if a required setting is missing or settings contradict
   */
  public PostgresSource build() {
    PostgresDatabase db = database;
    if (db == null) {
      throw new IllegalStateException("database must be set");
    }
    if (db.jdbcUrl().isEmpty()) {
      throw new IllegalStateException(
          "database has only a dataSource: the replication connection needs its jdbcUrl (or host"
              + " and database) and user");
    }
    if (slotName == null) {
      throw new IllegalStateException("slotName must be set");
    }
    if (publication == null) {
      throw new IllegalStateException("publication must be set");
    }
    if (temporarySlot && dropSlotOnClose) {
      throw new IllegalStateException("dropSlotOnClose makes no sense with temporarySlot");
    }
    BackfillSettings fill = backfill;
    if (fill != null && !tables.isEmpty()) {
      for (String t : fill.tables()) {
        if (!tables.contains(t)) {
          throw new IllegalStateException(
              "backfill table " + t + " is not one of the replicated tables " + tables);
        }
      }
    }
    if (temporarySlot && resyncOnSlotLoss) {
      throw new IllegalStateException("resyncOnSlotLoss makes no sense with temporarySlot");
    }
    if (temporarySlot && !createSlot) {
      throw new IllegalStateException("a temporarySlot is always created: createSlot must be true");
    }
    if (takeoverTimeout != null && !standby) {
      throw new IllegalStateException("takeoverTimeout is set but standby is false");
    }
    if (standby && temporarySlot) {
      throw new IllegalStateException(
          "standby makes no sense with temporarySlot: a standby takes over the slot");
    }
    if (standby && dropSlotOnClose) {
      throw new IllegalStateException(
          "standby makes no sense with dropSlotOnClose: a standby takes over the slot");
    }
    Duration takeover =
        !standby
            ? Duration.ZERO
            : takeoverTimeout == null ? Duration.ofSeconds(10) : takeoverTimeout;
    return new PostgresSource(
        new SourceSettings(
            db,
            slotName,
            publication,
            List.copyOf(tables),
            createSlot,
            createPublication,
            temporarySlot,
            dropSlotOnClose,
            allowReplicaIdentityFull,
            streaming,
            protocolVersion,
            statusInterval,
            heartbeatInterval,
            spillDirectory,
            truncateMode,
            backfill,
            resyncOnSlotLoss,
            takeover,
            failoverSlot,
            responseTimeout));
  }

  private static String identifier(String value, String name) {
    Objects.requireNonNull(value, name);
    if (!IDENTIFIER.matcher(value).matches()) {
      throw new IllegalArgumentException(
          name
              + " must be an identifier (letters, digits, _ or $, not starting with a digit,"
              + " at most 63), was '"
              + value
              + "'");
    }
    return value;
  }

  private static Duration range(Duration value, String name, Duration min, Duration max) {
    Objects.requireNonNull(value, name);
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          name + " must be in " + min + ".." + max + ", was " + value);
    }
    return value;
  }
}
