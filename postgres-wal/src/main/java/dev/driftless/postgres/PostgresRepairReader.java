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
 * <p>Version rule (first version): each read first takes {@code pg_current_wal_lsn()} in one
 * statement, then reads the rows in the next statement (a newer snapshot). Every change the rows do
 * not show committed after that snapshot, so its commit LSN is above the version, except in one
 * narrow race: a transaction whose commit record was written before the LSN was read but which was
 * not yet visible when the rows were read. Its change would then be older than the repair's version
 * and refused by the index until the key changes again. The backfill work replaces this with the
 * snapshot-xid rule of DESIGN §5, which closes the race.
 *
 * <p>Thread-safe (calls are serialised on the one connection); blocks on I/O. Connection failures
 * are thrown as {@link RetriableException}, after which the next call reconnects.
 */
final class PostgresRepairReader implements RepairReader {

  private final Callable<Connection> connector;
  private final ColumnValueDecoder decoder;
  private final Clock clock;
  private volatile Map<String, TableShape> shapesByCollection = Map.of();
  private @Nullable Connection connection;

  PostgresRepairReader(Callable<Connection> connector, ColumnValueDecoder decoder, Clock clock) {
    this.connector = connector;
    this.decoder = decoder;
    this.clock = clock;
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
      long lsn =
          LsnPosition.parseLsn(ReplicationSetup.single(c, "SELECT pg_current_wal_lsn()::text"));
      Version version = Version.of(lsn);
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
      String[][] parts = new String[keyIndexes.length][keys.size()];
      for (int i = 0; i < keys.size(); i++) {
        List<String> p = keyParts(keys.get(i).id(), keyIndexes.length);
        for (int k = 0; k < keyIndexes.length; k++) {
          parts[k][i] = p.get(k);
        }
      }
      Map<String, Document> found = new HashMap<>();
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
              fields.put(col.name(), decodeLenient(col.typeOid(), col.typmod(), texts[i]));
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

  private @Nullable Object decodeLenient(int typeOid, int typmod, @Nullable String text) {
    try {
      return decoder.decode(typeOid, typmod, text);
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
    if (expected == 1) {
      return List.of(id);
    }
    List<String> parts = new ArrayList<>(expected);
    StringBuilder current = new StringBuilder();
    for (int i = 0; i < id.length(); i++) {
      char ch = id.charAt(i);
      if (ch == '\\' && i + 1 < id.length()) {
        current.append(id.charAt(++i));
      } else if (ch == ',') {
        parts.add(current.toString());
        current.setLength(0);
      } else {
        current.append(ch);
      }
    }
    parts.add(current.toString());
    if (parts.size() != expected) {
      throw new IllegalArgumentException(
          "key id '" + id + "' has " + parts.size() + " parts, the table's key has " + expected);
    }
    return parts;
  }

  private record ColumnInfo(String name, int typeOid, int typmod, String sqlType) {}

  private static List<ColumnInfo> columns(Connection c, TableShape shape) throws SQLException {
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
      try {
        c = connector.call();
      } catch (SQLException e) {
        throw new RetriableException("could not connect for a repair read: " + e.getMessage(), e);
      }
      TextRendering.apply(c);
      connection = c;
    }
    return c;
  }

  synchronized void closeConnection() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // already broken; a new one is opened on the next read
      }
    }
  }

  static boolean isConnectionProblem(SQLException e) {
    String state = e.getSQLState();
    return state == null
        || state.startsWith("08")
        || state.startsWith("57P")
        || state.startsWith("53");
  }
}
