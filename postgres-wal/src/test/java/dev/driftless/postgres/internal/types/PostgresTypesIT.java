package dev.driftless.postgres.internal.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentJson;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Decodes the text of every supported type as a real PostgreSQL prints it ({@code col::text}, the
 * same output function pgoutput calls) under the walsender's settings, and checks the exact JDK
 * values and their JSON. The session's time zone is deliberately not UTC (Europe/Amsterdam, whose
 * 1900 offset has seconds) to prove that timestamptz is normalised whatever the walsender's zone.
 */
class PostgresTypesIT {

  private static final String DATABASE = "types_it";

  private static PostgresServer server;
  private static Connection connection;
  private static int major;

  @BeforeAll
  static void createSchema() throws SQLException {
    server = PostgresServer.shared();
    server.createDatabase(DATABASE);
    major = server.majorVersion();
    // The simple query protocol returns every column as its output function's text, exactly what
    // pgoutput sends (a ::text cast would differ for char(n), whose cast trims the padding).
    connection =
        DriverManager.getConnection(
            server.jdbcUrl(DATABASE) + "?preferQueryMode=simple", PostgresServer.SUPERUSER, "");
    // What a walsender session prints with, made explicit (extra_float_digits 1: PG12+ default).
    execute(
        "SET DateStyle = ISO",
        "SET IntervalStyle = postgres",
        "SET extra_float_digits = 1",
        "SET bytea_output = hex",
        "SET lc_monetary = 'C'",
        "SET TimeZone = 'Europe/Amsterdam'",
        "DROP SCHEMA IF EXISTS t CASCADE",
        "CREATE SCHEMA t",
        "SET search_path = t, public",
        "CREATE TYPE mood AS ENUM ('happy', 'sad', 'it''s \"complicated\"')",
        "CREATE DOMAIN positive_int AS int8 CHECK (VALUE > 0)",
        "CREATE TYPE address AS (street text, zip int4, tags text[])",
        "CREATE TYPE person AS (name text, home address, moods mood[], born date)",
        "CREATE TYPE floatrange AS RANGE (subtype = float8)",
        "CREATE TABLE all_types ("
            + " id int4 PRIMARY KEY,"
            + " c_int2 int2, c_int4 int4, c_int8 int8, c_oid oid,"
            + " c_numeric numeric, c_numeric_nan numeric, c_numeric_inf numeric,"
            + " c_numeric_scaled numeric(10,3), c_numeric_small numeric,"
            + " c_float4 float4, c_float4_nan float4, c_float8 float8, c_float8_inf float8,"
            + " c_bool bool, c_text text, c_varchar varchar(20), c_char char(5), c_name name,"
            + " c_qchar \"char\", c_uuid uuid, c_json json, c_jsonb jsonb,"
            + " c_date date, c_date_bc date, c_time time, c_timetz timetz,"
            + " c_ts timestamp(6), c_ts_bc timestamp, c_tstz timestamptz, c_tstz_old timestamptz,"
            + " c_tstz_inf timestamptz, c_interval interval, c_interval_neg interval,"
            + " c_bytea bytea, c_money money, c_inet inet, c_cidr cidr, c_macaddr macaddr,"
            + " c_macaddr8 macaddr8, c_bit bit(4), c_varbit varbit,"
            + " c_int4range int4range, c_numrange numrange, c_tstzrange tstzrange,"
            + " c_daterange daterange, c_int4multirange int4multirange,"
            + " c_floatrange floatrange, c_floatmultirange floatmultirange,"
            + " c_tsvector tsvector, c_point point, c_box box, c_circle circle,"
            + " c_pg_lsn pg_lsn, c_mood mood, c_domain positive_int,"
            + " c_address address, c_person person,"
            + " c_int4_arr int4[], c_int4_2d int4[][], c_text_arr text[], c_float8_arr float8[],"
            + " c_numeric_arr numeric[], c_date_arr date[], c_tstz_arr timestamptz[],"
            + " c_interval_arr interval[], c_bytea_arr bytea[], c_jsonb_arr jsonb[],"
            + " c_uuid_arr uuid[], c_bool_arr bool[], c_box_arr box[], c_mood_arr mood[],"
            + " c_domain_arr positive_int[], c_address_arr address[], c_range_arr int4range[])",
        "INSERT INTO all_types VALUES (1,"
            + " -32768, 2147483647, -9223372036854775808, 4294967295,"
            + " '-123456789012345678901234567890.123456789012345678901234567890', 'NaN',"
            + " '-Infinity', 1.5, 0.000000001,"
            + " 3.4028235e38, 'NaN', 0.1, 'Infinity',"
            + " true, E'unicode \u00e9 \uD83C\uDF89 \"quotes\" \\\\back\\\\slash\\\\ new\\nline',"
            + " 'abc', 'ab', 'some_name', 'x', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',"
            + " '{\"a\": 1, \"a\": 2, \"n\": 1.50, \"s\": \"x\\\"y\", \"l\": [null, true]}',"
            + " '{\"big\": 123456789012345678901234567890, \"f\": 2.50,"
            + " \"nested\": {\"arr\": [1, \"two\", {\"three\": 3}]}, \"uni\": \"\u00e9\"}',"
            + " '2024-02-29', '0044-03-15 BC', '24:00:00', '13:45:30.5+05:30',"
            + " '2024-01-15 13:45:30.123456', '0044-03-15 12:00:00 BC',"
            + " '2024-07-01 12:00:00.000001+00', '1900-01-01 00:00:00+00', 'infinity',"
            + " '1 year 2 months -3 days 04:05:06.789', '-1 days -00:00:01.5',"
            + " '\\x00ff10', 1234.56, '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03',"
            + " '08:00:2b:01:02:03:04:05', B'1010', B'101',"
            + " '[1,10)', '(,5.5]', '[2024-01-01 00:00+00,infinity)', 'empty',"
            + " '{[1,3),[5,7)}', '[1.5,2.5]', '{[1,2],[3,4)}',"
            + " 'a fat cat', '(1,2)', '(1,1),(0,0)', '<(0,0),1>', '16/B374D848', 'happy', 42,"
            + " ROW(E'Main \"St\" \\\\ 1', 12345, ARRAY['a b', NULL, 'c,d']),"
            + " ROW('Ann', ROW('x', NULL, '{}'), '{happy,\"it''s \\\"complicated\\\"\"}',"
            + "   '0001-01-01 BC'),"
            + " '[2:3]={1,2}', '{{1,NULL},{3,4}}',"
            + " ARRAY['plain', 'with space', 'a,b', 'q\"uote', E'back\\\\slash', 'NULL', NULL,"
            + "   '', '{}', '\u00e9'],"
            + " '{NaN,Infinity,-Infinity,0.1,-0,1e308,5e-324}', '{1.10,NaN,NULL}',"
            + " '{infinity,-infinity,2024-02-29,\"0044-03-15 BC\"}',"
            + " '{\"2024-01-01 00:00:00+00\",infinity}', '{\"1 day\",00:00:00}',"
            + " ARRAY['\\x00'::bytea, '\\x'::bytea], ARRAY['{\"a\": [1]}'::jsonb, 'null'::jsonb],"
            + " '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{t,f,NULL}',"
            + " '{(1,1),(0,0);(3,3),(2,2)}', '{happy,sad}', '{1,2}',"
            + " ARRAY[ROW('s', 1, NULL)::address, NULL], '{\"[1,2)\",empty}')",
        "INSERT INTO all_types (id) VALUES (2)");
  }

