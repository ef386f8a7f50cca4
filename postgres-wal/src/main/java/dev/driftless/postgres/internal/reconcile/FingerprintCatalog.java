package dev.driftless.postgres.internal.reconcile;

import dev.driftless.core.DriftlessException;
import dev.driftless.postgres.reconcile.TableMapping;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * The catalog look-up of {@link dev.driftless.postgres.reconcile.PostgresFingerprintReader}: turns
 * a {@link TableMapping} into the {@link FingerprintSql.Query} its statements are built from.
 * Stateless.
 */
public final class FingerprintCatalog {
  // One round trip: the table, its columns in attnum order (attgenerated: PostgreSQL 12+; logical
  // replication leaves generated columns out by default) and the key the source uses (the replica
  // identity index under REPLICA IDENTITY USING INDEX, else the primary key, in index order).
  public static final String SQL =
      "SELECT has_table_privilege(c.oid, 'SELECT'), current_setting('server_encoding'),"
          + " ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid"
          + "  AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),"
          + " ARRAY(SELECT a.attgenerated = '' FROM pg_attribute a WHERE a.attrelid = c.oid"
          + "  AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),"
          // Whether v::text prints what the output function prints: no domain (a domain's cast is
          // its base type's) and no cast to text by a function (boolean, char(n), inet, ...).
          + " ARRAY(SELECT t.typtype <> 'd' AND NOT EXISTS (SELECT 1 FROM pg_cast pc"
          + "  WHERE pc.castsource = a.atttypid AND pc.casttarget = 'text'::regtype"
          + "  AND pc.castmethod = 'f') FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
          + "  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),"
          + " ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
          + "  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),"
          + " ARRAY(SELECT a.attname::text FROM pg_index i"
          + "  CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)"
          + "  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
          + "  WHERE i.indrelid = c.oid AND (CASE WHEN c.relreplident = 'i'"
          + "   THEN i.indisreplident ELSE i.indisprimary END) ORDER BY k.ord)"
          + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p', 'v', 'm', 'f')";

  private FingerprintCatalog() {}

  /**
   * What to read of {@code mapping}'s table: its key (configured, else the replica identity index,
   * else the primary key), the columns to fingerprint (configured, else every published column in
   * order) or the version column, and how each renders as text; checks that the role may read the
   * table and that the database is UTF-8. One round trip; {@code catalogRow} is told the number of
   * columns read, for the byte count.
   *
   * @throws DriftlessException naming the table or the setting when something does not fit
   */
  public static FingerprintSql.Query query(
      Connection c, TableMapping mapping, IntConsumer catalogRow) throws SQLException {
    String what = mapping.schema() + "." + mapping.table();
    // Every column, and whether logical replication publishes it.
    Map<String, Boolean> published = new LinkedHashMap<>();
    Set<String> plainCast = new HashSet<>();
    Map<String, String> typeOf = new HashMap<>();
    List<String> key = mapping.keyColumns();
    try (PreparedStatement ps = c.prepareStatement(SQL)) {
      ps.setString(1, mapping.schema());
      ps.setString(2, mapping.table());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new DriftlessException(
              "table " + what + " (collection " + mapping.collection() + ") does not exist");
        }
        if (!rs.getBoolean(1)) {
          throw new DriftlessException(
              "the connected role may not read "
                  + what
                  + ": GRANT SELECT ON "
                  + FingerprintSql.quote(mapping.schema())
                  + "."
                  + FingerprintSql.quote(mapping.table())
                  + " TO <role>");
        }
        String encoding = rs.getString(2);
        if (!"UTF8".equals(encoding)) {
          throw new DriftlessException(
              "the database's encoding is "
                  + encoding
                  + "; fingerprints hash UTF-8 text, so reconciliation needs a UTF8 database");
        }
        String[] names = (String[]) rs.getArray(3).getArray();
        Boolean[] publishedFlags = (Boolean[]) rs.getArray(4).getArray();
        for (int i = 0; i < names.length; i++) {
          published.put(names[i], publishedFlags[i]);
        }
        Boolean[] plainFlags = (Boolean[]) rs.getArray(5).getArray();
        for (int i = 0; i < names.length; i++) {
          if (plainFlags[i]) {
            plainCast.add(names[i]);
          }
        }
        String[] types = (String[]) rs.getArray(6).getArray();
        for (int i = 0; i < names.length; i++) {
          typeOf.put(names[i], types[i]);
        }
        if (key.isEmpty()) {
          key = List.of((String[]) rs.getArray(7).getArray());
        }
        catalogRow.accept(names.length);
      }
    }
    if (key.isEmpty()) {
      throw new DriftlessException(
          "table "
              + what
              + " has neither a primary key nor a replica identity index: configure keyColumns"
              + " for collection "
              + mapping.collection());
    }
    for (String k : key) {
      requireColumn(published, k, "keyColumns", mapping);
    }
    List<String> projected = new ArrayList<>();
    String version = mapping.versionColumn().orElse(null);
    if (version != null) {
      requireColumn(published, version, "versionColumn", mapping);
      projected.add(version);
    } else {
      Set<String> wanted = new LinkedHashSet<>(mapping.columns());
      for (String w : wanted) {
        requireColumn(published, w, "columns", mapping);
      }
      for (Map.Entry<String, Boolean> col : published.entrySet()) {
        boolean take =
            wanted.isEmpty() ? col.getValue() : wanted.contains(col.getKey()); // attnum order
        if (take) {
          projected.add(col.getKey());
        }
      }
      if (projected.isEmpty()) {
        throw new DriftlessException("table " + what + " publishes no column to fingerprint");
      }
    }
    List<String> keyTypes = new ArrayList<>();
    for (String k : key) {
      keyTypes.add(Objects.requireNonNull(typeOf.get(k), k));
    }
    return new FingerprintSql.Query(
        mapping.schema(), mapping.table(), key, keyTypes, projected, plainCast, version != null);
  }

  private static void requireColumn(
      Map<String, Boolean> columns, String column, String setting, TableMapping mapping) {
    if (!columns.containsKey(column)) {
      throw new DriftlessException(
          setting
              + " of collection "
              + mapping.collection()
              + " names column "
              + column
              + ", which table "
              + mapping.schema()
              + "."
              + mapping.table()
              + " does not have (it has "
              + columns.keySet()
              + ")");
    }
  }
}
