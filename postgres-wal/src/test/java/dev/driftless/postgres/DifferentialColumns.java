package dev.driftless.postgres;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The columns of {@link DifferentialTypesIT}'s table: for each, its SQL type, a generator of random
 * SQL literals (edge values included), where PostgreSQL's own rendering of its value comes from,
 * and how that rendering maps to the document value docs/postgres-types.md promises.
 *
 * <p>The reference is never our decoder: {@code row_to_json} (PostgreSQL's JSON rendering of the
 * row, in attribute order, ISO dates), {@code float8send}/{@code float4send} for exact floats, and
 * the range accessors ({@code lower}, {@code upper}, {@code lower_inc}, ...) for ranges.
 */
final class DifferentialColumns {

  /** How a reference value (parsed from PostgreSQL's JSON) becomes the expected document value. */
  @FunctionalInterface
  interface Expect extends Function<@Nullable Object, @Nullable Object> {}

  /**
   * One column. {@code reference} is an SQL expression over the row alias {@code t} giving JSON, or
   * null to take the column's member of {@code row_to_json(t)}.
   */
  record Column(
      String name,
      String sqlType,
      @Nullable String reference,
      Expect expect,
      Function<Random, String> literal) {}

  /** Characters chosen to break parsers: ASCII blanks, Java-only whitespace, quoting characters. */
  private static final String EDGE_CHARS =
      " \t\n\r\u000B\f\u001C\u001D\u001E\u001F\u0085\u00A0\u1680\u2000\u2007\u200A\u2028\u2029"
          + "\u202F\u205F\u3000\uFEFF\"\\{}(),[];'=NULnul \u00e9xyz0";

  private static final String[] EDGE_STRINGS = {
    "",
    "NULL",
    "null",
    " NULL ",
    "\u2028NULL",
    "NULL\u2028",
    "\u2028",
    "\u001F",
    "{}",
    "()",
    "\"",
    "\\",
    " ",
    "\t",
    "a,b",
    "\uD83C\uDF89",
    "x\u2028",
    "\u001Fy",
    "empty",
    "[1,2)",
    "infinity"
  };

  static final String[] ENUM_LABELS = {
    "happy", "a b", "x\u2028", "NULL", "q\"uote", "c,d}", "\u00e9"
  };

  private DifferentialColumns() {}

  /** The type definitions the columns need, in creation order. */
  static List<String> typeDefinitions() {
    List<String> labels = new ArrayList<>();
    for (String l : ENUM_LABELS) {
      labels.add(quote(l));
    }
    return List.of(
        "CREATE TYPE mood AS ENUM (" + String.join(", ", labels) + ")",
        "CREATE DOMAIN posint AS int8 CHECK (VALUE > 0)",
        "CREATE TYPE address AS (street text, zip int4, tags text[], feel mood)");
  }

