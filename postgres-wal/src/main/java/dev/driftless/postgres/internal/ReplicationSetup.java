package dev.driftless.postgres.internal;

import dev.driftless.core.DriftlessException;
import dev.driftless.postgres.SlotInvalidatedException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * The checks and set-up a source performs before it replicates: server settings, the role's
 * privileges, the publication and its tables' keys, and the replication slot. Every failure says
 * what to change. Names reach SQL either as bind parameters or quoted after strict validation.
 */
public final class ReplicationSetup {

  /** Closes a connection that may be broken already; failing to close it changes nothing. */
  static void closeQuietly(@Nullable Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // already broken
      }
    }
  }

  /**
   * Cuts a connection from any thread without a word to the server (pgJDBC closes its socket), so
   * that a thread blocked reading from it fails at once.
   */
  static void abortQuietly(@Nullable Connection c) {
    if (c != null) {
      try {
        c.abort(Runnable::run);
      } catch (SQLException | RuntimeException ignored) {
        // already closed
      }
    }
  }

  /** What a slot looks like in {@code pg_replication_slots}. */
  record SlotState(
      String plugin,
      String slotType,
      @Nullable String database,
      boolean temporary,
      @Nullable String walStatus,
      @Nullable String confirmedFlushLsn) {}

  private ReplicationSetup() {}

  static int serverVersionNum(Connection c) throws SQLException {
    return Integer.parseInt(single(c, "SHOW server_version_num"));
  }

  /** Fails unless the server runs a supported major with {@code wal_level=logical}. */
  static void checkServer(Connection c) throws SQLException {
    int version = serverVersionNum(c);
    if (version < 140000) {
      throw new DriftlessException(
          "PostgreSQL "
              + version / 10000
              + " is not supported: the source needs PostgreSQL 14 or newer");
    }
    String walLevel = single(c, "SHOW wal_level");
    if (!"logical".equals(walLevel)) {
      throw new DriftlessException(
          "wal_level is '"
              + walLevel
              + "' but logical replication needs 'logical': set wal_level = logical in"
              + " postgresql.conf (or ALTER SYSTEM SET wal_level = logical) and restart the server");
    }
  }

  /** Fails unless the connected role may replicate (REPLICATION attribute or superuser). */
  static void checkRole(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT current_user, rolreplication, rolsuper FROM pg_roles"
                    + " WHERE rolname = current_user")) {
      if (!rs.next()) {
        throw new DriftlessException("the connected role is not in pg_roles");
      }
      if (!rs.getBoolean(2) && !rs.getBoolean(3)) {
        throw new DriftlessException(
            "role '"
                + rs.getString(1)
                + "' may not use logical replication: ALTER ROLE ... WITH REPLICATION (or connect"
                + " as a superuser)");
      }
    }
  }

  /** Whether the publication exists. */
  static boolean publicationExists(Connection c, String publication) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Creates the publication for exactly {@code tables} (qualified names, validated). */
  static void createPublication(Connection c, String publication, List<String> tables)
      throws SQLException {
    StringBuilder sql =
        new StringBuilder("CREATE PUBLICATION ")
            .append(TableShape.quote(publication))
            .append(" FOR TABLE ");
    for (int i = 0; i < tables.size(); i++) {
      String[] parts = splitQualified(tables.get(i));
      if (i > 0) {
        sql.append(", ");
      }
      sql.append(TableShape.quote(parts[0])).append('.').append(TableShape.quote(parts[1]));
    }
    try (Statement s = c.createStatement()) {
      s.execute(sql.toString());
    }
  }

  /** The qualified names of the tables the publication publishes. */
  static List<String> publishedTables(Connection c, String publication) throws SQLException {
    List<String> tables = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?"
                + " ORDER BY schemaname, tablename")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          tables.add(rs.getString(1) + "." + rs.getString(2));
        }
      }
    }
    return tables;
  }

  /**
   * Checks each table (exists, readable, keyed) and returns its shape.
   *
   * @param allowFullIdentity whether a table without primary key or replica identity index may be
   *     keyed by all its columns when it has REPLICA IDENTITY FULL
   */
  static Map<String, TableShape> describeTables(
      Connection c, List<String> tables, boolean allowFullIdentity) throws SQLException {
    Map<String, TableShape> shapes = new LinkedHashMap<>();
    for (String qualified : tables) {
      String[] parts = splitQualified(qualified);
      TableShape shape =
          describe(c, parts[0], parts[1], allowFullIdentity)
              .orElseThrow(() -> new DriftlessException("table " + qualified + " does not exist"));
      shapes.put(shape.qualifiedName(), shape);
    }
    return shapes;
  }

  /** The shape of one table, or empty if it does not exist. */
  static Optional<TableShape> describe(
      Connection c, String schema, String table, boolean allowFullIdentity) throws SQLException {
    String qualified = schema + "." + table;
    int oid;
    char identity;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT cl.oid, cl.relreplident, has_table_privilege(cl.oid, 'SELECT')"
                + " FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace"
                + " WHERE n.nspname = ? AND cl.relname = ? AND cl.relkind IN ('r', 'p')")) {
      ps.setString(1, schema);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        oid = rs.getInt(1);
        identity = rs.getString(2).charAt(0);
        if (!rs.getBoolean(3)) {
          throw new DriftlessException(
              "the connected role may not read "
                  + qualified
                  + " (needed for repair reads): GRANT SELECT ON "
                  + TableShape.quote(schema)
                  + "."
                  + TableShape.quote(table)
                  + " TO <role>");
        }
      }
    }
    // With REPLICA IDENTITY USING INDEX, old keys of updates and deletes carry that index's
    // columns, so they key the documents; otherwise the primary key does.
    List<String> key =
        identity == 'i'
            ? indexColumns(c, oid, "i.indisreplident")
            : indexColumns(c, oid, "i.indisprimary");
    if (key.isEmpty() && identity == 'f') {
      key = indexColumns(c, oid, "i.indisreplident");
    }
    if (identity == 'n') {
      throw new DriftlessException(
          "table "
              + qualified
              + " has REPLICA IDENTITY NOTHING, so its updates and deletes cannot be replicated:"
              + " ALTER TABLE ... REPLICA IDENTITY DEFAULT (with a primary key)");
    }
    if (key.isEmpty()) {
      if (identity == 'f' && allowFullIdentity) {
        key = fullIdentityKey(c, oid, qualified);
      } else {
        throw new DriftlessException(
            "table "
                + qualified
                + " has neither a primary key nor a replica identity index, so its rows have no"
                + " key: add a primary key, or ALTER TABLE ... REPLICA IDENTITY USING INDEX"
                + " <unique index on NOT NULL columns>, or set REPLICA IDENTITY FULL and"
                + " allowReplicaIdentityFull(true) to key documents by all columns");
      }
    }
    return Optional.of(new TableShape(schema, table, key, identity));
  }

  private static List<String> indexColumns(Connection c, int tableOid, String which)
      throws SQLException {
    List<String> columns = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT a.attname FROM pg_index i"
                + " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)"
                + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                + " WHERE i.indrelid = ? AND "
                + which
                + " ORDER BY k.ord")) {
      ps.setInt(1, tableOid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          columns.add(rs.getString(1));
        }
      }
    }
    return columns;
  }

  /**
   * The key of a table without one under REPLICA IDENTITY FULL: every column the stream carries
   * (generated columns are not replicated, and are a function of the others). Refused, naming the
   * columns, when a column may be NULL (a NULL is no key value, and rows would be found by nothing)
   * or may be stored out of line (then an update of another column sends that value as "unchanged"
   * in both the old and the new row, and the change has no key): found now, at start, rather than
   * by a change that could not be keyed mid-stream.
   */
  private static List<String> fullIdentityKey(Connection c, int tableOid, String qualified)
      throws SQLException {
    List<String> columns = new ArrayList<>();
    List<String> nullable = new ArrayList<>();
    List<String> outOfLine = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT a.attname, a.attnotnull, t.typlen = -1 AND a.attstorage <> 'p'"
                + " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                + " WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped"
                + " AND a.attgenerated = '' ORDER BY a.attnum")) {
      ps.setInt(1, tableOid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String name = rs.getString(1);
          columns.add(name);
          if (!rs.getBoolean(2)) {
            nullable.add(name);
          }
          if (rs.getBoolean(3)) {
            outOfLine.add(name);
          }
        }
      }
    }
    if (!nullable.isEmpty() || !outOfLine.isEmpty()) {
      StringBuilder m =
          new StringBuilder("table ")
              .append(qualified)
              .append(" has no key and REPLICA IDENTITY FULL, so every column keys its documents,")
              .append(" but ");
      if (!nullable.isEmpty()) {
        m.append("columns ").append(nullable).append(" may be NULL (add NOT NULL)");
      }
      if (!outOfLine.isEmpty()) {
        m.append(nullable.isEmpty() ? "" : " and ")
            .append("columns ")
            .append(outOfLine)
            .append(" may be stored out of line, which an update of another column does not send")
            .append(" (ALTER TABLE ... ALTER COLUMN ... SET STORAGE PLAIN)");
      }
      m.append(": better, add a primary key or REPLICA IDENTITY USING INDEX <unique index>");
      throw new DriftlessException(m.toString());
    }
    return columns;
  }

  /** The slot's state, or empty when it does not exist. */
  static Optional<SlotState> slot(Connection c, String slot) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT plugin, slot_type, database, temporary, wal_status, confirmed_flush_lsn::text"
                + " FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new SlotState(
                String.valueOf(rs.getString(1)),
                rs.getString(2),
                rs.getString(3),
                rs.getBoolean(4),
                rs.getString(5),
                rs.getString(6)));
      }
    }
  }

  /** Whether {@code slot} is a failover slot (PostgreSQL 17+ only: the column is new there). */
  static boolean isFailoverSlot(Connection c, String slot) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT failover FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /**
   * Makes {@code slot} a failover slot (PostgreSQL 17+), on a replication connection: the command
   * exists only in the replication protocol. The slot must not be in use.
   */
  static void makeFailoverSlot(Connection replication, String slot) throws SQLException {
    try (Statement s = replication.createStatement()) {
      // The name is [a-z0-9_]{1,63} (checked by the builder): safe to embed.
      s.execute("ALTER_REPLICATION_SLOT " + slot + " ( FAILOVER true )");
    }
  }

  /** Fails unless the slot is a usable pgoutput slot of this database. */
  static void checkSlot(Connection c, String slotName, SlotState slot) throws SQLException {
    if (!"logical".equals(slot.slotType())) {
      throw new DriftlessException("replication slot '" + slotName + "' is not a logical slot");
    }
    if (!"pgoutput".equals(slot.plugin())) {
      throw new DriftlessException(
          "replication slot '"
              + slotName
              + "' uses output plugin '"
              + slot.plugin()
              + "', not pgoutput: drop it (SELECT pg_drop_replication_slot('"
              + slotName
              + "')) or configure another slot name");
    }
    String db = single(c, "SELECT current_database()");
    if (!db.equals(slot.database())) {
      throw new DriftlessException(
          "replication slot '"
              + slotName
              + "' belongs to database '"
              + slot.database()
              + "', not '"
              + db
              + "'");
    }
    checkNotLost(slotName, slot);
  }

  static void checkNotLost(String slotName, SlotState slot) {
    if ("lost".equals(slot.walStatus())) {
      throw SlotInvalidatedException.of(slotName);
    }
  }

  /**
   * The backend still creating {@code slot} on behalf of a source of the same slot name (its
   * connection's application name): {@code pg_create_logical_replication_slot} waits for the
   * transactions running when it started, and a client killed meanwhile leaves it waiting. While it
   * waits the slot shows in {@code pg_replication_slots} as active, held by that backend, with no
   * {@code confirmed_flush_lsn} yet; the backend's {@code pg_stat_activity} row shows the call.
   */
  static OptionalInt creatingBackend(Connection c, String slot) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT s.active_pid FROM pg_replication_slots s"
                + " JOIN pg_stat_activity a ON a.pid = s.active_pid"
                + " WHERE s.slot_name = ? AND s.confirmed_flush_lsn IS NULL"
                + " AND a.pid <> pg_backend_pid() AND a.application_name = ?"
                + " AND a.query ILIKE '%pg_create_logical_replication_slot%'")) {
      ps.setString(1, slot);
      ps.setString(2, applicationName(slot));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? OptionalInt.of(rs.getInt(1)) : OptionalInt.empty();
      }
    }
  }

  /** The application name a source's connections carry, by which it recognises its own. */
  static String applicationName(String slot) {
    return "driftless-" + slot;
  }

  /**
   * Terminates the walsender another instance of this source (its application name) holds the slot
   * with: called by an instance that has just taken the standby lock over, when the one before it
   * lost the lock but may not know yet. Returns the terminated process id, or 0.
   */
  static int terminateSlotReader(Connection c, String slot) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT s.active_pid, pg_terminate_backend(s.active_pid) FROM pg_replication_slots s"
                + " JOIN pg_stat_activity a ON a.pid = s.active_pid"
                + " WHERE s.slot_name = ? AND a.application_name = ?"
                + " AND a.pid <> pg_backend_pid()")) {
      ps.setString(1, slot);
      ps.setString(2, applicationName(slot));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getInt(1) : 0;
      }
    }
  }

  /** Terminates a backend; returns whether it was signalled. */
  static boolean terminateBackend(Connection c, int pid) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
      ps.setInt(1, pid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /**
   * A short name of the database (its name, and the cluster's system identifier where the role may
   * read it), {@code [0-9a-f]{8}}: two databases on one machine get different names, one database
   * always the same.
   */
  static String databaseIdentity(Connection c) throws SQLException {
    String identity = single(c, "SELECT current_database()");
    try {
      identity += "/" + single(c, "SELECT system_identifier::text FROM pg_control_system()");
    } catch (SQLException e) {
      // not granted to this role: the database name alone must do
    }
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(identity.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return String.format(java.util.Locale.ROOT, "%08x", crc.getValue());
  }

  /** Creates a persistent pgoutput slot. */
  static void createSlot(Connection c, String slot, boolean failover) throws SQLException {
    // failover (PostgreSQL 17+): a standby with sync_replication_slots keeps a copy of the slot.
    String sql =
        failover
            ? "SELECT pg_create_logical_replication_slot(?, 'pgoutput', false, false, true)"
            : "SELECT pg_create_logical_replication_slot(?, 'pgoutput')";
    // It waits for every running transaction to end: no response timeout while it does.
    int timeout = c.getNetworkTimeout();
    c.setNetworkTimeout(Runnable::run, 0);
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, slot);
      ps.execute();
    } finally {
      if (!c.isClosed()) {
        c.setNetworkTimeout(Runnable::run, timeout);
      }
    }
  }

  /** Drops the slot if it exists; returns whether it did. */
  static boolean dropSlot(Connection c, String slot) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  public static String[] splitQualified(String qualified) {
    int dot = qualified.indexOf('.');
    return dot < 0
        ? new String[] {"public", qualified}
        : new String[] {qualified.substring(0, dot), qualified.substring(dot + 1)};
  }

  static String single(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      if (!rs.next()) {
        throw new SQLException("no row from: " + sql);
      }
      return String.valueOf(rs.getString(1));
    }
  }
}
