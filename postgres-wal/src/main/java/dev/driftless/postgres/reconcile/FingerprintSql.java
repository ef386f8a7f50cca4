package dev.driftless.postgres.reconcile;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The SQL forms of {@link dev.driftless.core.Fingerprints}' definitions, and the two statements of
 * {@link PostgresFingerprintReader}. Every name is quoted here, and numbers are rendered from
 * {@code long}s: no configured text reaches a statement unquoted.
 *
 * <p>A value's text must be what the type's output function prints — the text logical replication
 * sends. {@code v::text} is that for most types (an I/O conversion cast), but not for those with a
 * function cast to text: {@code boolean} ({@code true} instead of {@code t}), {@code char(n)}
 * (padding stripped), {@code inet} and {@code cidr} ({@code /32} added), and a domain over them.
 * For those the text is {@code format('%s', v)}, which calls the output function but is several
 * times slower. A NULL is then told apart with {@code num_nulls(v)}, which looks at the value
 * itself; {@code v IS NULL} would also be true for a composite whose fields are all NULL.
 */
final class FingerprintSql {

  /** PostgreSQL truncates longer identifiers, which would silently name another object. */
  static final int MAX_IDENTIFIER_BYTES = 63;

  private static final String MD5 = "\"_driftless_md5\"";
  private static final String ID = "\"_driftless_id\"";

  private FingerprintSql() {}

  /**
   * Checks a configured identifier.
   *
   * @throws NullPointerException naming {@code setting} if {@code name} is null
   * @throws IllegalArgumentException naming {@code setting} if {@code name} is empty, too long or
   *     holds a NUL character
   */
  static void checkIdentifier(String setting, @Nullable String name) {
    Objects.requireNonNull(name, setting);
    if (name.isEmpty()) {
      throw new IllegalArgumentException(setting + " must not be empty");
    }
    if (name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(setting + " must not contain NUL characters");
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_IDENTIFIER_BYTES) {
      throw new IllegalArgumentException(
          setting + " must be at most " + MAX_IDENTIFIER_BYTES + " bytes long: " + name);
    }
  }

  /** {@code identifier} as a quoted SQL identifier. */
  static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /**
   * The text form of a column, NULL for NULL: {@code v::text} where that cast is an I/O conversion
   * or binary-coercible ({@code plainCast}), else {@code format('%s', v)}, which is several times
   * slower.
   */
  static String text(String column, boolean plainCast) {
    String q = quote(column);
    if (plainCast) {
      return q + "::text";
    }
    return "(CASE WHEN num_nulls(" + q + ") = 0 THEN format('%s', " + q + ") END)";
  }

  /**
   * The key id: a single column's text, or the parts escaped and joined as {@link
   * dev.driftless.core.DocumentKey#composite} does. NULL when a part is NULL or the id is empty:
   * such a row has no valid key, and the replication source cannot key it either.
   */
  static String keyId(List<String> keyColumns, Set<String> plainCast) {
    if (keyColumns.isEmpty()) {
      throw new IllegalArgumentException("no key columns");
    }
    if (keyColumns.size() == 1) {
      String k = keyColumns.get(0);
      return "nullif(" + text(k, plainCast.contains(k)) + ", '')";
    }
    StringBuilder sql = new StringBuilder("nullif(");
    for (int i = 0; i < keyColumns.size(); i++) {
      if (i > 0) {
        sql.append(" || ',' || ");
      }
      String k = keyColumns.get(i);
      // E'' strings mean the same whatever standard_conforming_strings says.
      sql.append("replace(replace(")
          .append(text(k, plainCast.contains(k)))
          .append(", E'\\\\', E'\\\\\\\\'), ',', E'\\\\,')");
    }
    return sql.append(", '')").toString();
  }