  static List<Column> columns() {
    List<Column> c = new ArrayList<>();
    c.add(col("c_int2", "int2", INT, r -> String.valueOf((short) r.nextInt())));
    c.add(
        col(
            "c_int4",
            "int4",
            INT,
            r ->
                r.nextInt(4) == 0
                    ? pickOf(r, "0", "-1", "-2147483648")
                    : String.valueOf(r.nextInt())));
    c.add(
        col(
            "c_int8",
            "int8",
            LONG,
            r ->
                r.nextInt(4) == 0
                    ? pickOf(r, "0", "-9223372036854775808")
                    : String.valueOf(r.nextLong())));
    c.add(col("c_oid", "oid", LONG, r -> String.valueOf(r.nextInt() & 0xffffffffL)));
    c.add(col("c_xid8", "xid8", XID8, r -> quote(Long.toUnsignedString(r.nextLong())) + "::xid8"));
    c.add(col("c_numeric", "numeric", NUMERIC, DifferentialColumns::numeric));
    c.add(
        new Column(
            "c_float4",
            "float4",
            "to_json(encode(float4send(t.c_float4), 'hex'))",
            FLOAT4_BITS,
            r -> quote(String.valueOf(randomFloat(r))) + "::float4"));
    c.add(
        new Column(
            "c_float8",
            "float8",
            "to_json(encode(float8send(t.c_float8), 'hex'))",
            FLOAT8_BITS,
            r -> quote(String.valueOf(randomDouble(r))) + "::float8"));
    c.add(col("c_bool", "bool", SAME, r -> r.nextBoolean() ? "true" : "false"));
    c.add(col("c_text", "text", SAME, DifferentialColumns::textOrBig));
    c.add(col("c_varchar", "varchar(40)", SAME, r -> quote(string(r, 8))));
    c.add(col("c_char", "char(6)", BPCHAR, r -> quote(string(r, 6)) + "::char(6)"));
    c.add(col("c_name", "name", SAME, r -> quote(string(r, 10)) + "::name"));
    c.add(
        col(
            "c_qchar",
            "\"char\"",
            SAME,
            r -> quote(String.valueOf((char) ('a' + r.nextInt(26)))) + "::\"char\""));
    c.add(col("c_uuid", "uuid", SAME, r -> quote(new UUID(r.nextLong(), r.nextLong()).toString())));
    c.add(col("c_json", "json", SAME, r -> quote(json(r, 0, true)) + "::json"));
    c.add(col("c_jsonb", "jsonb", SAME, r -> quote(json(r, 0, false)) + "::jsonb"));
    c.add(col("c_date", "date", DATE, r -> quote(date(r)) + "::date"));
    c.add(col("c_time", "time", SAME, r -> quote(time(r, true)) + "::time"));
    c.add(col("c_timetz", "timetz", TIMETZ, r -> quote(time(r, true) + offset(r)) + "::timetz"));
    c.add(col("c_ts", "timestamp", DATE, r -> quote(timestamp(r, "")) + "::timestamp"));
    c.add(
        col(
            "c_tstz",
            "timestamptz",
            TIMESTAMPTZ,
            r -> quote(timestamp(r, offset(r))) + "::timestamptz"));
    c.add(col("c_interval", "interval", SAME, r -> quote(interval(r)) + "::interval"));
    c.add(
        col(
            "c_bytea",
            "bytea",
            BYTEA,
            r -> quote("\\x" + HexFormat.of().formatHex(bytes(r))) + "::bytea"));
    c.add(
        col(
            "c_money",
            "money",
            SAME,
            r -> quote(String.valueOf((r.nextInt(2_000_000) - 1_000_000) / 100.0)) + "::money"));
    c.add(col("c_inet", "inet", SAME, DifferentialColumns::inet));
    c.add(
        col(
            "c_cidr",
            "cidr",
            SAME,
            r ->
                quote(pickOf(r, "10.0.0.0/8", "192.168.1.0/24", "::/0", "2001:db8::/32"))
                    + "::cidr"));
    c.add(col("c_macaddr", "macaddr", SAME, r -> quote(mac(r, 6)) + "::macaddr"));
    c.add(col("c_macaddr8", "macaddr8", SAME, r -> quote(mac(r, 8)) + "::macaddr8"));
    c.add(col("c_bit", "bit(4)", SAME, r -> "B'" + bits(r, 4) + "'"));
    c.add(col("c_varbit", "varbit", SAME, r -> "B'" + bits(r, r.nextInt(12)) + "'::varbit"));
    c.add(col("c_mood", "mood", SAME, r -> quote(pickOf(r, ENUM_LABELS)) + "::mood"));
    c.add(
        col(
            "c_posint",
            "posint",
            LONG,
            r -> (1 + (r.nextLong() & Long.MAX_VALUE) % Long.MAX_VALUE) + "::posint"));
    c.add(
        col(
            "c_point",
            "point",
            SAME,
            r ->
                quote("(" + r.nextInt(100) + "," + (r.nextInt(100) - 50) / 4.0 + ")") + "::point"));
    c.add(
        col(
            "c_tsvector",
            "tsvector",
            SAME,
            r -> "to_tsvector('simple', " + quote(string(r, 12)) + ")"));
    c.add(
        col(
            "c_pg_lsn",
            "pg_lsn",
            SAME,
            r ->
                quote(
                        Integer.toHexString(r.nextInt(64))
                            + "/"
                            + Integer.toHexString(r.nextInt()).toUpperCase(Locale.ROOT))
                    + "::pg_lsn"));
    c.add(
        col(
            "c_int4_arr",
            "int4[]",
            list(INT),
            r -> array(r, "int4", x -> String.valueOf(x.nextInt(2000) - 1000))));
    c.add(col("c_text_arr", "text[]", list(SAME), r -> array(r, "text", x -> quote(string(x, 5)))));
    c.add(col("c_text_2d", "text[]", list(list(SAME)), DifferentialColumns::textMatrix));
    c.add(col("c_bounded_arr", "int4[]", list(INT), DifferentialColumns::boundedArray));
    c.add(
        col(
            "c_numeric_arr",
            "numeric[]",
            list(NUMERIC),
            r -> array(r, "numeric", DifferentialColumns::numeric)));
    c.add(
        new Column(
            "c_float8_arr",
            "float8[]",
            "CASE WHEN t.c_float8_arr IS NULL THEN NULL ELSE coalesce((SELECT json_agg("
                + "encode(float8send(x), 'hex') ORDER BY o) FROM unnest(t.c_float8_arr)"
                + " WITH ORDINALITY u(x, o)), '[]') END",
            list(FLOAT8_BITS),
            r -> array(r, "float8", x -> quote(String.valueOf(randomDouble(x))) + "::float8")));
    c.add(
        col(
            "c_date_arr",
            "date[]",
            list(DATE),
            r -> array(r, "date", x -> quote(date(x)) + "::date")));
    c.add(
        col(
            "c_tstz_arr",
            "timestamptz[]",
            list(TIMESTAMPTZ),
            r -> array(r, "timestamptz", x -> quote(timestamp(x, offset(x))) + "::timestamptz")));
    c.add(
        col(
            "c_interval_arr",
            "interval[]",
            list(SAME),
            r -> array(r, "interval", x -> quote(interval(x)) + "::interval")));
    c.add(
        col(
            "c_bytea_arr",
            "bytea[]",
            list(BYTEA),
            r ->
                array(
                    r,
                    "bytea",
                    x -> quote("\\x" + HexFormat.of().formatHex(bytes(x))) + "::bytea")));
    c.add(
        col(
            "c_jsonb_arr",
            "jsonb[]",
            list(SAME),
            r -> array(r, "jsonb", x -> quote(json(x, 1, false)) + "::jsonb")));
    c.add(
        col(
            "c_bool_arr",
            "bool[]",
            list(SAME),
            r -> array(r, "bool", x -> x.nextBoolean() ? "true" : "false")));
    c.add(
        col(
            "c_mood_arr",
            "mood[]",
            list(SAME),
            r -> array(r, "mood", x -> quote(pickOf(x, ENUM_LABELS)) + "::mood")));
    c.add(col("c_address", "address", ADDRESS, DifferentialColumns::address));
    c.add(
        col(
            "c_address_arr",
            "address[]",
            list(ADDRESS),
            r -> array(r, "address", DifferentialColumns::address)));
    c.add(range("c_int4range", "int4range", INT, r -> String.valueOf(r.nextInt(200) - 100)));
    c.add(
        range(
            "c_numrange",
            "numrange",
            NUMERIC,
            r ->
                new BigDecimal(BigInteger.valueOf(r.nextInt(100000)), r.nextInt(4))
                    .toPlainString()));
    c.add(range("c_tstzrange", "tstzrange", TIMESTAMPTZ, r -> quote(timestamp(r, offset(r)))));
    c.add(range("c_daterange", "daterange", DATE, r -> quote(date(r))));
    c.add(
        new Column(
            "c_multirange",
            "int4multirange",
            "CASE WHEN t.c_multirange IS NULL THEN NULL ELSE coalesce((SELECT json_agg("
                + rangeJson("x")
                + " ORDER BY o) FROM unnest(t.c_multirange) WITH ORDINALITY u(x, o)), '[]') END",
            list(rangeOf(INT)),
            DifferentialColumns::multirange));
    return List.copyOf(c);
  }

