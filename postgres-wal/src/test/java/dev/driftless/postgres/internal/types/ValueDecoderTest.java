package dev.driftless.postgres.internal.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class ValueDecoderTest {

  private static final int BOOL = 16;
  private static final int BYTEA = 17;
  private static final int INT8 = 20;
  private static final int INT2 = 21;
  private static final int INT4 = 23;
  private static final int TEXT = 25;
  private static final int OID = 26;
  private static final int JSON = 114;
  private static final int FLOAT4 = 700;
  private static final int FLOAT8 = 701;
  private static final int MONEY = 790;
  private static final int DATE = 1082;
  private static final int TIME = 1083;
  private static final int TIMESTAMP = 1114;
  private static final int TIMESTAMPTZ = 1184;
  private static final int INTERVAL = 1186;
  private static final int TIMETZ = 1266;
  private static final int NUMERIC = 1700;
  private static final int UUID = 2950;
  private static final int JSONB = 3802;
  private static final int INT4_ARRAY = 1007;
  private static final int JSONB_ARRAY = 3807;
  private static final int TEXT_ARRAY = 1009;
  private static final int BOX_ARRAY = 1020;
  private static final int FLOAT8_ARRAY = 1022;
  private static final int DATE_ARRAY = 1182;
  private static final int INT4RANGE = 3904;
  private static final int NUMRANGE = 3906;
  private static final int TSTZRANGE = 3910;
  private static final int DATERANGE = 3912;
  private static final int INT4MULTIRANGE = 4451;

  private final TypeRegistry registry = TypeRegistry.builtIns();
  private final ValueDecoder decoder = new ValueDecoder(registry);

  private @Nullable Object decode(int oid, String text) {
    return decoder.decode(oid, -1, text);
  }

  private static String json(@Nullable Object value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      DocumentJson.writeValue(value, out);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void sqlNullIsNull() {
    assertThat(decoder.decode(INT4, -1, null)).isNull();
  }

  @Test
  void integers() {
    assertThat(decode(INT2, "-32768")).isEqualTo(-32768);
    assertThat(decode(INT4, "2147483647")).isEqualTo(Integer.MAX_VALUE);
    assertThat(decode(INT8, "-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
    assertThat(decode(OID, "4294967295")).isEqualTo(4294967295L);
    assertThat(decode(5069, "18446744073709551615"))
        .isEqualTo(new BigInteger("18446744073709551615"));
  }

  @Test
  void numericIsExactAndKeepsItsScale() {
    assertThat(decode(NUMERIC, "1.50")).isEqualTo(new BigDecimal("1.50"));
    String huge = "123456789012345678901234567890123456789012345678901234567890.000000000000000001";
    assertThat(decode(NUMERIC, huge)).isEqualTo(new BigDecimal(huge));
    assertThat(json(decode(NUMERIC, huge))).isEqualTo(huge);
    assertThat(decode(NUMERIC, "NaN")).isEqualTo("NaN");
    assertThat(decode(NUMERIC, "Infinity")).isEqualTo("Infinity");
    assertThat(decode(NUMERIC, "-Infinity")).isEqualTo("-Infinity");
  }

  @Test
  void floatsIncludingNonFinite() {
    assertThat(decode(FLOAT8, "0.1")).isEqualTo(0.1d);
    assertThat(decode(FLOAT8, "1e+308")).isEqualTo(1e308d);
    assertThat(decode(FLOAT8, "-0")).isEqualTo(-0.0d);
    assertThat(decode(FLOAT8, "NaN")).isEqualTo(Double.NaN);
    assertThat(decode(FLOAT8, "-Infinity")).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(decode(FLOAT4, "3.4028235e+38")).isEqualTo(Float.MAX_VALUE);
    assertThat(decode(FLOAT4, "Infinity")).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(json(decode(FLOAT8, "NaN"))).isEqualTo("\"NaN\"");
    assertThat(json(decode(FLOAT4, "-Infinity"))).isEqualTo("\"-Infinity\"");
  }

  @Test
  void booleansTextAndOpaqueTypes() {
    assertThat(decode(BOOL, "t")).isEqualTo(true);
    assertThat(decode(BOOL, "f")).isEqualTo(false);
    assertThat(decode(TEXT, "")).isEqualTo("");
    assertThat(decode(1042, "ab   ")).isEqualTo("ab");
    assertThat(decode(1042, " a b ")).isEqualTo(" a b");
    assertThat(decode(1014, "{\"ab  \",\"   \"}")).isEqualTo(List.of("ab", ""));
    assertThat(decode(UUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
        .isEqualTo("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    assertThat(decode(MONEY, "$1,234.56")).isEqualTo("$1,234.56");
    // An oid nobody knows (no catalog connection) is kept as text, never an error.
    assertThat(decode(987654, "(1,2)")).isEqualTo("(1,2)");
    assertThat(registry.typeName(987654)).isEqualTo("oid 987654");
  }

  @Test
  void byteaHexAndEscapeToBase64() {
    assertThat(decode(BYTEA, "\\x")).isEqualTo("");
    assertThat(decode(BYTEA, "\\x00ff10")).isEqualTo("AP8Q");
    assertThat(decode(BYTEA, "a\\\\b\\000\\377")).isEqualTo("YVxiAP8=");
  }

  @Test
  void jsonBecomesNestedValues() {
    Object value = decode(JSONB, "{\"a\": [1, 2.50, null, true], \"b\": {\"c\": \"\\u00e9\"}}");
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("a", Arrays.asList(1L, new BigDecimal("2.50"), null, true));
    expected.put("b", Map.of("c", "é"));
    assertThat(value).isEqualTo(expected);
    assertThat(decode(JSON, "\"just a string\"")).isEqualTo("just a string");
    assertThat(decode(JSON, "12345678901234567890123"))
        .isEqualTo(new BigInteger("12345678901234567890123"));
  }

  @Test
  void jsonNumbersAsLongAsPostgresNumericsDecodeAndLongerOnesArePoison() {
    String longest = "9".repeat(147_455); // numeric's most digits
    assertThat(decode(JSONB, "[" + longest + "]")).isEqualTo(List.of(new BigInteger(longest)));
    String tooLong = "9".repeat(200_001);
    assertThatThrownBy(() -> decode(JSONB, "[" + tooLong + "]"))
        .isInstanceOf(ValueDecodingException.class)
        .hasMessageContaining("jsonb");
    // A numeric column has no such limit.
    assertThat(decode(NUMERIC, tooLong)).isEqualTo(new BigDecimal(tooLong));
  }

  @Test
  void arrayElementsKeepUnicodeWhitespaceAtTheirEdges() {
    // What array_out prints for ARRAY[E'x\u2028', E'\u001Fy', 'z'], ARRAY[E'\u2028'] and
    // ARRAY[E'\u2028NULL', 'x']: none of these characters makes it quote an element.
    assertThat(decode(TEXT_ARRAY, "{x\u2028,\u001Fy,z}"))
        .isEqualTo(List.of("x\u2028", "\u001Fy", "z"));
    assertThat(decode(TEXT_ARRAY, "{\u2028}")).isEqualTo(List.of("\u2028"));
    assertThat(decode(TEXT_ARRAY, "{\u2028NULL,x}")).isEqualTo(List.of("\u2028NULL", "x"));
    assertThat(decode(TEXT_ARRAY, "{x,\u3000}")).isEqualTo(List.of("x", "\u3000"));
  }

  @Test
  void jsonObjectKeysOfAnyLengthStayObjects() {
    // Jackson's default refuses names over 50,000 characters; a jsonb key may have 268,435,455.
    String key = "k".repeat(100_000);
    assertThat(decode(JSONB, "{\"" + key + "\": 1}")).isEqualTo(Map.of(key, 1L));
    assertThat(decode(JSON, "[{\"" + key + "\": {\"" + key + "x\": null}}]"))
        .isEqualTo(List.of(Map.of(key, Collections.singletonMap(key + "x", null))));
  }

  @Test
  void jsonNestedUpToAThousandLevelsDecodesAndDeeperIsPoisonNamingTheType() {
    String deepest = "[".repeat(1_000) + "1" + "]".repeat(1_000);
    Object value = decode(JSONB, deepest);
    int depth = 0;
    while (value instanceof List<?> list) {
      value = list.get(0);
      depth++;
    }
    assertThat(depth).isEqualTo(1_000);
    assertThat(value).isEqualTo(1L);
    // A document holding it, inside an array of jsonb, is written and read back.
    Object inArray = decoder.decode(JSONB_ARRAY, -1, "{\"" + deepest + "\"}");
    Document document = Document.of("deep", inArray);
    assertThat(DocumentJson.parse(DocumentJson.toJson(document))).isEqualTo(document);

    String deeper = "{\"a\":".repeat(1_001) + "1" + "}".repeat(1_001);
    for (int oid : new int[] {JSON, JSONB}) {
      assertThatThrownBy(() -> decode(oid, deeper))
          .isInstanceOf(ValueDecodingException.class)
          .hasMessageStartingWith("cannot decode " + (oid == JSON ? "json" : "jsonb") + " value")
          .hasMessageContaining("nested more than 1000 levels deep");
    }
  }

  @Test
  void datesAreIsoWithAstronomicalYears() {
    assertThat(decode(DATE, "2024-02-29")).isEqualTo("2024-02-29");
    assertThat(decode(DATE, "0044-03-15 BC")).isEqualTo("-0043-03-15");
    assertThat(decode(DATE, "0001-01-01 BC")).isEqualTo("0000-01-01");
    assertThat(decode(DATE, "5874897-12-31")).isEqualTo("+5874897-12-31");
    assertThat(decode(DATE, "infinity")).isEqualTo("infinity");
    assertThat(decode(DATE, "-infinity")).isEqualTo("-infinity");
  }

  @Test
  void timesKeepTheirFraction() {
    assertThat(decode(TIME, "13:45:30")).isEqualTo("13:45:30");
    assertThat(decode(TIME, "13:45:30.000001")).isEqualTo("13:45:30.000001");
    assertThat(decode(TIME, "24:00:00")).isEqualTo("24:00:00");
    assertThat(decode(TIMETZ, "13:45:30.5+05:30")).isEqualTo("13:45:30.5+05:30");
    assertThat(decode(TIMETZ, "13:45:30-08")).isEqualTo("13:45:30-08:00");
    assertThat(decode(TIMETZ, "00:00:00+00")).isEqualTo("00:00:00Z");
    assertThat(decode(TIMETZ, "12:00:00+00:19:32")).isEqualTo("12:00:00+00:19:32");
  }

  @Test
  void timestamps() {
    assertThat(decode(TIMESTAMP, "2024-01-15 13:45:30.123456"))
        .isEqualTo("2024-01-15T13:45:30.123456");
    assertThat(decode(TIMESTAMP, "0044-03-15 12:00:00 BC")).isEqualTo("-0043-03-15T12:00:00");
    assertThat(decode(TIMESTAMP, "infinity")).isEqualTo("infinity");
    assertThat(decode(TIMESTAMPTZ, "2024-01-15 13:45:30.5+01")).isEqualTo("2024-01-15T12:45:30.5Z");
    assertThat(decode(TIMESTAMPTZ, "2024-01-01 02:00:00+05:30")).isEqualTo("2023-12-31T20:30:00Z");
    assertThat(decode(TIMESTAMPTZ, "1900-01-01 00:00:00+00:19:32"))
        .isEqualTo("1899-12-31T23:40:28Z");
    assertThat(decode(TIMESTAMPTZ, "0001-01-01 00:00:00-03 BC")).isEqualTo("0000-01-01T03:00:00Z");
    assertThat(decode(TIMESTAMPTZ, "-infinity")).isEqualTo("-infinity");
    assertThat(decode(TIMESTAMPTZ, "2024-12-31 23:30:00-01")).isEqualTo("2025-01-01T00:30:00Z");
    assertThat(decode(TIMESTAMPTZ, "2024-03-01 00:30:00+01")).isEqualTo("2024-02-29T23:30:00Z");
    assertThat(decode(TIMESTAMPTZ, "294276-12-31 23:59:59.999999+00"))
        .isEqualTo("+294276-12-31T23:59:59.999999Z");
    assertThat(decode(TIMESTAMPTZ, "4714-11-24 00:00:00+00 BC")).isEqualTo("-4713-11-24T00:00:00Z");
  }

  @Test
  void intervalsBecomeIsoDurations() {
    assertThat(decode(INTERVAL, "00:00:00")).isEqualTo("PT0S");
    assertThat(decode(INTERVAL, "1 year 2 mons 3 days 04:05:06.789"))
        .isEqualTo("P1Y2M3DT4H5M6.789S");
    assertThat(decode(INTERVAL, "-1 days +02:03:00")).isEqualTo("P-1DT2H3M");
    assertThat(decode(INTERVAL, "-00:00:00.5")).isEqualTo("PT-0.5S");
    assertThat(decode(INTERVAL, "-1 years -2 mons")).isEqualTo("P-1Y-2M");
    assertThat(decode(INTERVAL, "1 day")).isEqualTo("P1D");
    assertThat(decode(INTERVAL, "2562047788:00:54.775807")).isEqualTo("PT2562047788H54.775807S");
  }

  @Test
  void arrays() {
    assertThat(decode(INT4_ARRAY, "{}")).isEqualTo(List.of());
    assertThat(decode(INT4_ARRAY, "{1,NULL,-3}")).isEqualTo(Arrays.asList(1, null, -3));
    assertThat(decode(INT4_ARRAY, "{{1,2},{3,4}}"))
        .isEqualTo(List.of(List.of(1, 2), List.of(3, 4)));
    assertThat(decode(INT4_ARRAY, "[2:3]={1,2}")).isEqualTo(List.of(1, 2));
    assertThat(decode(INT4_ARRAY, "[0:1][-1:-1]={{1},{2}}"))
        .isEqualTo(List.of(List.of(1), List.of(2)));
    assertThat(decode(FLOAT8_ARRAY, "{NaN,Infinity,-Infinity,1.5}"))
        .isEqualTo(List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1.5d));
    assertThat(decode(DATE_ARRAY, "{\"0044-03-15 BC\",2024-01-01}"))
        .isEqualTo(List.of("-0043-03-15", "2024-01-01"));
  }

  @Test
  void textArraysWithQuotingAndEscapes() {
    assertThat(
            decode(
                TEXT_ARRAY,
                "{plain,\"with space\",\"a,b\",\"q\\\"uote\",\"back\\\\slash\",\"NULL\",NULL,\"\",\"{}\",é}"))
        .isEqualTo(
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
                "é"));
  }

  @Test
  void boxArraysUseTheSemicolonDelimiter() {
    assertThat(decode(BOX_ARRAY, "{(1,1),(0,0);(3,3),(2,2)}"))
        .isEqualTo(List.of("(1,1),(0,0)", "(3,3),(2,2)"));
  }

  @Test
  void ranges() {
    assertThat(decode(INT4RANGE, "[1,10)")).isEqualTo(range(1, 10, true, false));
    assertThat(decode(INT4RANGE, "empty")).isEqualTo(Map.of("empty", true));
    assertThat(decode(NUMRANGE, "(,5.5]"))
        .isEqualTo(range(null, new BigDecimal("5.5"), false, true));
    assertThat(decode(DATERANGE, "[2024-01-01,infinity)"))
        .isEqualTo(range("2024-01-01", "infinity", true, false));
    assertThat(decode(TSTZRANGE, "[\"2024-01-01 00:00:00+01\",)"))
        .isEqualTo(range("2023-12-31T23:00:00Z", null, true, false));
    assertThat(json(decode(INT4RANGE, "[1,10)")))
        .isEqualTo("{\"lower\":1,\"upper\":10,\"lowerInclusive\":true,\"upperInclusive\":false}");
  }

  @Test
  void multiranges() {
    assertThat(decode(INT4MULTIRANGE, "{}")).isEqualTo(List.of());
    assertThat(decode(INT4MULTIRANGE, "{[1,3),[5,7)}"))
        .isEqualTo(List.of(range(1, 3, true, false), range(5, 7, true, false)));
  }

  @Test
  void compositesNullsQuotesAndNesting() {
    int inner = 90001;
    int outer = 90002;
    int innerArray = 90003;
    int mood = 90004;
    int positive = 90005;
    registry.define(
        new PgType.Composite(
            inner,
            "pair",
            List.of(new PgType.Attribute("k", TEXT, -1), new PgType.Attribute("v", INT4, -1))));
    registry.define(new PgType.Array(innerArray, "_pair", inner, ','));
    registry.define(new PgType.Scalar(mood, "mood", ScalarKind.TEXT));
    registry.define(new PgType.Domain(positive, "positive", INT8));
    registry.define(
        new PgType.Composite(
            outer,
            "outer",
            List.of(
                new PgType.Attribute("name", TEXT, -1),
                new PgType.Attribute("pair", inner, -1),
                new PgType.Attribute("pairs", innerArray, -1),
                new PgType.Attribute("mood", mood, -1),
                new PgType.Attribute("n", positive, -1),
                new PgType.Attribute("empty", TEXT, -1),
                new PgType.Attribute("missing", INT4, -1))));

    Object value =
        decode(
            outer,
            "(\"a \"\"b\"\" \\\\c\",\"(x,1)\",\"{\"\"(y,2)\"\",\"\"(,)\"\"}\",happy,42,\"\",)");

    Map<String, Object> pairX = new LinkedHashMap<>();
    pairX.put("k", "x");
    pairX.put("v", 1);
    Map<String, Object> pairY = new LinkedHashMap<>();
    pairY.put("k", "y");
    pairY.put("v", 2);
    Map<String, Object> pairNulls = new LinkedHashMap<>();
    pairNulls.put("k", null);
    pairNulls.put("v", null);
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("name", "a \"b\" \\c");
    expected.put("pair", pairX);
    expected.put("pairs", List.of(pairY, pairNulls));
    expected.put("mood", "happy");
    expected.put("n", 42L);
    expected.put("empty", "");
    expected.put("missing", null);
    assertThat(value).isEqualTo(expected);
    assertThat(Document.of("c", value).get("c")).isEqualTo(expected);
  }

  @Test
  void rowWithTooFewFieldsIsAClearError() {
    registry.define(
        new PgType.Composite(
            90010,
            "pair",
            List.of(new PgType.Attribute("k", TEXT, -1), new PgType.Attribute("v", INT4, -1))));
    assertThatThrownBy(() -> decode(90010, "(x)"))
        .isInstanceOf(ValueDecodingException.class)
        .hasMessageContaining("pair")
        .hasMessageContaining("1 fields but the type has 2 attributes");
  }

  @Test
  void malformedValuesNameTheTypeAndValue() {
    assertThatThrownBy(() -> decode(INT4, "12x"))
        .isInstanceOf(ValueDecodingException.class)
        .hasMessage("cannot decode int4 value '12x': not an integer")
        .extracting(e -> ((ValueDecodingException) e).typeName())
        .isEqualTo("int4");
    assertThatThrownBy(() -> decode(INT4, "2147483648")).isInstanceOf(ValueDecodingException.class);
    assertThatThrownBy(() -> decode(BOOL, "yes")).hasMessageContaining("bool");
    assertThatThrownBy(() -> decode(FLOAT8, "0x1p3")).hasMessageContaining("float8");
    assertThatThrownBy(() -> decode(NUMERIC, "1,5")).hasMessageContaining("numeric");
    assertThatThrownBy(() -> decode(DATE, "15.01.2024")).hasMessageContaining("DateStyle ISO");
    assertThatThrownBy(() -> decode(DATE, "2023-02-29")).hasMessageContaining("date");
    assertThatThrownBy(() -> decode(DATE, "2021-02-29")).hasMessageContaining("out of range");
    assertThatThrownBy(() -> decode(DATE, "0002-02-29 BC")).hasMessageContaining("out of range");
    assertThat(decode(DATE, "0001-02-29 BC")).isEqualTo("0000-02-29");
    assertThat(decode(DATE, "2000-02-29")).isEqualTo("2000-02-29");
    assertThatThrownBy(() -> decode(DATE, "1900-02-29")).hasMessageContaining("out of range");
    assertThatThrownBy(() -> decode(DATE, "2024-04-31")).hasMessageContaining("out of range");
    assertThatThrownBy(() -> decode(DATE, "2024-13-01")).hasMessageContaining("out of range");
    assertThatThrownBy(() -> decode(DATE, "2024-01-01 AD")).hasMessageContaining("unexpected");
    assertThatThrownBy(() -> decode(TIMESTAMPTZ, "2024-01-01 00:00:00"))
        .hasMessageContaining("offset");
    assertThatThrownBy(() -> decode(TIME, "12:60:00")).hasMessageContaining("out of range");
    assertThatThrownBy(() -> decode(TIME, "24:00:00.1")).hasMessageContaining("out of range");
    assertThatThrownBy(() -> decode(TIME, "12:00:00.")).hasMessageContaining("fractional");
    assertThatThrownBy(() -> decode(TIMESTAMP, "2024-01-01 24:00:00"))
        .hasMessageContaining("out of range");
    assertThatThrownBy(() -> decode(INTERVAL, "1-2 3 4:05:06"))
        .hasMessageContaining("IntervalStyle");
    assertThatThrownBy(() -> decode(BYTEA, "\\x0")).hasMessageContaining("bytea");
    assertThatThrownBy(() -> decode(JSONB, "{\"a\":")).hasMessageContaining("jsonb");
    assertThatThrownBy(() -> decode(INT4_ARRAY, "{1,x}"))
        .isInstanceOf(ValueDecodingException.class)
        .hasMessage(
            "cannot decode _int4 value '{1,x}': cannot decode int4 value 'x': not an integer");
    assertThatThrownBy(() -> decode(INT4_ARRAY, "{1,2")).hasMessageContaining("end of the array");
    assertThatThrownBy(() -> decode(INT4_ARRAY, "{1}}")).hasMessageContaining("after the array");
    assertThatThrownBy(() -> decode(INT4RANGE, "[1;2)")).hasMessageContaining("int4range");
    assertThatThrownBy(() -> decode(INT4MULTIRANGE, "{[1,2)"))
        .hasMessageContaining("int4multirange");
  }

  @Test
  void longValuesAreAbbreviatedInMessages() {
    String longText = "x".repeat(10_000);
    assertThatThrownBy(() -> decode(INT4, longText))
        .hasMessageContaining("...")
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(400));
  }

  private static Map<String, Object> range(
      @Nullable Object lower, @Nullable Object upper, boolean lowerInc, boolean upperInc) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("lower", lower);
    map.put("upper", upper);
    map.put("lowerInclusive", lowerInc);
    map.put("upperInclusive", upperInc);
    return map;
  }
}
