package dev.driftless.postgres;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.RetriableException;
import dev.driftless.core.Version;
import dev.driftless.core.spi.RepairReader;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;

/**
 * Re-reads current rows by key on a connection of its own (never the replication connection).
 *
 * <p>Version rule: each read is one {@code REPEATABLE READ READ ONLY} transaction whose first
 * statement returns its snapshot and, read after the snapshot, the WAL LSN {@code L} ({@link
 * #SNAPSHOT_AND_LSN}). Every transaction the snapshot saw wrote its commit record below {@code L}.
 * Every transaction it did not see commits at or after {@code L}, except one whose commit record
 * was written before {@code L} but which was not yet visible (the commit-visibility race). Repair
 * rows are not injected into the stream (the pipeline writes them directly), so instead of dropping
 * racing keys the reader refuses a racy snapshot: a second connection takes a fresh snapshot after
 * {@code L} and looks for a transaction the read did not see (in its in-progress list or at/after
 * its {@code xmax}) that has since committed; if there is one, the read is retried with a new
 * snapshot. A read that passes has no racing transaction, and its rows get version {@code L-1}: at
 * least every commit LSN it saw (those are below {@code L} and 8-byte aligned, so at most {@code
 * L-8}), below every commit LSN it did not see (at least {@code L}). So a repair write can neither
 * undo a change the index holds (I3) nor hide one still to come: the later change has the higher
 * version.
 *
 * <p>Thread-safe (calls are serialised on the one connection); blocks on I/O. Works on a standby
 * (read-only transactions, no writes). Connection failures are thrown as {@link
 * RetriableException}, after which the next call reconnects.
 */
final class PostgresRepairReader implements RepairReader {

  /**
   * The snapshot of the current transaction, then the LSN every commit it saw lies below: the WAL
   * insert position on a primary (not the write position, which an asynchronous commit may be ahead
   * of), the replay position on a standby. In one statement, so the snapshot (fixed when the
   * transaction's first statement starts) is taken before the LSN is read.
   */
  static final String SNAPSHOT_AND_LSN =
      "SELECT pg_current_snapshot()::text, (CASE WHEN pg_is_in_recovery()"
          + " THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END)::text";

  /**
   * How long a repair read keeps looking for a snapshot free of the commit-visibility race. Under
   * heavy writes most snapshots race (a transaction in progress at the snapshot commits before the
   * check), so the attempts pause briefly, 1 ms growing to 10 ms, to spread out over the commits.
   */
  private static final long RACE_BUDGET_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

  private final Callable<Connection> connector;
  private final ColumnValueDecoder decoder;
  private final Clock clock;
  private volatile Map<String, TableShape> shapesByCollection = Map.of();
  private @Nullable Connection connection;
  private @Nullable Connection checkConnection;
  private final java.util.concurrent.atomic.AtomicLong raceRetries =
      new java.util.concurrent.atomic.AtomicLong();

  PostgresRepairReader(Callable<Connection> connector, ColumnValueDecoder decoder, Clock clock) {
    this.connector = connector;
    this.decoder = decoder;
    this.clock = clock;
  }

  /** How many reads were retried because their snapshot could have raced a commit. */
  long raceRetries() {
    return raceRetries.get();
  }

  void tables(Collection<TableShape> shapes) {
    Map<String, TableShape> byCollection = new HashMap<>();
    for (TableShape s : shapes) {
      byCollection.put(TableShape.collectionOf(s.schema(), s.table()), s);
    }
    shapesByCollection = Map.copyOf(byCollection);
  }

  @Override
  public List<ChangeEvent> readCurrent(Collection<DocumentKey> keys) throws Exception {
    Objects.requireNonNull(keys, "keys");
    Map<String, List<DocumentKey>> byCollection = new LinkedHashMap<>();
    for (DocumentKey key : keys) {
      byCollection.computeIfAbsent(key.collection(), k -> new ArrayList<>()).add(key);
    }
    List<ChangeEvent> events = new ArrayList<>(keys.size());
    for (Map.Entry<String, List<DocumentKey>> e : byCollection.entrySet()) {
      TableShape shape = shapesByCollection.get(e.getKey());
      if (shape == null) {
        throw new IllegalArgumentException(
            "collection '" + e.getKey() + "' is not a table this source replicates");
      }
      events.addAll(read(shape, e.getValue()));
    }
    return events;
  }