  /** What every column of the table may be set to, NULL included (one in eight). */
  static String literal(Column column, Random r) {
    return r.nextInt(8) == 0 ? "NULL" : column.literal().apply(r);
  }

  // --- expected values -----------------------------------------------------------------------

  static final Expect SAME = v -> v;
  static final Expect INT = v -> v == null ? null : Integer.valueOf(((Number) v).intValue());

  /** int8, and oid, which to_json prints as a string. */
  static final Expect LONG =
      v ->
          v == null
              ? null
              : v instanceof String s ? Long.valueOf(s) : Long.valueOf(((Number) v).longValue());

  static final Expect XID8 = v -> v == null ? null : new BigInteger((String) v);
  static final Expect NUMERIC =
      v -> {
        if (v == null || v instanceof String || v instanceof BigDecimal) {
          return v;
        }
        return v instanceof BigInteger b ? new BigDecimal(b) : BigDecimal.valueOf((Long) v);
      };
  static final Expect FLOAT8_BITS =
      v -> v == null ? null : Double.longBitsToDouble(Long.parseUnsignedLong((String) v, 16));
  static final Expect FLOAT4_BITS =
      v -> v == null ? null : Float.intBitsToFloat(Integer.parseUnsignedInt((String) v, 16));

  /** char(n): to_json keeps the padding; documents drop it, as ::text does. */
  static final Expect BPCHAR = v -> v == null ? null : ((String) v).replaceAll(" +\\z", "");

