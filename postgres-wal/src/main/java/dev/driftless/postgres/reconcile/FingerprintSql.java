package dev.driftless.postgres.reconcile;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The SQL forms of {@link dev.driftless.core.Fingerprints}' definitions, and the two statements of
 * {@link PostgresFingerprintReader}. Every name is quoted here, and numbers are rendered from
 * {@code long}s: no configured text reaches a statement unquoted.
 *
 * <p>A value's text is {@code format('%s', v)}, which prints what the type's output function prints
 * — the text logical replication sends. {@code v::text} is not always that: {@code boolean}, {@code
 * char(n)}, {@code inet} and {@code cidr} have casts to text that print {@code true}, strip
 * padding, or add a {@code /32}. A NULL is told apart with {@code num_nulls(v)}, which looks at the
 * value itself; {@code v IS NULL} would also be true for a composite whose fields are all NULL.
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

  /** The text form of a column: its output function's text, NULL for NULL. */
  static String text(String column) {
    String q = quote(column);
    return "(CASE WHEN num_nulls(" + q + ") = 0 THEN format('%s', " + q + ") END)";
  }

  /**
   * The key id: a single column's text, or the parts escaped and joined as {@link
   * dev.driftless.core.DocumentKey#composite} does. NULL when a part is NULL or the id is empty:
   * such a row has no valid key, and the replication source cannot key it either.
   */
  static String keyId(List<String> keyColumns) {
    if (keyColumns.isEmpty()) {
      throw new IllegalArgumentException("no key columns");
    }
    if (keyColumns.size() == 1) {
      return "nullif(" + text(keyColumns.get(0)) + ", '')";
    }
    StringBuilder sql = new StringBuilder("nullif(");
    for (int i = 0; i < keyColumns.size(); i++) {
      if (i > 0) {
        sql.append(" || ',' || ");
      }
      // E'' strings mean the same whatever standard_conforming_strings says.
      sql.append("replace(replace(")
          .append(text(keyColumns.get(i)))
          .append(", E'\\\\', E'\\\\\\\\'), ',', E'\\\\,')");
    }
    return sql.append(", '')").toString();
  }

  /** The row fingerprint (definition 1) of {@code columns}, in the order given. */
  static String rowFingerprint(List<String> columns) {
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("no columns");
    }
    // || rather than concat_ws: a function takes at most 100 arguments, a table up to 1,600
    // columns.
    StringBuilder rendering = new StringBuilder();
    for (int i = 0; i < columns.size(); i++) {
      if (i > 0) {
        rendering.append(" || ',' || ");
      }
      String q = quote(columns.get(i));
      String t = "format('%s', " + q + ")";
      rendering
          .append("CASE WHEN num_nulls(")
          .append(q)
          .append(") = 0 THEN octet_length(")
          .append(t)
          .append(") || ':' || ")
          .append(t)
          .append(" ELSE '~' END");
    }
    return first8Bytes("md5(" + rendering + ")");
  }

  /**
   * The row fingerprint in version-column mode: the first 8 bytes of the MD5 of the column's text
   * ({@code "~"} for NULL), i.e. {@link dev.driftless.core.Fingerprints#keyHash} of that text.
   */
  static String versionFingerprint(String versionColumn) {
    return first8Bytes("md5(coalesce(" + text(versionColumn) + ", '~'))");
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
   * {@code n <= 2^31} and {@code d < 2^32}.
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
   * One scan of {@code table}: per non-empty sub-range of {@code [from, to)} split in {@code
   * splits}, its index, the row count and the three part sums. Only {@code projected} columns are
   * read (besides the key), so an index holding them allows an index-only scan.
   *
   * @param projected the columns {@code fingerprint} reads
   * @param fingerprint the row fingerprint expression over {@code projected}
   */
  static String summarize(
      String schema,
      String table,
      List<String> keyColumns,
      List<String> projected,
      String fingerprint,
      long from,
      long to,
      int splits) {
    String b = bucket(MD5);
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
        + fingerprint
        + " AS f FROM ("
        + inner(schema, table, keyColumns, projected, false)
        + ") AS r WHERE "
        + inRange(b, from, to)
        + ") AS k GROUP BY 1 ORDER BY 1";
  }

  /**
   * Every key of {@code table} whose bucket lies in {@code [from, to)}, with its row fingerprint,
   * ordered by key id byte-wise (code point order, as the index's keyword sort).
   */
  static String list(
      String schema,
      String table,
      List<String> keyColumns,
      List<String> projected,
      String fingerprint,
      long from,
      long to) {
    return "SELECT "
        + ID
        + ", "
        + fingerprint
        + " FROM ("
        + inner(schema, table, keyColumns, projected, true)
        + ") AS r WHERE "
        + inRange(bucket(MD5), from, to)
        + " ORDER BY "
        + ID
        + " COLLATE \"C\"";
  }

  /**
   * The projected columns and the key id's MD5, computed once per row: {@code OFFSET 0} keeps the
   * planner from copying the MD5 expression into each place that uses it.
   */
  private static String inner(
      String schema, String table, List<String> keyColumns, List<String> projected, boolean id) {
    StringBuilder sql = new StringBuilder("SELECT ");
    for (String c : projected) {
      sql.append(quote(c)).append(", ");
    }
    String keyId = keyId(keyColumns);
    if (id) {
      sql.append(keyId).append(" AS ").append(ID).append(", ");
    }
    return sql.append("md5(")
        .append(keyId)
        .append(") AS ")
        .append(MD5)
        .append(" FROM ")
        .append(quote(schema))
        .append('.')
        .append(quote(table))
        .append(" OFFSET 0")
        .toString();
  }

  private static String inRange(String bucket, long from, long to) {
    return bucket + " >= " + from + "::bigint AND " + bucket + " < " + to + "::bigint";
  }
}
