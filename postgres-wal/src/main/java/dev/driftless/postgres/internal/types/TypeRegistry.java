package dev.driftless.postgres.internal.types;

import dev.driftless.core.RetriableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * What each PostgreSQL type oid is, so that {@link ValueDecoder} knows how to read its text.
 *
 * <p>Built-in types (those whose oids {@code initdb} fixes: numbers, text, dates and times, json,
 * arrays of them, the built-in ranges and multiranges, ...) are known without a database. Any other
 * oid (enums, domains, composites, arrays of them, ranges and multiranges over them, types of
 * extensions) is looked up in {@code pg_type}, {@code pg_attribute} and {@code pg_range} the first
 * time it is needed, through the registry's catalog connection, and cached. An oid the catalog does
 * not know (dropped since, or no catalog connection) is treated as an opaque type whose values are
 * kept as text; that answer is cached too.
 *
 * <p>Call {@link #invalidate(int)} when pgoutput sends a TYPE message for an oid, and {@link
 * #invalidateAll()} after DDL you know of: the next value of that type is decoded with a fresh
 * catalog entry. {@link ValueDecoder} also refreshes a composite type once by itself when a row
 * does not fit its cached attributes.
 *
 * <p>The catalog describes types as they are <em>now</em>, while the WAL being decoded may be
 * older: if a composite type gained or lost attributes in between, the values in the WAL do not fit
 * and are reported as undecodable rather than mislabelled.
 *
 * <p><b>Threading.</b> Thread-safe. Lookups are serialised and may block on the catalog connection;
 * a connection is never used by two threads at once through this registry. The source calls it from
 * its poll thread.
 *
 * <p><b>Failures.</b> A catalog query that fails throws {@link RetriableException} (the database is
 * unreachable: an outage, to be retried); nothing is cached for that oid, so a later call tries
 * again.
 */
public final class TypeRegistry {

  /** Opens a connection to the database whose types are described; one per lookup. */
  @FunctionalInterface
  public interface CatalogConnector {
    /** A new connection; the registry closes it after the lookup. */
    Connection open() throws SQLException;
  }

  private static final int MAX_DEPTH = 32;

  private final @Nullable CatalogConnector connector;
  private final @Nullable Connection borrowed;
  private final Map<Integer, PgType> cache = new ConcurrentHashMap<>();

  private TypeRegistry(@Nullable CatalogConnector connector, @Nullable Connection borrowed) {
    this.connector = connector;
    this.borrowed = borrowed;
  }

  /**
   * A registry of the built-in types only, without a database: any other oid decodes as text.
   * Enough for tables that use built-in types only, and for tests.
   */
  public static TypeRegistry builtIns() {
    return new TypeRegistry(null, null);
  }

  /**
   * A registry that looks types up on {@code connection}, a normal (non-replication) JDBC
   * connection to the source database. The connection is borrowed: the caller keeps it open as long
   * as the registry is used, and closes it afterwards. Nothing is queried before the first unknown
   * oid is decoded. Use an auto-commit connection: otherwise the lookups run inside the caller's
   * transaction, and a transaction left open holds back vacuum.
   */
  public static TypeRegistry load(Connection connection) {
    Objects.requireNonNull(connection, "connection");
    return new TypeRegistry(null, connection);
  }

  /**
   * A registry that opens a connection with {@code connector} for each catalog lookup (they are
   * rare: the first use of a user type, and after invalidation) and closes it afterwards, so it
   * survives restarts of the database.
   */
  public static TypeRegistry connecting(CatalogConnector connector) {
    Objects.requireNonNull(connector, "connector");
    return new TypeRegistry(connector, null);
  }

  /**
   * The name of the type with this oid as {@code pg_type.typname} spells it (arrays start with an
   * underscore), or {@code "oid <n>"} when the catalog does not know it.
   *
   * @throws RetriableException if the catalog lookup fails
   */
  public String typeName(int oid) {
    return resolve(oid).name();
  }

  /** Forgets what is cached for {@code oid}: the pgoutput TYPE message for it arrived. */
  public void invalidate(int oid) {
    // pgoutput names the column's type, e.g. an array of a composite, while the change may be in
    // a type it refers to, e.g. the composite's attributes: forget everything reachable from it.
    List<Integer> pending = new ArrayList<>(List.of(oid));
    while (!pending.isEmpty()) {
      PgType type = cache.remove(pending.remove(pending.size() - 1));
      if (type != null) {
        pending.addAll(references(type));
      }
    }
  }

  /** Forgets every cached catalog entry; built-in types stay known. */
  public void invalidateAll() {
    cache.clear();
  }

  /** Adds a type as if read from the catalog; for tests of types that need no database. */
  void define(PgType type) {
    cache.put(type.oid(), type);
  }

  /** The type with this oid; never null (an unknown oid is an opaque text type). */
  PgType resolve(int oid) {
    PgType builtIn = BuiltInTypes.get(oid);
    if (builtIn != null) {
      return builtIn;
    }
    PgType cached = cache.get(oid);
    if (cached != null) {
      return cached;
    }
    if (connector == null && borrowed == null) {
      return unknown(oid);
    }
    synchronized (this) {
      cached = cache.get(oid);
      if (cached != null) {
        return cached;
      }
      try {
        if (borrowed != null) {
          lookUp(borrowed, oid, 0);
        } else {
          try (Connection connection = Objects.requireNonNull(connector).open()) {
            lookUp(connection, oid, 0);
          }
        }
      } catch (SQLException e) {
        throw new RetriableException(
            "cannot read type oid " + oid + " from the PostgreSQL catalog: " + e.getMessage(), e);
      }
      return Objects.requireNonNull(cache.get(oid));
    }
  }

  private static List<Integer> references(PgType type) {
    if (type instanceof PgType.Array a) {
      return List.of(a.elementOid());
    } else if (type instanceof PgType.Domain d) {
      return List.of(d.baseOid());
    } else if (type instanceof PgType.Range r) {
      return List.of(r.subtypeOid());
    } else if (type instanceof PgType.Multirange m) {
      return List.of(m.rangeOid());
    } else if (type instanceof PgType.Composite c) {
      List<Integer> oids = new ArrayList<>();
      for (PgType.Attribute a : c.attributes()) {
        oids.add(a.typeOid());
      }
      return oids;
    }
    return List.of();
  }

  private static PgType unknown(int oid) {
    return new PgType.Scalar(oid, "oid " + oid, ScalarKind.TEXT);
  }

  private static final String TYPE_QUERY =
      "SELECT t.typname, t.typtype, t.typcategory, t.typelem, t.typbasetype, t.typrelid,"
          + " e.typdelim AS elemdelim, r.rngsubtype"
          + " FROM pg_catalog.pg_type t"
          + " LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem"
          + " LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid"
          + " WHERE t.oid = ?";

  private static final String ATTRIBUTE_QUERY =
      "SELECT attname, atttypid, atttypmod FROM pg_catalog.pg_attribute"
          + " WHERE attrelid = ? AND attnum > 0 AND NOT attisdropped ORDER BY attnum";

  private static final String MULTIRANGE_QUERY =
      "SELECT rngtypid FROM pg_catalog.pg_range WHERE rngmultitypid = ?";

  /** Reads {@code oid} and, depth-first, every type it refers to that is not known yet. */
  private void lookUp(Connection connection, int oid, int depth) throws SQLException {
    if (BuiltInTypes.get(oid) != null || cache.containsKey(oid)) {
      return;
    }
    if (depth > MAX_DEPTH) {
      throw new SQLException("type oid " + oid + " nests more than " + MAX_DEPTH + " levels");
    }
    PgType type;
    try (PreparedStatement st = connection.prepareStatement(TYPE_QUERY)) {
      st.setLong(1, Integer.toUnsignedLong(oid));
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          cache.put(oid, unknown(oid));
          return;
        }
        String name = rs.getString("typname");
        String typtype = rs.getString("typtype");
        String category = rs.getString("typcategory");
        int elem = (int) rs.getLong("typelem");
        int base = (int) rs.getLong("typbasetype");
        long relid = rs.getLong("typrelid");
        String delim = rs.getString("elemdelim");
        int subtype = (int) rs.getLong("rngsubtype");
        type =
            switch (typtype) {
              case "d" -> new PgType.Domain(oid, name, base);
              case "c" -> new PgType.Composite(oid, name, attributes(connection, relid));
              case "r" -> new PgType.Range(oid, name, subtype);
              case "m" -> new PgType.Multirange(oid, name, multirangeOf(connection, oid));
              default ->
                  "A".equals(category) && elem != 0
                      ? new PgType.Array(
                          oid, name, elem, delim == null || delim.isEmpty() ? ',' : delim.charAt(0))
                      // Enums, pseudo-types and base types of extensions: kept as their text.
                      : new PgType.Scalar(oid, name, ScalarKind.TEXT);
            };
      }
    }
    cache.put(oid, type);
    for (int ref : references(type)) {
      lookUp(connection, ref, depth + 1);
    }
  }

  private static List<PgType.Attribute> attributes(Connection connection, long relid)
      throws SQLException {
    List<PgType.Attribute> attributes = new ArrayList<>();
    try (PreparedStatement st = connection.prepareStatement(ATTRIBUTE_QUERY)) {
      st.setLong(1, relid);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          attributes.add(
              new PgType.Attribute(
                  rs.getString("attname"), (int) rs.getLong("atttypid"), rs.getInt("atttypmod")));
        }
      }
    }
    return attributes;
  }

  private static int multirangeOf(Connection connection, int oid) throws SQLException {
    try (PreparedStatement st = connection.prepareStatement(MULTIRANGE_QUERY)) {
      st.setLong(1, Integer.toUnsignedLong(oid));
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("multirange oid " + oid + " has no pg_range row");
        }
        return (int) rs.getLong(1);
      }
    }
  }
}