  /** bytea: to_json prints {@code \x...} (bytea_output hex); documents hold base64. */
  static final Expect BYTEA =
      v ->
          v == null
              ? null
              : Base64.getEncoder()
                  .encodeToString(HexFormat.of().parseHex(((String) v).substring(2)));

  /**
   * date and timestamp: to_json prints ISO with a " BC" suffix; documents use astronomical years.
   */
  static final Expect DATE = v -> v == null ? null : astronomical((String) v);

  /** timestamptz in a UTC session: to_json prints "+00:00"; documents end in "Z". */
  static final Expect TIMESTAMPTZ =
      v -> {
        if (v == null) {
          return null;
        }
        String s = astronomical((String) v);
        return s.endsWith("+00:00") ? s.substring(0, s.length() - 6) + "Z" : s;
      };

  /** timetz: to_json prints "+05" or "+05:30"; documents print "+05:00", "+05:30", "Z" for zero. */
  static final Expect TIMETZ =
      v -> {
        if (v == null) {
          return null;
        }
        String s = (String) v;
        int sign = Math.max(s.lastIndexOf('+'), s.lastIndexOf('-'));
        String clock = s.substring(0, sign);
        String offset = s.substring(sign);
        if (offset.matches("[+-]00(:00)?(:00)?")) {
          return clock + "Z";
        }
        return clock + (offset.length() == 3 ? offset + ":00" : offset);
      };

  static final Expect ADDRESS =
      composite(List.of("street", "zip", "tags", "feel"), List.of(SAME, INT, list(SAME), SAME));

  static Expect list(Expect element) {
    return v -> {
      if (v == null) {
        return null;
      }
      List<@Nullable Object> out = new ArrayList<>();
      for (Object item : (List<?>) v) {
        out.add(element.apply(item));
      }
      return out;
    };
  }

  static Expect composite(List<String> names, List<Expect> types) {
    return v -> {
      if (v == null) {
        return null;
      }
      Map<?, ?> in = (Map<?, ?>) v;
      Map<String, @Nullable Object> out = new LinkedHashMap<>();
      for (int i = 0; i < names.size(); i++) {
        out.put(names.get(i), types.get(i).apply(in.get(names.get(i))));
      }
      return out;
    };
  }

  static Expect rangeOf(Expect subtype) {
    return v -> {
      if (v == null) {
        return null;
      }
      Map<?, ?> in = (Map<?, ?>) v;
      if (in.containsKey("empty")) {
        return Map.of("empty", true);
      }
      Map<String, @Nullable Object> out = new LinkedHashMap<>();
      out.put("lower", subtype.apply(in.get("lower")));
      out.put("upper", subtype.apply(in.get("upper")));
      out.put("lowerInclusive", in.get("lowerInclusive"));
      out.put("upperInclusive", in.get("upperInclusive"));
      return out;
    };
  }

