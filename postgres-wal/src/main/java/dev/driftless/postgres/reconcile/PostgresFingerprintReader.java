package dev.driftless.postgres.reconcile;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.RetriableException;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.postgres.PostgresDatabase;
import dev.driftless.postgres.internal.reconcile.FingerprintCatalog;
import dev.driftless.postgres.internal.reconcile.FingerprintSql;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The PostgreSQL side of reconciliation: computes, in SQL, the numbers {@link Fingerprints}
 * defines, so that {@link dev.driftless.core.Reconciler} can compare a table with its index without
 * reading the table over the wire.
 *
 * <h2>What is computed</h2>
 *
 * <ul>
 *   <li>The <b>key id</b> of a row is what the replication source uses for {@code
 *       DocumentKey.id()}: a single key column's text, or the key columns' texts escaped and joined
 *       as {@link DocumentKey#composite} does. Rows whose key id would be NULL or empty are skipped
 *       (the replication source cannot key them either).
 *   <li>The <b>row fingerprint</b> covers the {@linkplain TableMapping mapped} columns in column
 *       order, each rendered as its type's output function prints it — the text logical replication
 *       sends — as {@link Fingerprints#row} defines. With a {@linkplain
 *       TableMapping.Builder#versionColumn version column} it is instead the first 8 bytes of the
 *       MD5 of that column's text ({@code "~"} for NULL), i.e. {@code Fingerprints.keyHash(text)}:
 *       then only a change of the version column is detected, and the index side must store the
 *       same number.
 *   <li>{@link #summarize} is one scan of the table however many ranges it is asked for; {@link
 *       #list} is one scan returning the ranges' keys, fetched {@linkplain Builder#fetchSize in
 *       pages}. Neither uses an index on the bucket (text output is not immutable, so it cannot be
 *       indexed), but in version-column mode an index holding the key and version columns lets both
 *       be index-only scans. {@link #read} finds its keys through the table's key index.
 * </ul>
 *
 * <h2>Session settings</h2>
 *
 * Text output depends on settings, so each call sets, for its own transaction only ({@code SET
 * LOCAL}): {@code TimeZone = 'UTC'}, {@code DateStyle = 'ISO, MDY'}, {@code IntervalStyle =
 * 'postgres'}, {@code extra_float_digits = 1} (shortest exact output since PostgreSQL 12, the same
 * text as pgJDBC's default of 3), {@code bytea_output = 'hex'}. <b>The replication connection must
 * render with the same settings</b>, or every row whose text depends on them (a {@code
 * timestamptz}, an {@code interval}) reads as stale. The database must be {@code UTF8}-encoded
 * (checked): MD5 is taken over the text's bytes.
 *
 * <h2>Guarantees</h2>
 *
 * Each call runs in its own {@code REPEATABLE READ READ ONLY} transaction on a connection borrowed
 * for that call (from the {@link DataSource}, or opened from the JDBC URL and closed after), so it
 * works on a hot-standby replica and writes nothing; the catalog is read at each call, so a column
 * added to the table is covered at once. Thread-safe; every call blocks on I/O. Connection
 * failures, timeouts, serialization failures and standby conflicts are thrown as {@link
 * RetriableException}; anything else (a missing table or column, no privilege) as {@link
 * DriftlessException} naming the table.
 */
public final class PostgresFingerprintReader implements FingerprintReader {

  /** The most sub-ranges one summary may have: keeps the sub-range arithmetic exact in bigint. */
  public static final int MAX_SPLITS = 1 << 20;

  // The settings the replication stream renders text with, for this transaction only.
  private static final String SESSION =
      dev.driftless.postgres.internal.TextRendering.SETTINGS.replace("SET ", "SET LOCAL ");

  private static final int ROW_OVERHEAD_BYTES = 7;
  private static final int FIELD_OVERHEAD_BYTES = 4;

  private final ConnectionSource connections;
  private final Map<String, TableMapping> tables;
  private final int fetchSize;
  private final Duration statementTimeout;
  private final AtomicLong bytes = new AtomicLong();

  private PostgresFingerprintReader(Builder b, ConnectionSource connections) {
    this.connections = connections;
    this.tables = Map.copyOf(b.tables);
    this.fetchSize = b.fetchSize;
    this.statementTimeout = b.statementTimeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The collections this reader maps, each to its table. */
  public Map<String, TableMapping> tables() {
    return tables;
  }

  /**
   * {@inheritDoc}
   *
   * <p>One statement, one scan of the table.
   *
   * @throws IllegalArgumentException if the collection is not mapped or {@code splits} is not in
   *     {@code [1, MAX_SPLITS]}
   */
  @Override
  public List<BucketSummary> summarize(String collection, BucketRange range, int splits) {
    Objects.requireNonNull(range, "range");
    return summarize(collection, List.of(range), splits);
  }

  /**
   * {@inheritDoc}
   *
   * <p>One statement, one scan of the table however many ranges there are: each row's range is
   * found by binary search over the ranges' starts, and only rows inside a range are rendered and
   * hashed.
   *
   * @throws IllegalArgumentException if the collection is not mapped, {@code splits} is not in
   *     {@code [1, MAX_SPLITS]} or two ranges overlap
   */
  @Override
  public List<BucketSummary> summarize(String collection, List<BucketRange> ranges, int splits) {
    if (splits < 1 || splits > MAX_SPLITS) {
      throw new IllegalArgumentException(
          "splits must be in [1, " + MAX_SPLITS + "], was " + splits);
    }
    List<BucketRange> sorted = BucketRange.disjointSorted(ranges);
    TableMapping mapping = mapping(collection);
    if (sorted.isEmpty()) {
      return List.of();
    }
    return inTransaction(
        mapping,
        (c, query) -> {
          String sql = FingerprintSql.summarize(query, sorted, splits);
          List<BucketSummary> out = new ArrayList<>();
          try (Statement s = c.createStatement()) {
            count(sql);
            try (ResultSet rs = s.executeQuery(sql)) {
              while (rs.next()) {
                BucketRange range = sorted.get(rs.getInt(1) - 1);
                int i = rs.getInt(2);
                out.add(
                    new BucketSummary(
                        new BucketRange(
                            Fingerprints.boundary(range.from(), range.to(), splits, i),
                            Fingerprints.boundary(range.from(), range.to(), splits, i + 1)),
                        rs.getLong(3),
                        rs.getLong(4),
                        rs.getLong(5),
                        rs.getLong(6)));
                bytes.addAndGet(ROW_OVERHEAD_BYTES + 6L * FIELD_OVERHEAD_BYTES + 2L * 4 + 4L * 8);
              }
            }
          }
          return out;
        });
  }

  /**
   * {@inheritDoc}
   *
   * <p>Keys come ordered by their UTF-8 bytes ({@code COLLATE "C"}), the order of the index's
   * keyword sort. The fingerprint is the row fingerprint; no version is known.
   */
  @Override
  public List<KeyFingerprint> list(String collection, BucketRange range) {
    Objects.requireNonNull(range, "range");
    return list(collection, List.of(range));
  }

  /**
   * {@inheritDoc}
   *
   * <p>One statement, one scan of the table however many ranges there are. Keys come ordered by
   * their UTF-8 bytes ({@code COLLATE "C"}); the fingerprint is the row fingerprint; no version is
   * known.
   */
  @Override
  public List<KeyFingerprint> list(String collection, List<BucketRange> ranges) {
    List<BucketRange> sorted = BucketRange.disjointSorted(ranges);
    TableMapping mapping = mapping(collection);
    if (sorted.isEmpty()) {
      return List.of();
    }
    return inTransaction(
        mapping,
        (c, query) -> {
          String sql = FingerprintSql.list(query, sorted);
          try (Statement s = c.createStatement()) {
            // Outside autocommit pgJDBC fetches through a portal, fetchSize rows at a time.
            s.setFetchSize(fetchSize);
            count(sql);
            try (ResultSet rs = s.executeQuery(sql)) {
              return keys(collection, rs);
            }
          }
        });
  }

  /**
   * {@inheritDoc}
   *
   * <p>One statement: the ids' parts are cast to the key columns' types so that the table's key
   * index finds the rows. If an id is not a value of the key's type (a phantom id like {@code "x"}
   * for an integer key: such a row cannot exist), the cast fails and the statement is run again
   * without it, scanning the table.
   */
  @Override
  public List<KeyFingerprint> read(String collection, Collection<String> ids) {
    List<String> unique = List.copyOf(new LinkedHashSet<>(ids));
    TableMapping mapping = mapping(collection);
    if (unique.isEmpty()) {
      return List.of();
    }
    return inTransaction(
        mapping,
        (c, query) -> {
          int keyColumns = query.keyColumns().size();
          List<String[]> parts = new ArrayList<>();
          for (int k = 0; k < keyColumns; k++) {
            parts.add(new String[unique.size()]);
          }
          boolean byKey = true;
          for (int i = 0; i < unique.size() && byKey; i++) {
            List<String> p = DocumentKey.of(collection, unique.get(i)).parts(keyColumns);
            if (p.size() != keyColumns) {
              byKey = false; // an id of another shape matches no row; let the scan say so
              break;
            }
            for (int k = 0; k < keyColumns; k++) {
              parts.get(k)[i] = p.get(k);
            }
          }
          if (byKey) {
            Savepoint beforeCast = c.setSavepoint();
            try {
              return read(c, FingerprintSql.read(query, true), collection, parts, unique);
            } catch (SQLException e) {
              String state = e.getSQLState();
              if (state == null || !state.startsWith("22")) {
                throw e;
              }
              c.rollback(beforeCast);
            }
          }
          return read(c, FingerprintSql.read(query, false), collection, List.of(), unique);
        });
  }

  private List<KeyFingerprint> read(
      Connection c, String sql, String collection, List<String[]> parts, List<String> ids)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setFetchSize(fetchSize);
      int p = 1;
      for (String[] part : parts) {
        ps.setArray(p++, c.createArrayOf("text", part));
        countTexts(part);
      }
      String[] all = ids.toArray(new String[0]);
      ps.setArray(p, c.createArrayOf("text", all));
      countTexts(all);
      count(sql);
      try (ResultSet rs = ps.executeQuery()) {
        return keys(collection, rs);
      }
    }
  }

  private List<KeyFingerprint> keys(String collection, ResultSet rs) throws SQLException {
    List<KeyFingerprint> out = new ArrayList<>();
    while (rs.next()) {
      String id = rs.getString(1);
      long fingerprint = rs.getLong(2);
      out.add(
          new KeyFingerprint(new DocumentKey(collection, id), fingerprint, OptionalLong.empty()));
      bytes.addAndGet(
          ROW_OVERHEAD_BYTES
              + 2L * FIELD_OVERHEAD_BYTES
              + id.getBytes(StandardCharsets.UTF_8).length
              + Long.BYTES);
    }
    return out;
  }

  private void countTexts(String[] texts) {
    long n = 0;
    for (String t : texts) {
      n += FIELD_OVERHEAD_BYTES + t.getBytes(StandardCharsets.UTF_8).length;
    }
    bytes.addAndGet(n);
  }

  /**
   * Approximate bytes moved: the UTF-8 length of every statement sent plus, per result row, its
   * fields and the protocol's framing. Catalog look-ups count as the statements they are.
   */
  @Override
  public long bytesRead() {
    return bytes.get();
  }

  private TableMapping mapping(String collection) {
    Objects.requireNonNull(collection, "collection");
    TableMapping m = tables.get(collection);
    if (m == null) {
      throw new IllegalArgumentException(
          "collection '" + collection + "' is not mapped to a table; mapped: " + tables.keySet());
    }
    return m;
  }

  private void count(String sql) {
    bytes.addAndGet(sql.getBytes(StandardCharsets.UTF_8).length);
  }

  /** The work of one call, given the connection inside its transaction and what to read. */
  private interface Work<T> {
    T run(Connection c, FingerprintSql.Query query) throws SQLException;
  }

  private <T> T inTransaction(TableMapping mapping, Work<T> work) {
    String what = mapping.schema() + "." + mapping.table();
    Connection c;
    try {
      c = connections.open();
    } catch (SQLException e) {
      throw failure("connecting to read " + what, e);
    }
    try {
      boolean autoCommit = c.getAutoCommit();
      try {
        if (!autoCommit) {
          c.rollback(); // start from a fresh transaction, whatever the connection was doing
        }
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
          String begin = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";
          s.execute(begin);
          s.execute(SESSION);
          count(begin + SESSION);
          if (!statementTimeout.isZero()) {
            String timeout =
                "SET LOCAL statement_timeout = " + statementTimeout.toMillis(); // a long: safe
            s.execute(timeout);
            count(timeout);
          }
        }
        count(FingerprintCatalog.SQL);
        return work.run(
            c,
            FingerprintCatalog.query(
                c,
                mapping,
                columns ->
                    bytes.addAndGet(
                        ROW_OVERHEAD_BYTES + 7L * FIELD_OVERHEAD_BYTES + 48L * columns)));
      } finally {
        try {
          // Read-only: nothing to keep; a pooled connection goes back as it came.
          c.rollback();
          c.setAutoCommit(autoCommit);
        } catch (SQLException ignored) {
          // The connection is closed below; a broken one is the pool's to discard.
        }
      }
    } catch (SQLException e) {
      throw failure("reading " + what, e);
    } finally {
      try {
        c.close();
      } catch (SQLException ignored) {
        // Nothing was written; a failed close loses nothing.
      }
    }
  }

  private static DriftlessException failure(String doing, SQLException e) {
    String state = e.getSQLState();
    String message = doing + " failed: " + e.getMessage() + " (SQLSTATE " + state + ")";
    if (state != null
        && (state.startsWith("08") // connection exception
            || state.startsWith("40") // serialization failure, deadlock, standby conflict
            || state.startsWith("53") // insufficient resources
            || state.startsWith("57P") // shutdown, cannot connect now
            || state.equals("57014"))) { // statement timeout, cancel
      return new RetriableException(message, e);
    }
    return new DriftlessException(message, e);
  }

  /** Where connections come from. */
  private interface ConnectionSource {
    Connection open() throws SQLException;
  }

  /**
   * Configures a {@link PostgresFingerprintReader}. Setters check their argument at once ({@link
   * NullPointerException} naming it, {@link IllegalArgumentException} for a bad value); {@link
   * #build()} checks the combination ({@link IllegalStateException}). Not thread-safe.
   */
  public static final class Builder {
    private @Nullable PostgresDatabase database;
    private final Map<String, TableMapping> tables = new HashMap<>();
    private int fetchSize = 10_000;
    private Duration statementTimeout = Duration.ZERO;

    private Builder() {}

    /**
     * The database to read, the one given to the source ({@link
     * dev.driftless.postgres.PostgresSource#database()}) or a replica of it: one connection per
     * call, borrowed from its {@code DataSource} if it has one, else opened from its URL and closed
     * after. Required.
     */
    public Builder database(PostgresDatabase database) {
      this.database = Objects.requireNonNull(database, "database");
      return this;
    }

    /**
     * Maps a collection to its table. At least one is required.
     *
     * @throws IllegalArgumentException if the collection is mapped already
     */
    public Builder table(TableMapping mapping) {
      Objects.requireNonNull(mapping, "mapping");
      if (tables.containsKey(mapping.collection())) {
        throw new IllegalArgumentException(
            "collection " + mapping.collection() + " is mapped twice");
      }
      tables.put(mapping.collection(), mapping);
      return this;
    }

    /** Maps {@code schema.table} with defaults, as {@link TableMapping#of} does. */
    public Builder table(String schema, String table) {
      return table(TableMapping.of(schema, table));
    }

    /** Rows fetched per round trip while listing, 1 to 1,000,000. Default 10,000. */
    public Builder fetchSize(int rows) {
      if (rows < 1 || rows > 1_000_000) {
        throw new IllegalArgumentException("fetchSize must be in [1, 1000000], was " + rows);
      }
      this.fetchSize = rows;
      return this;
    }

    /**
     * The longest one statement may run, 0 (no limit, the default) to 24 h; a statement that runs
     * longer fails with a {@link RetriableException}.
     */
    public Builder statementTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "statementTimeout");
      if (timeout.isNegative() || timeout.compareTo(Duration.ofHours(24)) > 0) {
        throw new IllegalArgumentException("statementTimeout must be in [0, 24h], was " + timeout);
      }
      this.statementTimeout = timeout;
      return this;
    }

    /**
     * @throws IllegalStateException if no database is set or no table is mapped
     */
    public PostgresFingerprintReader build() {
      PostgresDatabase db = database;
      if (db == null) {
        throw new IllegalStateException("database must be set");
      }
      if (tables.isEmpty()) {
        throw new IllegalStateException("map at least one table");
      }
      ConnectionSource source;
      if (db.dataSource().isPresent()) {
        source = db::connect;
      } else {
        Properties props = new Properties();
        props.setProperty("ApplicationName", "driftless-reconcile");
        source = () -> db.connect(props);
      }
      return new PostgresFingerprintReader(this, source);
    }
  }
}
