package dev.driftless.postgres.reconcile;

import dev.driftless.postgres.internal.reconcile.FingerprintSql;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which table holds a collection's rows, and how {@link PostgresFingerprintReader} keys and
 * fingerprints them. Immutable and thread-safe.
 *
 * <ul>
 *   <li><b>key columns</b>: by default the table's replica identity index if it has one ({@code
 *       REPLICA IDENTITY USING INDEX}), else its primary key, in index column order, read from the
 *       catalog at each call: the columns the replication source keys documents by. A composite key
 *       renders as {@link dev.driftless.core.DocumentKey#composite} does.
 *   <li><b>columns</b>: the published columns the row fingerprint covers, by default every column
 *       that logical replication publishes (all but dropped and generated ones). Configured columns
 *       are rendered in the table's column order ({@code attnum}), whatever order they are given
 *       in, because that is the order the replication stream carries them in.
 *   <li><b>version column</b>: optional; when set, the row fingerprint is derived from this column
 *       alone (see {@link PostgresFingerprintReader}) and {@code columns} must not be set.
 * </ul>
 *
 * <p>Names are identifiers as stored in the catalog (case-sensitive, unquoted): {@code "Orders"}
 * names the table created as {@code "Orders"}, {@code "orders"} the one created as {@code Orders}
 * or {@code orders}. They are always quoted when put into SQL, so any name is safe.
 */
public final class TableMapping {

  private final String collection;
  private final String schema;
  private final String table;
  private final List<String> keyColumns;
  private final List<String> columns;
  private final @Nullable String versionColumn;

  private TableMapping(Builder b, String schema, String table) {
    this.collection = b.collection;
    this.schema = schema;
    this.table = table;
    this.keyColumns = List.copyOf(b.keyColumns);
    this.columns = List.copyOf(b.columns);
    this.versionColumn = b.versionColumn;
  }

  /**
   * A mapping of {@code collection} to be completed with at least {@link Builder#table}.
   *
   * @throws IllegalArgumentException if {@code collection} is blank
   */
  public static Builder builder(String collection) {
    return new Builder(collection);
  }

  /**
   * Maps {@code schema.table} with default keys and columns, under the collection name the
   * replication source gives it: the table's name in schema {@code public}, else {@code
   * schema.table}.
   */
  public static TableMapping of(String schema, String table) {
    FingerprintSql.checkIdentifier("schema", schema);
    FingerprintSql.checkIdentifier("table", table);
    return builder("public".equals(schema) ? table : schema + "." + table)
        .table(schema, table)
        .build();
  }

  /** The collection this table's rows belong to, as the {@code FingerprintReader} calls name it. */
  public String collection() {
    return collection;
  }

  public String schema() {
    return schema;
  }

  public String table() {
    return table;
  }

  /** The configured key columns in key order; empty means "from the catalog". */
  public List<String> keyColumns() {
    return keyColumns;
  }

  /** The configured fingerprinted columns; empty means "every published column". */
  public List<String> columns() {
    return columns;
  }

  /** The version column, if the row fingerprint is derived from one. */
  public Optional<String> versionColumn() {
    return Optional.ofNullable(versionColumn);
  }

  @Override
  public String toString() {
    return collection + " -> " + schema + "." + table;
  }

  /** Configures a {@link TableMapping}. Not thread-safe. */
  public static final class Builder {
    private final String collection;
    private @Nullable String schema;
    private @Nullable String table;
    private List<String> keyColumns = List.of();
    private List<String> columns = List.of();
    private @Nullable String versionColumn;

    private Builder(String collection) {
      Objects.requireNonNull(collection, "collection");
      if (collection.isBlank()) {
        throw new IllegalArgumentException("collection must not be blank");
      }
      this.collection = collection;
    }

    /** The table holding the rows. Required. */
    public Builder table(String schema, String table) {
      FingerprintSql.checkIdentifier("schema", schema);
      FingerprintSql.checkIdentifier("table", table);
      this.schema = schema;
      this.table = table;
      return this;
    }

    /**
     * The columns that key the rows, in key order (at least one, no duplicates). By default the
     * replica identity index's or primary key's columns, read from the catalog.
     */
    public Builder keyColumns(String... keyColumns) {
      this.keyColumns = distinctIdentifiers("keyColumns", keyColumns);
      return this;
    }

    /**
     * The columns the row fingerprint covers (at least one, no duplicates). By default every column
     * logical replication publishes.
     */
    public Builder columns(String... columns) {
      this.columns = distinctIdentifiers("columns", columns);
      return this;
    }

    /**
     * A column ({@code updated_at}, {@code row_version}) whose value changes whenever the row does;
     * the row fingerprint is then derived from it alone. Cheaper to read: an index on the key and
     * this column makes every reconciliation query index-only.
     */
    public Builder versionColumn(String versionColumn) {
      FingerprintSql.checkIdentifier("versionColumn", versionColumn);
      this.versionColumn = versionColumn;
      return this;
    }

    /**
     * @throws IllegalStateException if the table is missing, or both columns and a version column
     *     are set
     */
    public TableMapping build() {
      String s = schema;
      String t = table;
      if (s == null || t == null) {
        throw new IllegalStateException("table is required for collection " + collection);
      }
      if (versionColumn != null && !columns.isEmpty()) {
        throw new IllegalStateException(
            "columns and versionColumn are exclusive (collection "
                + collection
                + "): with a version column the row fingerprint covers that column only");
      }
      return new TableMapping(this, s, t);
    }

    private static List<String> distinctIdentifiers(String setting, String[] names) {
      Objects.requireNonNull(names, setting);
      if (names.length == 0) {
        throw new IllegalArgumentException(setting + " must name at least one column");
      }
      List<String> out = new ArrayList<>(names.length);
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < names.length; i++) {
        String name = names[i];
        FingerprintSql.checkIdentifier(setting + "[" + i + "]", name);
        if (!seen.add(name)) {
          throw new IllegalArgumentException(setting + " names column " + name + " twice");
        }
        out.add(name);
      }
      return out;
    }
  }
}