  /** "0044-03-15 BC", "0044-03-15T12:00:00+00:00 BC", "12345-01-01" in LocalDate's year form. */
  static String astronomical(String s) {
    if (s.equals("infinity") || s.equals("-infinity")) {
      return s;
    }
    boolean bc = s.endsWith(" BC");
    String body = bc ? s.substring(0, s.length() - 3) : s;
    int dash = body.indexOf('-');
    long year = Long.parseLong(body.substring(0, dash));
    long astro = bc ? 1 - year : year;
    String digits = String.format(Locale.ROOT, "%04d", Math.abs(astro));
    String sign = astro < 0 ? "-" : astro > 9999 ? "+" : "";
    return sign + digits + body.substring(dash);
  }

  // --- random literals -----------------------------------------------------------------------

  static String quote(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  private static Column col(
      String name, String type, Expect expect, Function<Random, String> literal) {
    return new Column(name, type, null, expect, literal);
  }

  private static String rangeJson(String r) {
    return "CASE WHEN isempty("
        + r
        + ") THEN json_build_object('empty', true) ELSE json_build_object('lower', lower("
        + r
        + "), 'upper', upper("
        + r
        + "), 'lowerInclusive', lower_inc("
        + r
        + "), 'upperInclusive', upper_inc("
        + r
        + ")) END";
  }

  private static Column range(
      String name, String type, Expect subtype, Function<Random, String> bound) {
    return new Column(
        name,
        type,
        "CASE WHEN t." + name + " IS NULL THEN NULL ELSE " + rangeJson("t." + name) + " END",
        rangeOf(subtype),
        r -> {
          if (r.nextInt(8) == 0) {
            return quote("empty") + "::" + type;
          }
          String a = r.nextInt(6) == 0 ? "NULL" : bound.apply(r);
          String b = r.nextInt(6) == 0 ? "NULL" : bound.apply(r);
          // Ordered bounds: the smaller first, decided by PostgreSQL itself.
          String lo = "LEAST(" + cast(a, type) + ", " + cast(b, type) + ")";
          String hi = "GREATEST(" + cast(a, type) + ", " + cast(b, type) + ")";
          if (a.equals("NULL") || b.equals("NULL")) {
            lo = cast(a, type);
            hi = cast(b, type);
          }
          String bounds = pickOf(r, "[)", "[]", "(]", "()");
          return type + "(" + lo + ", " + hi + ", '" + bounds + "')";
        });
  }

  private static String cast(String bound, String rangeType) {
    String sub =
        switch (rangeType) {
          case "int4range" -> "int4";
          case "numrange" -> "numeric";
          case "tstzrange" -> "timestamptz";
          default -> "date";
        };
    return bound + "::" + sub;
  }

  private static String multirange(Random r) {
    int n = r.nextInt(4);
    StringBuilder sb = new StringBuilder("int4multirange(");
    for (int i = 0; i < n; i++) {
      int a = r.nextInt(100) - 50;
      sb.append(i > 0 ? ", " : "")
          .append("int4range(")
          .append(a)
          .append(", ")
          .append(a + 1 + r.nextInt(20))
          .append(")");
    }
    return sb.append(")").toString();
  }

  /** An int4 array with lower bound -2 to 2 ("[-1:2]={...}"), which documents drop. */
  private static String boundedArray(Random r) {
    int lower = r.nextInt(5) - 2;
    int n = 1 + r.nextInt(4);
    StringBuilder sb = new StringBuilder("'[" + lower + ":" + (lower + n - 1) + "]={");
    for (int i = 0; i < n; i++) {
      sb.append(i > 0 ? "," : "")
          .append(r.nextInt(5) == 0 ? "NULL" : String.valueOf(r.nextInt(100)));
    }
    return sb.append("}'::int4[]").toString();
  }

  static String pickOf(Random r, String... options) {
    return options[r.nextInt(options.length)];
  }

  /** A short string of edge characters, or one of the edge strings. */
  static String string(Random r, int maxLength) {
    if (r.nextInt(3) == 0) {
      return EDGE_STRINGS[r.nextInt(EDGE_STRINGS.length)];
    }
    int n = r.nextInt(maxLength + 1);
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append(EDGE_CHARS.charAt(r.nextInt(EDGE_CHARS.length())));
    }
    return sb.toString();
  }