  /**
   * The row fingerprint (definition 1) over the texts {@link #inner} computed for {@code count}
   * columns, in that order.
   */
  static String rowFingerprint(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("no columns");
    }
    // || rather than concat_ws: a function takes at most 100 arguments, a table up to 1,600
    // columns.
    StringBuilder rendering = new StringBuilder();
    for (int i = 0; i < count; i++) {
      if (i > 0) {
        rendering.append(" || ',' || ");
      }
      String t = textColumn(i);
      rendering.append("coalesce(octet_length(").append(t).append(") || ':' || ").append(t);
      rendering.append(", '~')");
    }
    return first8Bytes("md5(" + rendering + ")");
  }

  /**
   * The row fingerprint in version-column mode, over the text {@link #inner} computed for the
   * version column: the first 8 bytes of the MD5 of that text ({@code "~"} for NULL), i.e. {@link
   * dev.driftless.core.Fingerprints#keyHash} of it.
   */
  static String versionFingerprint() {
    return first8Bytes("md5(coalesce(" + textColumn(0) + ", '~'))");
  }

  /** The bucket (definition 3) of the row whose key id's MD5 hex is {@code md5}. */
  static String bucket(String md5) {
    return "('x00000000' || substr(" + md5 + ", 1, 8))::bit(64)::bigint";
  }

  /** The key hash (definition 2) of the row whose key id's MD5 hex is {@code md5}. */
  static String keyHash(String md5) {
    return first8Bytes(md5);
  }

  private static String first8Bytes(String md5) {
    return "('x' || substr(" + md5 + ", 1, 16))::bit(64)::bigint";
  }

  /**
   * The sub-range of a bucket, as SQL: the {@code i} with {@code boundary(i) <= b < boundary(i +
   * 1)}, for boundaries {@code from + floor(w * i / n)} ({@code w = to - from}). {@code floor(w * i
   * / n) <= d} holds exactly when {@code w * i < n * (d + 1)}, so the largest such {@code i} is
   * {@code floor((n * (d + 1) - 1) / w)}, with {@code d = b - from}. Exact in {@code bigint}:
   * {@code n <= 2^20} and {@code d < 2^32}.
   */
  static String subRange(String bucket, long from, long to, int splits) {
    return "(("
        + splits
        + "::bigint * ("
        + bucket
        + " - "
        + from
        + "::bigint + 1) - 1) / "
        + (to - from)
        + "::bigint)";
  }

  /** {@link #subRange} computed in Java, for tests and for checking answers. */
  static long subRangeOf(long bucket, long from, long to, int splits) {
    return (splits * (bucket - from + 1) - 1) / (to - from);
  }

  /**
   * What to read of a table and how.
   *
   * @param schema the table's schema
   * @param table the table
   * @param keyColumns key columns in key order
   * @param projected the columns the fingerprint covers, in rendering order
   * @param plainCast the columns whose {@code ::text} is their output function's text
   * @param versionMode whether {@code projected} is the one version column
   */
  record Query(
      String schema,
      String table,
      List<String> keyColumns,
      List<String> projected,
      Set<String> plainCast,
      boolean versionMode) {
    Query {
      keyColumns = List.copyOf(keyColumns);
      projected = List.copyOf(projected);
      plainCast = Set.copyOf(plainCast);
      if (versionMode && projected.size() != 1) {
        throw new IllegalArgumentException("version mode reads one column");
      }
    }

    String fingerprint() {
      return versionMode ? versionFingerprint() : rowFingerprint(projected.size());
    }
  }

  /**
   * One scan of the table: per non-empty sub-range of {@code [from, to)} split in {@code splits},
   * its index, the row count and the three part sums. Only the key and projected columns are read,
   * so an index holding them allows an index-only scan.
   */
  static String summarize(Query q, long from, long to, int splits) {
    String b = bucket(MD5);
    // Both inner levels are fenced (OFFSET 0): otherwise the planner copies f's expression into
    // each of the three sums and computes the row fingerprint three times.
    return "SELECT "
        + subRange(b, from, to, splits)
        + " AS sub, count(*) AS n,"
        + " sum(f & 2097151)::bigint, sum((f >> 21) & 2097151)::bigint,"
        + " sum((f >> 42) & 4194303)::bigint"
        + " FROM (SELECT "
        + MD5
        + ", "
        + keyHash(MD5)
        + " # "
        + q.fingerprint()
        + " AS f FROM ("
        + inner(q, false)
        + ") AS r WHERE "
        + inRange(b, from, to)
        + " OFFSET 0) AS k GROUP BY 1 ORDER BY 1";
  }

  /**
   * Every key of the table whose bucket lies in {@code [from, to)}, with its row fingerprint,
   * ordered by key id byte-wise (code point order, as the index's keyword sort).
   */
  static String list(Query q, long from, long to) {
    return "SELECT "
        + ID
        + ", "
        + q.fingerprint()
        + " FROM ("
        + inner(q, true)
        + ") AS r WHERE "
        + inRange(bucket(MD5), from, to)
        + " ORDER BY "
        + ID
        + " COLLATE \"C\"";
  }

  /**
   * Each projected column's text and the key id's MD5, computed once per row: {@code OFFSET 0}
   * keeps the planner from copying these expressions into each place that uses them.
   */
  private static String inner(Query q, boolean id) {
    StringBuilder sql = new StringBuilder("SELECT ");
    for (int i = 0; i < q.projected().size(); i++) {
      String c = q.projected().get(i);
      sql.append(text(c, q.plainCast().contains(c))).append(" AS ").append(textColumn(i));
      sql.append(", ");
    }
    String keyId = keyId(q.keyColumns(), q.plainCast());
    if (id) {
      sql.append(keyId).append(" AS ").append(ID).append(", ");
    }
    return sql.append("md5(")
        .append(keyId)
        .append(") AS ")
        .append(MD5)
        .append(" FROM ")
        .append(quote(q.schema()))
        .append('.')
        .append(quote(q.table()))
        .append(" OFFSET 0")
        .toString();
  }

  private static String textColumn(int i) {
    return "\"_driftless_t" + i + "\"";
  }

  private static String inRange(String bucket, long from, long to) {
    return bucket + " >= " + from + "::bigint AND " + bucket + " < " + to + "::bigint";
  }
}
