package dev.driftless.postgres.internal;

import dev.driftless.core.Document;
import dev.driftless.core.RetriableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;

/**
 * Reads rows in snapshots, the one way the backfill and the repair reader both do: a connection of
 * its own (never the replication connection) opened on demand, where every transaction is {@code
 * REPEATABLE READ READ ONLY} (so it works on a standby, and the snapshot statement and the reads
 * after it share one snapshot) and text is rendered as the replication stream renders it; the
 * table's columns from the catalog; each row turned into its key and document by {@link
 * RowDocument}. The statements come from {@link RowSql}. The version rule is the callers' ({@link
 * RecentCommits}). Not thread-safe: each caller has its own and serialises its use.
 */
final class SnapshotReader {

  /** A column as the catalog describes it. */
  record ColumnInfo(String name, int typeOid, int typmod, String sqlType) {}

  /** A table's columns in order, the positions of its key columns among them, and for documents. */
  record Columns(List<ColumnInfo> columns, int[] keyIndexes, List<RowDocument.Column> document) {
    Columns(TableShape shape, List<ColumnInfo> columns) {
      this(columns, SnapshotReader.keyIndexes(shape, columns), documentColumns(columns));
    }
  }

  /** Receives each row read: its key's parts and its document, or why it is unreadable. */
  @FunctionalInterface
  interface Rows {
    void row(List<String> keyParts, @Nullable Document document, @Nullable UnreadableChange failure)
        throws SQLException;
  }

  private final Callable<Connection> connector;
  private final String purpose;
  private final ColumnValueDecoder values;
  private @Nullable Connection connection;

  /**
   * @param purpose what the reads are for, for the error message when connecting fails
   */
  SnapshotReader(Callable<Connection> connector, String purpose, ColumnValueDecoder values) {
    this.connector = connector;
    this.purpose = purpose;
    this.values = values;
  }

  /**
   * The connection, opened if needed.
   *
   * @throws RetriableException if connecting fails
   */
  Connection connection() throws Exception {
    Connection c = connection;
    if (c == null || c.isClosed()) {
      try {
        c = connector.call();
      } catch (SQLException e) {
        throw new RetriableException("could not connect for " + purpose + ": " + e.getMessage(), e);
      }
      TextRendering.apply(c);
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      c.setReadOnly(true);
      connection = c;
    }
    return c;
  }

  /** Starts a transaction and returns its snapshot (its first statement fixes it). */
  TxSnapshot begin() throws Exception {
    try (PreparedStatement ps =
            connection().prepareStatement("SELECT pg_current_snapshot()::text");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return TxSnapshot.parse(rs.getString(1));
    }
  }

  /** The table's columns, in order (generated columns left out: the stream never has them). */
  Columns columns(TableShape shape) throws Exception {
    List<ColumnInfo> columns = new ArrayList<>();
    try (PreparedStatement ps =
        connection()
            .prepareStatement(
                "SELECT a.attname, a.atttypid, a.atttypmod, format_type(a.atttypid, a.atttypmod)"
                    + " FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid"
                    + " JOIN pg_namespace n ON n.oid = cl.relnamespace"
                    + " WHERE n.nspname = ? AND cl.relname = ? AND a.attnum > 0"
                    + " AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum")) {
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
    return new Columns(shape, columns);
  }

  /**
   * Runs a prepared SELECT of {@link RowSql} (every column as text, in the order of {@code
   * columns}) and hands each row to {@code rows}.
   */
  void read(PreparedStatement ps, TableShape shape, Columns columns, Rows rows)
      throws SQLException {
    List<ColumnInfo> cols = columns.columns();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        @Nullable String[] texts = new String[cols.size()];
        for (int i = 0; i < cols.size(); i++) {
          texts[i] = rs.getString(i + 1);
        }
        List<String> keyText = new ArrayList<>(columns.keyIndexes().length);
        for (int k : columns.keyIndexes()) {
          keyText.add(String.valueOf(texts[k]));
        }
        Document document;
        try {
          document = RowDocument.of(shape.qualifiedName(), columns.document(), texts, values);
        } catch (UnreadableChange u) {
          rows.row(keyText, null, u);
          continue;
        }
        rows.row(keyText, document, null);
      }
    }
  }

  /** Ends the current transaction, keeping the connection if it can be kept. */
  void rollbackQuietly() {
    Connection c = connection;
    if (c != null) {
      try {
        c.rollback();
      } catch (SQLException ignored) {
        // the connection is closed by the caller
      }
    }
  }

  void close() {
    ReplicationSetup.closeQuietly(connection); // a new one is opened on the next read
    connection = null;
  }

  /** The positions of the key columns among {@code columns}, or an error if one is gone. */
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

  private static List<RowDocument.Column> documentColumns(List<ColumnInfo> columns) {
    List<RowDocument.Column> out = new ArrayList<>(columns.size());
    for (ColumnInfo c : columns) {
      out.add(new RowDocument.Column(c.name(), c.typeOid(), c.typmod()));
    }
    return out;
  }

  /** Whether a failure is the connection's or the server's state, not the statement's. */
  static boolean isConnectionProblem(SQLException e) {
    String state = e.getSQLState();
    return state == null
        || state.startsWith("08")
        || state.startsWith("57P")
        || state.startsWith("53");
  }

  /** SQLSTATE class 22: a value that is not valid for its type. */
  static boolean isDataException(SQLException e) {
    String state = e.getSQLState();
    return state != null && state.startsWith("22");
  }
}