  @AfterAll
  static void closeConnection() throws SQLException {
    if (connection != null) {
      connection.close();
    }
  }

  @Test
  void everyTypeDecodesToItsExactValue() throws SQLException {
    Map<String, @Nullable Object> row = decodedRow(TypeRegistry.load(connection), 1);

    Map<String, @Nullable Object> expected = new LinkedHashMap<>();
    expected.put("id", 1);
    expected.put("c_int2", -32768);
    expected.put("c_int4", 2147483647);
    expected.put("c_int8", Long.MIN_VALUE);
    expected.put("c_oid", 4294967295L);
    expected.put(
        "c_numeric",
        new BigDecimal("-123456789012345678901234567890.123456789012345678901234567890"));
    expected.put("c_numeric_nan", "NaN");
    expected.put("c_numeric_inf", "-Infinity");
    expected.put("c_numeric_scaled", new BigDecimal("1.500"));
    expected.put("c_numeric_small", new BigDecimal("0.000000001"));
    expected.put("c_float4", Float.MAX_VALUE);
    expected.put("c_float4_nan", Float.NaN);
    expected.put("c_float8", 0.1d);
    expected.put("c_float8_inf", Double.POSITIVE_INFINITY);
    expected.put("c_bool", true);
    expected.put("c_text", "unicode \u00e9 \uD83C\uDF89 \"quotes\" \\back\\slash\\ new\nline");
    expected.put("c_varchar", "abc");
    expected.put("c_char", "ab"); // the padding of char(n) is dropped, as ::text does
    expected.put("c_name", "some_name");
    expected.put("c_qchar", "x");
    expected.put("c_uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    Map<String, @Nullable Object> json = new LinkedHashMap<>();
    json.put("a", 2L); // json keeps duplicate keys; the last one wins, as in jsonb
    json.put("n", new BigDecimal("1.50"));
    json.put("s", "x\"y");
    json.put("l", Arrays.asList(null, true));
    expected.put("c_json", json);
    Map<String, @Nullable Object> jsonb = new LinkedHashMap<>();
    jsonb.put("f", new BigDecimal("2.50"));
    jsonb.put("big", new BigInteger("123456789012345678901234567890"));
    jsonb.put("uni", "\u00e9");
    jsonb.put("nested", Map.of("arr", List.of(1L, "two", Map.of("three", 3L))));
    expected.put("c_jsonb", jsonb);
    expected.put("c_date", "2024-02-29");
    expected.put("c_date_bc", "-0043-03-15");
    expected.put("c_time", "24:00:00");
    expected.put("c_timetz", "13:45:30.5+05:30");
    expected.put("c_ts", "2024-01-15T13:45:30.123456");
    expected.put("c_ts_bc", "-0043-03-15T12:00:00");
    expected.put("c_tstz", "2024-07-01T12:00:00.000001Z");
    expected.put("c_tstz_old", "1900-01-01T00:00:00Z");
    expected.put("c_tstz_inf", "infinity");
    expected.put("c_interval", "P1Y2M-3DT4H5M6.789S");
    expected.put("c_interval_neg", "P-1DT-1.5S");
    expected.put("c_bytea", "AP8Q");
    expected.put("c_money", "$1,234.56");
    expected.put("c_inet", "192.168.0.1/24");
    expected.put("c_cidr", "10.0.0.0/8");
    expected.put("c_macaddr", "08:00:2b:01:02:03");
    expected.put("c_macaddr8", "08:00:2b:01:02:03:04:05");
    expected.put("c_bit", "1010");
    expected.put("c_varbit", "101");
    expected.put("c_int4range", range(1, 10, true, false));
    expected.put("c_numrange", range(null, new BigDecimal("5.5"), false, true));
    expected.put("c_tstzrange", range("2024-01-01T00:00:00Z", "infinity", true, false));
    expected.put("c_daterange", Map.of("empty", true));
    expected.put("c_int4multirange", List.of(range(1, 3, true, false), range(5, 7, true, false)));
    expected.put("c_floatrange", range(1.5d, 2.5d, true, true));
    expected.put(
        "c_floatmultirange",
        List.of(range(1.0d, 2.0d, true, true), range(3.0d, 4.0d, true, false)));
    expected.put("c_tsvector", "'a' 'cat' 'fat'");
    expected.put("c_point", "(1,2)");
    expected.put("c_box", "(1,1),(0,0)");
    expected.put("c_circle", "<(0,0),1>");
    expected.put("c_pg_lsn", "16/B374D848");
    expected.put("c_mood", "happy");
    expected.put("c_domain", 42L);
    Map<String, @Nullable Object> address = new LinkedHashMap<>();
    address.put("street", "Main \"St\" \\ 1");
    address.put("zip", 12345);
    address.put("tags", Arrays.asList("a b", null, "c,d"));
    expected.put("c_address", address);
    Map<String, @Nullable Object> home = new LinkedHashMap<>();
    home.put("street", "x");
    home.put("zip", null);
    home.put("tags", List.of());
    Map<String, @Nullable Object> person = new LinkedHashMap<>();
    person.put("name", "Ann");
    person.put("home", home);
    person.put("moods", List.of("happy", "it's \"complicated\""));
    person.put("born", "0000-01-01");
    expected.put("c_person", person);
    expected.put("c_int4_arr", List.of(1, 2));
    expected.put("c_int4_2d", List.of(Arrays.asList(1, null), List.of(3, 4)));
    expected.put(
        "c_text_arr",
        Arrays.asList(
            "plain",
            "with space",
            "a,b",
            "q\"uote",
            "back\\slash",
            "NULL",
            null,
            "",
            "{}",
            "\u00e9"));
    expected.put(
        "c_float8_arr",
        List.of(
            Double.NaN,
            Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY,
            0.1d,
            -0.0d,
            1e308d,
            Double.MIN_VALUE));
    expected.put("c_numeric_arr", Arrays.asList(new BigDecimal("1.10"), "NaN", null));
    expected.put("c_date_arr", List.of("infinity", "-infinity", "2024-02-29", "-0043-03-15"));
    expected.put("c_tstz_arr", List.of("2024-01-01T00:00:00Z", "infinity"));
    expected.put("c_interval_arr", List.of("P1D", "PT0S"));
    expected.put("c_bytea_arr", List.of("AA==", ""));
    expected.put("c_jsonb_arr", Arrays.asList(Map.of("a", List.of(1L)), null));
    expected.put("c_uuid_arr", List.of("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
    expected.put("c_bool_arr", Arrays.asList(true, false, null));
    expected.put("c_box_arr", List.of("(1,1),(0,0)", "(3,3),(2,2)"));
    expected.put("c_mood_arr", List.of("happy", "sad"));
    expected.put("c_domain_arr", List.of(1L, 2L));
    Map<String, @Nullable Object> shortAddress = new LinkedHashMap<>();
    shortAddress.put("street", "s");
    shortAddress.put("zip", 1);
    shortAddress.put("tags", null);
    expected.put("c_address_arr", Arrays.asList(shortAddress, null));
    expected.put("c_range_arr", List.of(range(1, 2, true, false), Map.of("empty", true)));

    assertThat(row.keySet()).containsExactlyElementsOf(expected.keySet());
    for (Map.Entry<String, @Nullable Object> e : expected.entrySet()) {
      assertThat(row.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
      assertThat(classesOf(row.get(e.getKey())))
          .as("value classes of " + e.getKey())
          .isEqualTo(classesOf(e.getValue()));
    }
  }

  @Test
  void jsonRenderingIsFaithful() throws SQLException {
    Map<String, @Nullable Object> row = decodedRow(TypeRegistry.load(connection), 1);
    Map<String, @Nullable Object> picked = new LinkedHashMap<>();
    for (String column :
        List.of(
            "c_int8",
            "c_numeric",
            "c_numeric_nan",
            "c_numeric_small",
            "c_float4",
            "c_float8_arr",
            "c_text",
            "c_jsonb",
            "c_tstz",
            "c_address",
            "c_floatmultirange",
            "c_daterange")) {
      picked.put(column, row.get(column));
    }
    assertThat(DocumentJson.toJson(Document.of(picked)))
        .isEqualTo(
            "{\"c_int8\":-9223372036854775808,"
                + "\"c_numeric\":-123456789012345678901234567890.123456789012345678901234567890,"
                + "\"c_numeric_nan\":\"NaN\","
                + "\"c_numeric_small\":1E-9,"
                + "\"c_float4\":3.4028235E38,"
                + "\"c_float8_arr\":[\"NaN\",\"Infinity\",\"-Infinity\",0.1,-0.0,1.0E308,4.9E-324],"
                // Jackson escapes characters outside the BMP; the JSON means the same text.
                + "\"c_text\":\"unicode \u00e9 \\uD83C\\uDF89 \\\"quotes\\\" \\\\back\\\\slash\\\\"
                + " new\\nline\","
                + "\"c_jsonb\":{\"f\":2.50,\"big\":123456789012345678901234567890,\"uni\":\"\u00e9\","
                + "\"nested\":{\"arr\":[1,\"two\",{\"three\":3}]}},"
                + "\"c_tstz\":\"2024-07-01T12:00:00.000001Z\","
                + "\"c_address\":{\"street\":\"Main \\\"St\\\" \\\\ 1\",\"zip\":12345,"
                + "\"tags\":[\"a b\",null,\"c,d\"]},"
                + "\"c_floatmultirange\":[{\"lower\":1.0,\"upper\":2.0,\"lowerInclusive\":true,"
                + "\"upperInclusive\":true},{\"lower\":3.0,\"upper\":4.0,\"lowerInclusive\":true,"
                + "\"upperInclusive\":false}],"
                + "\"c_daterange\":{\"empty\":true}}");
    // Every decoded row is a valid document, and its JSON parses back to the same values.
    Document document = Document.of(row);
    Document back = DocumentJson.parse(DocumentJson.toJson(document));
    assertThat(back.fields()).hasSameSizeAs(row);
    assertThat(back.get("c_text")).isEqualTo(row.get("c_text"));
    assertThat(back.get("c_numeric")).isEqualTo(row.get("c_numeric"));
    assertThat(back.get("c_float8_arr"))
        .isEqualTo(
            List.of(
                "NaN",
                "Infinity",
                "-Infinity",
                new BigDecimal("0.1"),
                new BigDecimal("-0.0"),
                new BigDecimal("1.0E308"),
                new BigDecimal("4.9E-324")));
  }

  @Test
  void castToTextDecodesTheSame() throws SQLException {
    // Repair reads select col::text; they must produce the documents the stream produces.
    ValueDecoder decoder = new ValueDecoder(TypeRegistry.load(connection));
    Map<String, @Nullable Object> viaOutput = decodedRow(decoder, "all_types", 1, "");
    Map<String, @Nullable Object> viaCast = decodedRow(decoder, "all_types", 1, "::text");
    for (Map.Entry<String, @Nullable Object> e : viaOutput.entrySet()) {
      assertThat(viaCast.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
    }
  }

  @Test
  void sqlNullsDecodeToNull() throws SQLException {
    Map<String, @Nullable Object> row = decodedRow(TypeRegistry.load(connection), 2);
    assertThat(row.get("id")).isEqualTo(2);
    assertThat(row.entrySet())
        .filteredOn(e -> !e.getKey().equals("id"))
        .allSatisfy(e -> assertThat(e.getValue()).as(e.getKey()).isNull());
  }

  @Test
  void intervalsMatchPostgresIsoOutput() throws SQLException {
    String[] intervals = {
      "0",
      "1 microsecond",
      "-1 microsecond",
      "1 year",
      "-1 year -1 month",
      "1 mon 1 day",
      "36 hours",
      "-36 hours 30 seconds",
      "1 day -1 second",
      "-1 day 1 second",
      "178000000 years",
      "2147483647 hours 59 minutes 59.999999 seconds",
      // Not -2147483648 hours: PostgreSQL 14 prints that as "--2147483648:00:00".
      "-2147483647 hours",
      "-2 years 3 days -4 hours 5 minutes",
      "0.5 seconds",
      "-0.000001 seconds",
      "1 year 2 months 3 days 4 hours 5 minutes 6.789 seconds"
    };
    ValueDecoder decoder = new ValueDecoder(TypeRegistry.builtIns());
    for (String interval : intervals) {
      String postgresStyle = intervalText(interval, "postgres");
      String iso = intervalText(interval, "iso_8601");
      assertThat(decoder.decode(1186, -1, postgresStyle))
          .as("interval '%s' printed as '%s'", interval, postgresStyle)
          .isEqualTo(iso);
    }
  }

  @Test
  void timestamptzMatchesPostgresUtcOutputInManyZones() throws SQLException {
    ValueDecoder decoder = new ValueDecoder(TypeRegistry.builtIns());
    String[] instants = {
      "2024-03-31 01:30:00+00", "1900-01-01 00:00:00+00", "1800-06-01 12:00:00.25+00",
      "0044-03-15 12:00:00+00 BC", "294276-12-31 23:59:59.999999+00", "4713-11-24 00:00:00+00 BC",
      "1970-01-01 00:00:00+00"
    };
    for (String zone : List.of("Europe/Amsterdam", "Asia/Kolkata", "America/St_Johns", "UTC")) {
      for (String instant : instants) {
        String zoned = select("SET TimeZone = '" + zone + "'", "'" + instant + "'::timestamptz");
        String utc = select("SET TimeZone = 'UTC'", "'" + instant + "'::timestamptz");
        // PostgreSQL's own UTC rendering, reshaped to ISO-8601 by hand.
        String expected = utcIso(utc);
        assertThat(decoder.decode(1184, -1, zoned))
            .as("%s printed in %s as '%s'", instant, zone, zoned)
            .isEqualTo(expected);
      }
    }
    execute("SET TimeZone = 'Europe/Amsterdam'");
  }

  @Test
  void builtInTableMatchesTheCatalog() throws SQLException {
    List<String> mismatches = new ArrayList<>();
    for (PgType type : BuiltInTypes.all().values()) {
      try (PreparedStatement st =
          connection.prepareStatement(
              "SELECT t.typname, t.typelem, e.typdelim, r.rngsubtype, m.rngtypid"
                  + " FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem"
                  + " LEFT JOIN pg_range r ON r.rngtypid = t.oid"
                  + " LEFT JOIN pg_range m ON m.rngmultitypid = t.oid"
                  + " WHERE t.oid = ?")) {
        st.setLong(1, type.oid());
        try (ResultSet rs = st.executeQuery()) {
          if (!rs.next()) {
            mismatches.add(type + " does not exist");
            continue;
          }
          String actual =
              describe(
                  rs.getString(1), rs.getLong(2), rs.getString(3), rs.getLong(4), rs.getLong(5));
          String ours;
          boolean matches;
          if (type instanceof PgType.Array a) {
            ours = describe(a.name(), a.elementOid(), String.valueOf(a.delimiter()), 0, 0);
            matches = actual.equals(ours);
          } else if (type instanceof PgType.Range r) {
            ours = describe(r.name(), 0, null, r.subtypeOid(), 0);
            matches = actual.equals(ours);
          } else if (type instanceof PgType.Multirange m) {
            ours = describe(m.name(), 0, null, 0, m.rangeOid());
            matches = actual.equals(ours);
          } else {
            // Scalars: only the name matters (point, name and others have a typelem).
            ours = type.name();
            matches = actual.startsWith(type.name() + "/");
          }
          if (!matches) {
            mismatches.add(type.oid() + ": ours " + ours + ", catalog " + actual);
          }
        }
      }
    }
    assertThat(mismatches).isEmpty();
  }

  @Test
  void userTypesAreLookedUpAndRefreshedAfterTheyChange() throws SQLException {
    execute(
        "CREATE TYPE evolving AS (a int4, b text)",
        "CREATE TABLE evolving_t (id int4 PRIMARY KEY, v evolving, vs evolving[])",
        "INSERT INTO evolving_t VALUES (1, ROW(1, 'x'), ARRAY[ROW(2, 'y')::evolving])");
    TypeRegistry registry =
        TypeRegistry.connecting(() -> server.connect(DATABASE)); // a fresh connection per lookup
    ValueDecoder decoder = new ValueDecoder(registry);
    Map<String, @Nullable Object> before = decodedRow(decoder, "evolving_t", 1);
    assertThat(before.get("v")).isEqualTo(linked("a", 1, "b", "x"));
    int oid = typeOid("evolving");
    int arrayOid = typeOid("_evolving");
    assertThat(registry.typeName(oid)).isEqualTo("evolving");
    assertThat(registry.typeName(arrayOid)).isEqualTo("_evolving");

    execute(
        "ALTER TYPE evolving ADD ATTRIBUTE c numeric",
        "UPDATE evolving_t SET v = ROW(3, 'z', 1.5), vs = ARRAY[ROW(4, NULL, NULL)::evolving]");
    // The cached type has two attributes; a row with three makes the decoder read it again.
    Map<String, @Nullable Object> after = decodedRow(decoder, "evolving_t", 1);
    assertThat(after.get("v")).isEqualTo(linked("a", 3, "b", "z", "c", new BigDecimal("1.5")));
    assertThat(after.get("vs")).isEqualTo(List.of(linked("a", 4, "b", null, "c", null)));

    // A TYPE message for the array type forgets its element type too.
    execute("ALTER TYPE evolving RENAME ATTRIBUTE c TO amount");
    registry.invalidate(arrayOid);
    assertThat(decoder.decode(arrayOid, -1, "{\"(5,w,2)\"}"))
        .isEqualTo(List.of(linked("a", 5, "b", "w", "amount", new BigDecimal("2"))));

    // Dropped attributes are not printed by PostgreSQL and not expected by the decoder.
    execute("ALTER TYPE evolving DROP ATTRIBUTE b");
    registry.invalidate(oid);
    assertThat(decoder.decode(oid, -1, "(6,3)"))
        .isEqualTo(linked("a", 6, "amount", new BigDecimal("3")));
    assertThat(decodedRow(decoder, "evolving_t", 1).get("v"))
        .isEqualTo(linked("a", 3, "amount", new BigDecimal("1.5")));
  }

  @Test
  void unknownAndDroppedTypesStayText() throws SQLException {
    TypeRegistry registry = TypeRegistry.load(connection);
    ValueDecoder decoder = new ValueDecoder(registry);
    // An oid no type has (any more): its text, never an error.
    assertThat(decoder.decode(999_999_999, -1, "whatever")).isEqualTo("whatever");
    assertThat(registry.typeName(999_999_999)).isEqualTo("oid 999999999");
    // Without a catalog, a user type is opaque text too.
    assertThat(new ValueDecoder(TypeRegistry.builtIns()).decode(typeOid("address"), -1, "(a,1,)"))
        .isEqualTo("(a,1,)");
  }

  @Test
  void catalogFailureIsAnOutageNotPoison() throws SQLException {
    TypeRegistry registry =
        TypeRegistry.connecting(
            () -> {
              throw new SQLException("connection refused (test)");
            });
    ValueDecoder decoder = new ValueDecoder(registry);
    assertThatThrownBy(() -> decoder.decode(typeOid("address"), -1, "(a,1,)"))
        .isInstanceOf(dev.driftless.core.RetriableException.class)
        .hasMessageContaining("connection refused (test)");
    // Built-in types need no catalog.
    assertThat(decoder.decode(23, -1, "7")).isEqualTo(7);
  }

  @Test
  void malformedTextOfAUserTypeNamesIt() throws SQLException {
    ValueDecoder decoder = new ValueDecoder(TypeRegistry.load(connection));
    assertThatThrownBy(() -> decoder.decode(typeOid("address"), -1, "(a,notanumber,)"))
        .isInstanceOf(ValueDecodingException.class)
        .hasMessageStartingWith("cannot decode address value '(a,notanumber,)'")
        .hasMessageContaining("int4");
  }

  @Test
  void opaqueBuiltInTypesStayAsPrinted() throws SQLException {
    String[] expressions = {
      "'a & !b'::tsquery",
      "'$.a[*] ? (@ > 1)'::jsonpath",
      "'{1,2,3}'::line",
      "'[(0,0),(1,1)]'::lseg",
      "'[(0,0),(1,1),(2,0)]'::path",
      "'((0,0),(1,1),(1,0))'::polygon",
      "'10:20:10,14,15'::txid_snapshot",
      "'1 2'::int2vector",
      "'pg_class'::regclass",
      "'int4'::regtype",
      "'(1,2)'::tid",
      "'xyz'::refcursor",
      "'{\"a b\",c}'::tsvector[]",
      "'{\"(1,2)\",\"(3,4)\"}'::point[]",
      "'{\"<(0,0),1>\"}'::circle[]",
      "'{1/2}'::pg_lsn[]",
      "'{10.0.0.1,::1}'::inet[]",
      "'{1010,01}'::varbit[]",
      "'{$1.00}'::money[]"
    };
    ValueDecoder decoder = new ValueDecoder(TypeRegistry.load(connection));
    for (String expression : expressions) {
      try (Statement st = connection.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT " + expression + ", pg_typeof(" + expression + ")::oid::int8")) {
        rs.next();
        String text = rs.getString(1);
        Object decoded = decoder.decode((int) rs.getLong(2), -1, text);
        if (expression.endsWith("[]")) {
          // Arrays of opaque types: a list whose elements are each printed element.
          assertThat(decoded).as(expression).isInstanceOf(List.class);
          assertThat((List<?>) decoded)
              .as(expression)
              .isNotEmpty()
              .allMatch(String.class::isInstance);
        } else {
          assertThat(decoded).as(expression).isEqualTo(text);
        }
      }
    }
    assertThat(decoder.decode(typeOid("_point"), -1, "{\"(1,2)\",\"(3,4)\"}"))
        .isEqualTo(List.of("(1,2)", "(3,4)"));
  }

  @Test
  void xmlStaysAsPrintedWhereTheServerSupportsIt() throws SQLException {
    String text;
    try {
      text = select("SET search_path = t, public", "'<a x=\"1\">\u00e9 &amp; b</a>'::xml");
    } catch (SQLException e) {
      // Servers built without libxml reject every xml value; nothing to decode then.
      Assumptions.assumeTrue(false, "server has no XML support: " + e.getMessage());
      return;
    }
    assertThat(new ValueDecoder(TypeRegistry.builtIns()).decode(142, -1, text))
        .isEqualTo("<a x=\"1\">\u00e9 &amp; b</a>");
  }

  // --- helpers ---

  private static Map<String, @Nullable Object> decodedRow(TypeRegistry registry, int id)
      throws SQLException {
    return decodedRow(new ValueDecoder(registry), "all_types", id);
  }

  /** Reads each column's text with its type oid and modifier, then decodes it. */
  private static Map<String, @Nullable Object> decodedRow(
      ValueDecoder decoder, String table, int id) throws SQLException {
    return decodedRow(decoder, table, id, "");
  }

  private static Map<String, @Nullable Object> decodedRow(
      ValueDecoder decoder, String table, int id, String cast) throws SQLException {
    List<String> names = new ArrayList<>();
    List<int[]> types = new ArrayList<>();
    try (PreparedStatement st =
        connection.prepareStatement(
            "SELECT attname, atttypid, atttypmod FROM pg_attribute"
                + " WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped"
                + " ORDER BY attnum")) {
      st.setString(1, "t." + table);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          names.add(rs.getString(1));
          types.add(new int[] {(int) rs.getLong(2), rs.getInt(3)});
        }
      }
    }
    StringBuilder sql = new StringBuilder("SELECT ");
    for (int i = 0; i < names.size(); i++) {
      sql.append(i == 0 ? "" : ", ").append('"').append(names.get(i)).append('"').append(cast);
    }
    sql.append(" FROM t.").append(table).append(" WHERE id = ").append(id);
    Map<String, @Nullable Object> row = new LinkedHashMap<>();
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery(sql.toString())) {
      assertThat(rs.next()).as("row %s of %s", id, table).isTrue();
      for (int i = 0; i < names.size(); i++) {
        row.put(
            names.get(i), decoder.decode(types.get(i)[0], types.get(i)[1], rs.getString(i + 1)));
      }
    }
    return row;
  }

  private static String intervalText(String interval, String style) throws SQLException {
    return select("SET IntervalStyle = " + style, "'" + interval + "'::interval");
  }

  private static String select(String setting, String expression) throws SQLException {
    try (Statement st = connection.createStatement()) {
      st.execute(setting);
      try (ResultSet rs = st.executeQuery("SELECT (" + expression + ")::text")) {
        rs.next();
        String text = rs.getString(1);
        st.execute("SET IntervalStyle = postgres");
        return text;
      }
    }
  }

  /** '2024-01-01 00:00:00.5+00' or '0044-03-15 12:00:00+00 BC' to ISO-8601 UTC. */
  private static String utcIso(String utc) {
    boolean bc = utc.endsWith(" BC");
    String body = bc ? utc.substring(0, utc.length() - 3) : utc;
    body = body.substring(0, body.length() - 3); // "+00"
    String year = body.substring(0, body.indexOf('-'));
    String rest = body.substring(body.indexOf('-')).replace(' ', 'T');
    int y = Integer.parseInt(year);
    int astronomical = bc ? 1 - y : y;
    String isoYear =
        astronomical > 9999
            ? "+" + astronomical
            : astronomical < 0
                ? "-" + String.format("%04d", -astronomical)
                : String.format("%04d", astronomical);
    return isoYear + rest + "Z";
  }

  private static int typeOid(String name) throws SQLException {
    return (int)
        Long.parseLong(select("SET search_path = t, public", "'" + name + "'::regtype::oid"));
  }

  private static void execute(String... statements) throws SQLException {
    try (Statement st = connection.createStatement()) {
      for (String sql : statements) {
        st.execute(sql);
      }
    }
  }

  private static String describe(
      String name, long elem, @Nullable String delim, long subtype, long range) {
    return name + "/" + elem + "/" + delim + "/" + subtype + "/" + range;
  }

  private static Map<String, @Nullable Object> range(
      @Nullable Object lower, @Nullable Object upper, boolean lowerInc, boolean upperInc) {
    Map<String, @Nullable Object> map = new LinkedHashMap<>();
    map.put("lower", lower);
    map.put("upper", upper);
    map.put("lowerInclusive", lowerInc);
    map.put("upperInclusive", upperInc);
    return map;
  }

  private static Map<String, @Nullable Object> linked(@Nullable Object... namesAndValues) {
    Map<String, @Nullable Object> map = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      map.put((String) namesAndValues[i], namesAndValues[i + 1]);
    }
    return map;
  }

  /** The classes of a value and everything nested in it, so Integer vs Long mismatches show. */
  private static String classesOf(@Nullable Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof Map<?, ?> map) {
      StringBuilder sb = new StringBuilder("{");
      map.forEach((k, v) -> sb.append(k).append('=').append(classesOf(v)).append(','));
      return sb.append('}').toString();
    }
    if (value instanceof List<?> list) {
      StringBuilder sb = new StringBuilder("[");
      list.forEach(v -> sb.append(classesOf(v)).append(','));
      return sb.append(']').toString();
    }
    return value.getClass().getSimpleName();
  }
}