  private static String textOrBig(Random r) {
    if (r.nextInt(6) == 0) {
      // Out of line: the column is STORAGE EXTERNAL, and this is beyond the TOAST threshold.
      StringBuilder sb = new StringBuilder();
      int n = 2_500 + r.nextInt(4_000);
      while (sb.length() < n) {
        sb.append(string(r, 16));
      }
      return quote(sb.toString());
    }
    return quote(string(r, 10));
  }

  private static String numeric(Random r) {
    return switch (r.nextInt(10)) {
      case 0 -> quote(pickOf(r, "NaN", "Infinity", "-Infinity")) + "::numeric";
      case 1 -> "'0.000000000000000000001'::numeric";
      case 2 -> "'-123456789012345678901234567890.1234567890'::numeric";
      default ->
          quote(
                  new BigDecimal(
                          BigInteger.valueOf(r.nextLong() >> r.nextInt(60)), r.nextInt(12) - 2)
                      .toPlainString())
              + "::numeric";
    };
  }

  private static double randomDouble(Random r) {
    return switch (r.nextInt(8)) {
      case 0 ->
          new double[] {
                Double.NaN,
                Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY,
                -0.0,
                Double.MIN_VALUE,
                Double.MAX_VALUE,
                0.1,
                1e-300
              }
              [r.nextInt(8)];
      case 1 -> Double.longBitsToDouble(r.nextLong());
      default -> (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(40) - 20);
    };
  }

  private static float randomFloat(Random r) {
    float f = r.nextInt(6) == 0 ? Float.intBitsToFloat(r.nextInt()) : (float) randomDouble(r);
    return f;
  }