  private static String[][] keyPartArrays(List<DocumentKey> keys, int keyColumns) {
    String[][] parts = new String[keyColumns][keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      List<String> p = keyParts(keys.get(i).id(), keyColumns);
      for (int k = 0; k < keyColumns; k++) {
        parts[k][i] = p.get(k);
      }
    }
    return parts;
  }

  /** SQLSTATE class 22: a value that is not valid for its type. */
  private static boolean isDataException(SQLException e) {
    String state = e.getSQLState();
    return state != null && state.startsWith("22");
  }

  /** The keys whose every part casts to its column's type; one small statement per key. */
  private static List<DocumentKey> castableKeys(
      Connection c, List<ColumnInfo> columns, int[] keyIndexes, List<DocumentKey> keys)
      throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT ");
    for (int k = 0; k < keyIndexes.length; k++) {
      sql.append(k > 0 ? ", " : "").append("?::").append(columns.get(keyIndexes[k]).sqlType());
    }
    List<DocumentKey> castable = new ArrayList<>(keys.size());
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      for (DocumentKey key : keys) {
        List<String> p = keyParts(key.id(), keyIndexes.length);
        for (int k = 0; k < keyIndexes.length; k++) {
          ps.setString(k + 1, p.get(k));
        }
        try (ResultSet rs = ps.executeQuery()) {
          castable.add(key);
        } catch (SQLException e) {
          c.rollback();
          if (!isDataException(e)) {
            throw e;
          }
        }
      }
    }
    c.rollback();
    return castable;
  }

  /** The current row of one key as a document, or empty when the row does not exist. */
  Optional<Document> readRow(TableShape shape, DocumentKey key) throws Exception {
    List<ChangeEvent> events = read(shape, List.of(key));
    return events.get(0) instanceof ChangeEvent.Upsert u
        ? Optional.of(u.document())
        : Optional.empty();
  }

  private synchronized List<ChangeEvent> read(TableShape shape, List<DocumentKey> keys)
      throws Exception {
    try {
      Connection c = connection();
      List<ColumnInfo> columns = columns(c, shape);
      int[] keyIndexes = keyIndexes(shape, columns);
      StringBuilder sql = new StringBuilder("SELECT ");
      for (int i = 0; i < columns.size(); i++) {
        sql.append(i > 0 ? ", " : "")
            .append(TextRendering.outputText(TableShape.quote(columns.get(i).name())));
      }
      sql.append(" FROM ").append(shape.sqlName()).append(" WHERE (");
      for (int k = 0; k < keyIndexes.length; k++) {
        sql.append(k > 0 ? ", " : "").append(TableShape.quote(columns.get(keyIndexes[k]).name()));
      }
      sql.append(") IN (SELECT ");
      for (int k = 0; k < keyIndexes.length; k++) {
        sql.append(k > 0 ? ", " : "")
            .append("u.k")
            .append(k)
            .append("::")
            .append(columns.get(keyIndexes[k]).sqlType());
      }
      sql.append(" FROM unnest(");
      for (int k = 0; k < keyIndexes.length; k++) {
        sql.append(k > 0 ? ", " : "").append("?::text[]");
      }
      sql.append(") AS u(");
      for (int k = 0; k < keyIndexes.length; k++) {
        sql.append(k > 0 ? ", " : "").append('k').append(k);
      }
      sql.append("))");
      List<DocumentKey> readable = keys;
      String[][] parts = keyPartArrays(readable, keyIndexes.length);
      Map<String, Document> found = new HashMap<>();
      long lsn = -1;
      long raceDeadline = System.nanoTime() + RACE_BUDGET_NANOS;
      for (int attempt = 1; lsn < 0; attempt++) {
        found.clear();
        try {
          TxSnapshot snapshot;
          long readLsn;
          try (PreparedStatement ps = c.prepareStatement(SNAPSHOT_AND_LSN);
              ResultSet rs = ps.executeQuery()) {
            rs.next();
            snapshot = TxSnapshot.parse(rs.getString(1));
            readLsn = LsnPosition.parseLsn(rs.getString(2));
          }
          if (!raceFree(snapshot)) {
            c.rollback();
            raceRetries.incrementAndGet();
            if (System.nanoTime() > raceDeadline) {
              throw new RetriableException(
                  "repair read of "
                      + shape.qualifiedName()
                      + ": no snapshot free of the commit-visibility race in "
                      + attempt
                      + " attempts over "
                      + java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(RACE_BUDGET_NANOS)
                      + " s",
                  null);
            }
            if (Thread.currentThread().isInterrupted()) {
              throw new InterruptedException("repair read of " + shape.qualifiedName());
            }
            java.util.concurrent.locks.LockSupport.parkNanos(
                java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(Math.min(10, attempt)));
            continue;
          }
          try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int k = 0; k < keyIndexes.length; k++) {
              Array array = c.createArrayOf("text", parts[k]);
              ps.setArray(k + 1, array);
            }
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                Map<String, @Nullable Object> fields = new LinkedHashMap<>();
                @Nullable String[] texts = new String[columns.size()];
                for (int i = 0; i < columns.size(); i++) {
                  ColumnInfo col = columns.get(i);
                  texts[i] = rs.getString(i + 1);
                  fields.put(col.name(), decodeLenient(decoder, col, texts[i]));
                }
                List<String> keyText = new ArrayList<>(keyIndexes.length);
                for (int k : keyIndexes) {
                  keyText.add(String.valueOf(texts[k]));
                }
                found.put(
                    DocumentKey.composite("x", keyText).id(),
                    Document.of(fields).withFingerprint(Fingerprints.row(Arrays.asList(texts))));
              }
            }
          }
          c.commit();
          lsn = readLsn;
        } catch (SQLException | RuntimeException e) {
          try {
            c.rollback();
          } catch (SQLException ignored) {
            // the connection is closed below
          }
          if (e instanceof SQLException dataError
              && isDataException(dataError)
              && readable == keys
              && !isConnectionProblem(dataError)) {
            // A key id that is not a value of the key's type (say "x" for an int key, a phantom
            // written behind the pipeline's back) cannot exist: leave such keys out and read the
            // rest, so one impossible key does not stop the repair of the others.
            readable = castableKeys(c, columns, keyIndexes, keys);
            parts = keyPartArrays(readable, keyIndexes.length);
            continue;
          }
          throw e;
        }
      }
      // Below every commit LSN the snapshot did not see, at or above every one it saw (see the
      // class comment); never a commit LSN itself (commit records are 8-byte aligned).
      Version version = Version.of(lsn - 1);
      List<ChangeEvent> events = new ArrayList<>(keys.size());
      for (DocumentKey key : keys) {
        Document doc = found.get(key.id());
        events.add(
            doc == null
                ? ChangeEvent.delete(key, version, LsnPosition.ZERO, clock.instant())
                : ChangeEvent.upsert(key, version, LsnPosition.ZERO, doc, clock.instant()));
      }
      return events;
    } catch (SQLException e) {
      closeConnection();
      if (isConnectionProblem(e)) {
        throw new RetriableException(
            "repair read of " + shape.qualifiedName() + " failed: " + e.getMessage(), e);
      }
      throw e;
    }
  }

  /**
   * Whether no transaction the snapshot did not see can have written its commit record before the
   * LSN read with it: asked on a second connection, in a fresh snapshot taken after that LSN. A
   * transaction the read did not see (in progress, or started after it) that is no longer running
   * in the fresh snapshot and is committed may have committed before the LSN: then the read is
   * retried. Conservative: one that committed just after the LSN also causes a retry.
   */
  private boolean raceFree(TxSnapshot snapshot) throws Exception {
    Connection check = checkConnection();
    try (PreparedStatement ps =
        check.prepareStatement(
            "SELECT count(*) FROM (SELECT x FROM unnest(?::xid8[]) x"
                + " UNION ALL SELECT g::text::xid8 FROM generate_series(?::bigint,"
                + " pg_snapshot_xmax(pg_current_snapshot())::text::bigint - 1) g) c"
                + " WHERE pg_visible_in_snapshot(x, pg_current_snapshot())"
                + " AND pg_xact_status(x) = 'committed'")) {
      long[] xip = snapshot.inProgress();
      String[] texts = new String[xip.length];
      for (int i = 0; i < xip.length; i++) {
        texts[i] = Long.toString(xip[i]);
      }
      ps.setArray(1, check.createArrayOf("text", texts));
      ps.setLong(2, snapshot.xmax());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1) == 0;
      }
    }
  }

  /** The columns of a table, in order, or an error if it is gone. */
  static int[] keyIndexes(TableShape shape, List<ColumnInfo> columns) {
    Map<String, Integer> indexByName = new HashMap<>();
    for (int i = 0; i < columns.size(); i++) {
      indexByName.put(columns.get(i).name(), i);
    }
    int[] keyIndexes = new int[shape.keyColumns().size()];
    for (int k = 0; k < keyIndexes.length; k++) {
      Integer idx = indexByName.get(shape.keyColumns().get(k));
      if (idx == null) {
        throw new IllegalStateException(
            "key column "
                + shape.keyColumns().get(k)
                + " of "
                + shape.qualifiedName()
                + " is gone");
      }
      keyIndexes[k] = idx;
    }
    return keyIndexes;
  }

  static @Nullable Object decodeLenient(
      ColumnValueDecoder decoder, ColumnInfo col, @Nullable String text) {
    try {
      return decoder.decode(col.typeOid(), col.typmod(), text);
    } catch (RetriableException e) {
      throw e;
    } catch (RuntimeException e) {
      // Same rule as the stream: an undecodable value is kept as its text rather than losing the
      // row.
      return text;
    }
  }

  /** The parts of a key id built by {@link DocumentKey#composite}. */
  static List<String> keyParts(String id, int expected) {
    List<String> parts = DocumentKey.of("key", id).parts(expected);
    if (parts.size() != expected) {
      throw new IllegalArgumentException(
          "key id '" + id + "' has " + parts.size() + " parts, the table's key has " + expected);
    }
    return parts;
  }

  record ColumnInfo(String name, int typeOid, int typmod, String sqlType) {}

  static List<ColumnInfo> columns(Connection c, TableShape shape) throws SQLException {
    List<ColumnInfo> columns = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT a.attname, a.atttypid, a.atttypmod, format_type(a.atttypid, a.atttypmod)"
                + " FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid"
                + " JOIN pg_namespace n ON n.oid = cl.relnamespace"
                + " WHERE n.nspname = ? AND cl.relname = ? AND a.attnum > 0 AND NOT a.attisdropped"
                + " ORDER BY a.attnum")) {
      ps.setString(1, shape.schema());
      ps.setString(2, shape.table());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          columns.add(new ColumnInfo(rs.getString(1), rs.getInt(2), rs.getInt(3), rs.getString(4)));
        }
      }
    }
    if (columns.isEmpty()) {
      throw new IllegalStateException("table " + shape.qualifiedName() + " no longer exists");
    }
    return columns;
  }

  private Connection connection() throws Exception {
    Connection c = connection;
    if (c == null || c.isClosed()) {
      c = openReader(connector, "a repair read");
      connection = c;
    }
    return c;
  }

  /**
   * A connection for consistent reads: text rendered as the replication stream renders it, every
   * transaction REPEATABLE READ READ ONLY. A failure to connect is retriable.
   *
   * @param purpose what the connection is for, for the error message
   */
  static Connection openReader(Callable<Connection> connector, String purpose) throws Exception {
    Connection c = open(connector, purpose);
    TextRendering.apply(c);
    readOnlySnapshots(c);
    return c;
  }

  private static Connection open(Callable<Connection> connector, String purpose) throws Exception {
    try {
      return connector.call();
    } catch (SQLException e) {
      throw new RetriableException("could not connect for " + purpose + ": " + e.getMessage(), e);
    }
  }

  /**
   * Every transaction of {@code c} becomes REPEATABLE READ READ ONLY: what works on a standby, and
   * what makes one snapshot serve the snapshot statement and the reads after it.
   */
  static void readOnlySnapshots(Connection c) throws SQLException {
    c.setAutoCommit(false);
    c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    c.setReadOnly(true);
  }

  private Connection checkConnection() throws Exception {
    Connection c = checkConnection;
    if (c == null || c.isClosed()) {
      c = open(connector, "a repair read");
      checkConnection = c;
    }
    return c;
  }

  synchronized void closeConnection() {
    ReplicationSetup.closeQuietly(checkConnection);
    checkConnection = null;
    ReplicationSetup.closeQuietly(connection); // a new one is opened on the next read
    connection = null;
  }

  static boolean isConnectionProblem(SQLException e) {
    String state = e.getSQLState();
    return state == null
        || state.startsWith("08")
        || state.startsWith("57P")
        || state.startsWith("53");
  }
}
