package dev.driftless.postgres.internal.reconcile;

import dev.driftless.core.spi.FingerprintReader.BucketRange;
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
public final class FingerprintSql {

  /** PostgreSQL truncates longer identifiers, which would silently name another object. */
  public static final int MAX_IDENTIFIER_BYTES = 63;

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
  public static void checkIdentifier(String setting, @Nullable String name) {
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
  public static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /**
   * The text form of a column, NULL for NULL: {@code v::text} where that cast is an I/O conversion
   * or binary-coercible ({@code plainCast}), else {@code format('%s', v)}, which is several times
   * slower.
   */
  public static String text(String column, boolean plainCast) {
    return textOf(quote(column), plainCast);
  }

  /** {@link #text} of an already quoted column name. */
  private static String textOf(String q, boolean plainCast) {
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
  public static String keyId(List<String> keyColumns, Set<String> plainCast) {
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
   * The row fingerprint (definition 1) over the texts {@link #texts} computed for {@code count}
   * columns, in that order.
   */
  public static String rowFingerprint(int count) {
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
   * The row fingerprint in version-column mode, over the text {@link #texts} computed for the
   * version column: the first 8 bytes of the MD5 of that text ({@code "~"} for NULL), i.e. {@link
   * dev.driftless.core.Fingerprints#keyHash} of it.
   */
  public static String versionFingerprint() {
    return first8Bytes("md5(coalesce(" + textColumn(0) + ", '~'))");
  }

  /** The bucket (definition 3) of the row whose key id's MD5 hex is {@code md5}. */
  public static String bucket(String md5) {
    return "('x00000000' || substr(" + md5 + ", 1, 8))::bit(64)::bigint";
  }

  /** The key hash (definition 2) of the row whose key id's MD5 hex is {@code md5}. */
  public static String keyHash(String md5) {
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
  public static String subRange(String bucket, String from, String to, int splits) {
    return "(("
        + splits
        + "::bigint * ("
        + bucket
        + " - "
        + from
        + " + 1) - 1) / ("
        + to
        + " - "
        + from
        + "))";
  }

  /** {@link #subRange} computed in Java, for tests and for checking answers. */
  public static long subRangeOf(long bucket, long from, long to, int splits) {
    return (splits * (bucket - from + 1) - 1) / (to - from);
  }

  /**
   * What to read of a table and how.
   *
   * @param schema the table's schema
   * @param table the table
   * @param keyColumns key columns in key order
   * @param keyTypes each key column's type as {@code format_type} prints it, in key order
   * @param projected the columns the fingerprint covers, in rendering order
   * @param plainCast the columns whose {@code ::text} is their output function's text
   * @param versionMode whether {@code projected} is the one version column
   */
  public record Query(
      String schema,
      String table,
      List<String> keyColumns,
      List<String> keyTypes,
      List<String> projected,
      Set<String> plainCast,
      boolean versionMode) {
    public Query {
      keyColumns = List.copyOf(keyColumns);
      keyTypes = List.copyOf(keyTypes);
      projected = List.copyOf(projected);
      plainCast = Set.copyOf(plainCast);
      if (keyTypes.size() != keyColumns.size()) {
        throw new IllegalArgumentException("one type per key column");
      }
      if (versionMode && projected.size() != 1) {
        throw new IllegalArgumentException("version mode reads one column");
      }
    }

    String fingerprint() {
      return versionMode ? versionFingerprint() : rowFingerprint(projected.size());
    }
  }

  /**
   * One scan of the table: per non-empty sub-range of each of {@code ranges} split in {@code
   * splits}, the range's position in {@code ranges} (from 1), the sub-range's index, the row count
   * and the three part sums. The range of a row's bucket is found by binary search ({@code
   * width_bucket} over the ranges' starts), and only rows inside a range have their columns
   * rendered and hashed; an index holding the key and projected columns allows an index-only scan.
   *
   * @param ranges disjoint, sorted by start
   */
  public static String summarize(Query q, List<BucketRange> ranges, int splits) {
    String from = "(" + bounds(ranges, true) + ")[\"_driftless_p\"]";
    String to = "(" + bounds(ranges, false) + ")[\"_driftless_p\"]";
    String sub = subRange("\"_driftless_b\"", from, to, splits);
    // Every level is fenced (OFFSET 0): otherwise the planner copies an expression into each
    // place that uses it and computes MD5s and renderings several times per row.
    return "SELECT \"_driftless_p\", \"_driftless_s\", count(*),"
        + " sum(f & 2097151)::bigint, sum((f >> 21) & 2097151)::bigint,"
        + " sum((f >> 42) & 4194303)::bigint FROM (SELECT \"_driftless_p\", \"_driftless_s\", "
        + keyHash(MD5)
        + " # "
        + q.fingerprint()
        + " AS f FROM ("
        + texts(q, "\"_driftless_p\", " + sub + " AS \"_driftless_s\", " + MD5)
        + " FROM (SELECT *, width_bucket(\"_driftless_b\", "
        + bounds(ranges, true)
        + ") AS \"_driftless_p\" FROM ("
        + bucketed(q, false)
        + ") AS b OFFSET 0) AS p WHERE \"_driftless_p\" > 0 AND \"_driftless_b\" < "
        + to
        + " OFFSET 0) AS t OFFSET 0) AS k GROUP BY 1, 2 ORDER BY 1, 2";
  }

  /**
   * Every key of the table whose bucket lies in one of {@code ranges}, with its row fingerprint,
   * ordered by key id byte-wise (code point order, as the index's keyword sort). One scan.
   *
   * @param ranges disjoint, sorted by start
   */
  public static String list(Query q, List<BucketRange> ranges) {
    return fingerprinted(
            q,
            bucketed(q, true),
            "\"_driftless_b\" < ("
                + bounds(ranges, false)
                + ")[width_bucket(\"_driftless_b\", "
                + bounds(ranges, true)
                + ")]")
        + " ORDER BY "
        + ID
        + " COLLATE \"C\"";
  }

  /**
   * The key id and row fingerprint of the rows whose key id is one of the ids bound as the last
   * parameter ({@code text[]}). With {@code byKey}, the key columns are first matched against the
   * ids' parts, bound before it as one {@code text[]} per key column and cast to the columns'
   * types, so the table's key index finds the rows; that cast fails (SQLSTATE class 22) when an id
   * is not a value of the key's type, and then the statement without {@code byKey} scans the table
   * instead. The final comparison of the rendered key id with the ids keeps a cast that merely
   * rounded or truncated from matching another row.
   */
  public static String read(Query q, boolean byKey) {
    StringBuilder where = new StringBuilder();
    if (byKey) {
      where.append(" WHERE (");
      for (int k = 0; k < q.keyColumns().size(); k++) {
        where.append(k > 0 ? ", " : "").append(quote(q.keyColumns().get(k)));
      }
      where.append(") IN (SELECT ");
      for (int k = 0; k < q.keyColumns().size(); k++) {
        where
            .append(k > 0 ? ", " : "")
            .append("u.k")
            .append(k)
            .append("::")
            .append(q.keyTypes().get(k));
      }
      where.append(" FROM unnest(");
      for (int k = 0; k < q.keyColumns().size(); k++) {
        where.append(k > 0 ? ", " : "").append("?::text[]");
      }
      where.append(") AS u(");
      for (int k = 0; k < q.keyColumns().size(); k++) {
        where.append(k > 0 ? ", " : "").append('k').append(k);
      }
      where.append("))");
    }
    return fingerprinted(q, rows(q, true, where.toString()), ID + " = ANY(?::text[])");
  }

  /**
   * The key id and row fingerprint of the rows {@code rows} (which carries the key id) yields that
   * satisfy {@code condition}; only those are rendered and hashed.
   */
  private static String fingerprinted(Query q, String rows, String condition) {
    return "SELECT "
        + ID
        + ", "
        + q.fingerprint()
        + " FROM ("
        + texts(q, ID)
        + " FROM ("
        + rows
        + ") AS r WHERE "
        + condition
        + " OFFSET 0) AS t";
  }

  /** A {@code bigint[]} literal of the ranges' starts ({@code from}) or ends. */
  private static String bounds(List<BucketRange> ranges, boolean from) {
    StringBuilder sql = new StringBuilder("'{");
    for (int i = 0; i < ranges.size(); i++) {
      sql.append(i > 0 ? "," : "").append(from ? ranges.get(i).from() : ranges.get(i).to());
    }
    return sql.append("}'::bigint[]").toString();
  }

  /**
   * The projected columns (renamed {@code _driftless_c<i>}), the key id (with {@code id}) and its
   * MD5: what a scan reads of each row, before anything is rendered.
   */
  private static String rows(Query q, boolean id, String where) {
    StringBuilder sql = new StringBuilder("SELECT ");
    for (int i = 0; i < q.projected().size(); i++) {
      sql.append(quote(q.projected().get(i))).append(" AS ").append(rawColumn(i)).append(", ");
    }
    String keyId = keyId(q.keyColumns(), q.plainCast());
    if (id) {
      sql.append(keyId).append(" AS ").append(ID);
    } else {
      sql.append("md5(").append(keyId).append(") AS ").append(MD5);
    }
    return sql.append(" FROM ")
        .append(quote(q.schema()))
        .append('.')
        .append(quote(q.table()))
        .append(where)
        .append(" OFFSET 0")
        .toString();
  }

  /** {@link #rows} with each row's bucket ({@code _driftless_b}) added. */
  private static String bucketed(Query q, boolean id) {
    String rows = rows(q, id, "");
    if (id) {
      rows = "SELECT *, md5(" + ID + ") AS " + MD5 + " FROM (" + rows + ") AS i OFFSET 0";
    }
    return "SELECT *, " + bucket(MD5) + " AS \"_driftless_b\" FROM (" + rows + ") AS m OFFSET 0";
  }

  /** {@code SELECT <carry>, <each projected column's text>} (the FROM clause is the caller's). */
  private static String texts(Query q, String carry) {
    StringBuilder sql = new StringBuilder("SELECT ").append(carry);
    for (int i = 0; i < q.projected().size(); i++) {
      String c = q.projected().get(i);
      sql.append(", ")
          .append(textOf(rawColumn(i), q.plainCast().contains(c)))
          .append(" AS ")
          .append(textColumn(i));
    }
    return sql.toString();
  }

  private static String rawColumn(int i) {
    return "\"_driftless_c" + i + "\"";
  }

  private static String textColumn(int i) {
    return "\"_driftless_t" + i + "\"";
  }
}