  static String json(Random r, int depth, boolean textJson) {
    int kind = depth > 3 ? r.nextInt(4) : r.nextInt(7);
    return switch (kind) {
      case 0 -> "null";
      case 1 ->
          pickOf(
              r, "true", "false", "0", "-0", "1.50", "-12345678901234567890123", "1e400", "2.5E-3");
      case 2, 3 -> jsonString(string(r, 6));
      case 4 -> {
        int n = r.nextInt(4);
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
          sb.append(i > 0 ? ", " : "").append(json(r, depth + 1, textJson));
        }
        yield sb.append("]").toString();
      }
      default -> {
        int n = r.nextInt(4);
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < n; i++) {
          String key = r.nextInt(40) == 0 ? "k".repeat(50_001 + r.nextInt(20_000)) : string(r, 5);
          sb.append(i > 0 ? ", " : "")
              .append(jsonString(key))
              .append(": ")
              .append(json(r, depth + 1, textJson));
          if (textJson && r.nextInt(6) == 0) {
            // json keeps duplicate keys; documents keep the last, as jsonb does.
            sb.append(", ").append(jsonString(key)).append(": ").append(json(r, depth + 1, true));
          }
        }
        yield sb.append("}").toString();
      }
    };
  }

  private static String jsonString(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }

  private static String date(Random r) {
    return switch (r.nextInt(10)) {
      case 0 -> pickOf(r, "infinity", "-infinity");
      case 1 ->
          String.format(
              Locale.ROOT,
              "%04d-%02d-%02d BC",
              1 + r.nextInt(4700),
              1 + r.nextInt(12),
              1 + r.nextInt(28));
      case 2 ->
          String.format(
              Locale.ROOT,
              "%d-%02d-%02d",
              10_000 + r.nextInt(200_000),
              1 + r.nextInt(12),
              1 + r.nextInt(28));
      case 3 -> pickOf(r, "2024-02-29", "2000-02-29", "1900-03-01");
      default ->
          String.format(
              Locale.ROOT,
              "%04d-%02d-%02d",
              1 + r.nextInt(3000),
              1 + r.nextInt(12),
              1 + r.nextInt(28));
    };
  }

  private static String time(Random r, boolean endOfDay) {
    if (endOfDay && r.nextInt(12) == 0) {
      return "24:00:00";
    }
    String base =
        String.format(Locale.ROOT, "%02d:%02d:%02d", r.nextInt(24), r.nextInt(60), r.nextInt(60));
    return r.nextBoolean()
        ? base
        : base + "." + String.format(Locale.ROOT, "%06d", r.nextInt(1_000_000));
  }

  private static String offset(Random r) {
    return pickOf(r, "+00", "-08", "+05:30", "+14", "-03:30", "+00:00", "+01:02:03");
  }

  private static String timestamp(Random r, String offset) {
    String d = date(r);
    if (d.endsWith("infinity")) {
      return d;
    }
    boolean bc = d.endsWith(" BC");
    String day = bc ? d.substring(0, d.length() - 3) : d;
    return day + " " + time(r, false) + offset + (bc ? " BC" : "");
  }

  private static String interval(Random r) {
    StringBuilder sb = new StringBuilder();
    if (r.nextBoolean()) {
      sb.append(r.nextInt(200) - 100).append(" years ");
    }
    if (r.nextBoolean()) {
      sb.append(r.nextInt(30) - 15).append(" mons ");
    }
    if (r.nextBoolean()) {
      sb.append(r.nextInt(80) - 40).append(" days ");
    }
    sb.append(r.nextInt(100) - 50).append(" hours ");
    if (r.nextBoolean()) {
      sb.append(String.format(Locale.ROOT, "%.6f", r.nextInt(7_000_000) / 1_000_000.0 - 3))
          .append(" seconds");
    }
    return sb.toString().strip();
  }

  private static byte[] bytes(Random r) {
    byte[] b = new byte[r.nextInt(8)];
    r.nextBytes(b);
    return b;
  }

  private static String inet(Random r) {
    if (r.nextBoolean()) {
      return quote(
              (r.nextInt(223) + 1)
                  + "."
                  + r.nextInt(256)
                  + "."
                  + r.nextInt(256)
                  + "."
                  + r.nextInt(256)
                  + pickOf(r, "", "/24", "/32", "/8"))
          + "::inet";
    }
    return quote(
            "2001:db8::" + Integer.toHexString(r.nextInt(65536)) + pickOf(r, "", "/64", "/128"))
        + "::inet";
  }

  private static String mac(Random r, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(i > 0 ? ":" : "").append(String.format(Locale.ROOT, "%02x", r.nextInt(256)));
    }
    return sb.toString();
  }

  private static String bits(Random r, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(r.nextBoolean() ? '1' : '0');
    }
    return sb.toString();
  }

  /** A 1-D array of up to five elements, each NULL one time in five. */
  private static String array(Random r, String elementType, Function<Random, String> element) {
    int n = r.nextInt(6);
    if (n == 0) {
      return "'{}'::" + elementType + "[]";
    }
    StringBuilder sb = new StringBuilder("ARRAY[");
    for (int i = 0; i < n; i++) {
      sb.append(i > 0 ? ", " : "").append(r.nextInt(5) == 0 ? "NULL" : element.apply(r));
    }
    return sb.append("]::").append(elementType).append("[]").toString();
  }

  private static String textMatrix(Random r) {
    int rows = 1 + r.nextInt(3);
    int cols = 1 + r.nextInt(3);
    StringBuilder sb = new StringBuilder("ARRAY[");
    for (int i = 0; i < rows; i++) {
      sb.append(i > 0 ? ", " : "").append("ARRAY[");
      for (int j = 0; j < cols; j++) {
        sb.append(j > 0 ? ", " : "").append(r.nextInt(5) == 0 ? "NULL" : quote(string(r, 4)));
      }
      sb.append("]");
    }
    return sb.append("]::text[]").toString();
  }

  private static String address(Random r) {
    if (r.nextInt(6) == 0) {
      return "ROW(NULL, NULL, NULL, NULL)::address"; // a composite whose fields are all null
    }
    return "ROW("
        + (r.nextInt(5) == 0 ? "NULL" : quote(string(r, 6)))
        + ", "
        + (r.nextInt(5) == 0 ? "NULL" : String.valueOf(r.nextInt(100_000)))
        + ", "
        + (r.nextInt(4) == 0 ? "NULL" : array(r, "text", x -> quote(string(x, 4))))
        + ", "
        + (r.nextInt(4) == 0 ? "NULL" : quote(pickOf(r, ENUM_LABELS)) + "::mood")
        + ")::address";
  }
}
