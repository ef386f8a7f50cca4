package dev.driftless.postgres.internal.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The array, row and range literal parsers on their own, including inputs array_in accepts. */
class LiteralParsersTest {

  private static final Function<String, @Nullable Object> RAW = s -> s;

  @Test
  void arrayElementsMayBeSurroundedBySpaces() {
    assertThat(ArrayLiteral.parse(" { a , \"b \" , NULL } ", ',', RAW))
        .isEqualTo(Arrays.asList("a", "b ", null));
  }

  @Test
  void onlyPostgresBlanksAreSkippedAroundArrayElements() {
    // array_out quotes an element only for ' ', \t, \n, \r, \v, \f (array_isspace); every other
    // character Java counts as whitespace reaches the parser unquoted and is part of the value.
    assertThat(ArrayLiteral.parse("{x\u2028,\u001Fy,z}", ',', RAW))
        .isEqualTo(List.of("x\u2028", "\u001Fy", "z"));
    assertThat(ArrayLiteral.parse("{\u2028}", ',', RAW)).isEqualTo(List.of("\u2028"));
    assertThat(ArrayLiteral.parse("{\u2028NULL,x}", ',', RAW))
        .isEqualTo(List.of("\u2028NULL", "x"));
    assertThat(ArrayLiteral.parse("{x,\u3000}", ',', RAW)).isEqualTo(List.of("x", "\u3000"));
    String javaWhitespace = "\u001C\u001D\u001E\u001F\u2000\u200A\u2028\u2029\u205F\u3000\u1680";
    assertThat(ArrayLiteral.parse("{" + javaWhitespace + "}", ',', RAW))
        .isEqualTo(List.of(javaWhitespace));
    // The six ASCII blanks are skipped, before and after elements and braces alike.
    assertThat(ArrayLiteral.parse(" \t\n\r\u000B\f{ \u000Ba\f\r,\t\nb \u000B}\f ", ',', RAW))
        .isEqualTo(List.of("a", "b"));
    assertThat(ArrayLiteral.parse("[1:2] \t={x,y}", ',', RAW)).isEqualTo(List.of("x", "y"));
  }

  @Test
  void escapedNullIsText() {
    // array_in: only an unquoted NULL without any backslash is a null element.
    assertThat(ArrayLiteral.parse("{\\NULL,N\\ULL,NULL}", ',', RAW))
        .isEqualTo(Arrays.asList("NULL", "NULL", null));
    // Any ASCII case, but nothing around the word.
    assertThat(ArrayLiteral.parse("{nUlL,\u2028null}", ',', RAW))
        .isEqualTo(Arrays.asList(null, "\u2028null"));
  }

  @Test
  void rangesKeepJavaWhitespaceInBounds() {
    assertThat(RangeLiteral.parseRange("[\u2028,\u001Fb)"))
        .isEqualTo(new RangeLiteral.Parts(false, "\u2028", "\u001Fb", true, false));
    assertThatThrownBy(() -> RangeLiteral.parseRange("\u2028[1,2)"))
        .hasMessageContaining("'empty'");
    // U+2028 is not a blank to skip between a multirange's ranges.
    assertThatThrownBy(() -> RangeLiteral.parseMultirange("{\u2028}"))
        .hasMessageContaining("'empty'");
  }

  @Test
  void arrayBackslashEscapesOutsideQuotes() {
    assertThat(ArrayLiteral.parse("{a\\,b,c\\\\d}", ',', RAW)).isEqualTo(List.of("a,b", "c\\d"));
  }

  @Test
  void nullIsCaseInsensitiveButOnlyUnquoted() {
    assertThat(ArrayLiteral.parse("{null,Null,\"null\"}", ',', RAW))
        .isEqualTo(Arrays.asList(null, null, "null"));
  }

  @Test
  void threeDimensionalArray() {
    assertThat(ArrayLiteral.parse("{{{1},{2}},{{3},{4}}}", ',', RAW))
        .isEqualTo(
            List.of(List.of(List.of("1"), List.of("2")), List.of(List.of("3"), List.of("4"))));
  }

  @Test
  void quotedElementsHoldBracesDelimitersAndNewlines() {
    assertThat(ArrayLiteral.parse("{\"{x}\";\"a;b\";\"line\nbreak\";a,b}", ';', RAW))
        .isEqualTo(List.of("{x}", "a;b", "line\nbreak", "a,b"));
  }

  @Test
  void malformedArrays() {
    assertThatThrownBy(() -> ArrayLiteral.parse("1,2", ',', RAW)).hasMessageContaining("'{'");
    assertThatThrownBy(() -> ArrayLiteral.parse("{1,,2}", ',', RAW))
        .hasMessageContaining("empty unquoted element");
    assertThatThrownBy(() -> ArrayLiteral.parse("{\"open}", ',', RAW))
        .hasMessageContaining("end of the array");
    assertThatThrownBy(() -> ArrayLiteral.parse("[1:x]={1}", ',', RAW))
        .hasMessageContaining("dimension");
    assertThatThrownBy(() -> ArrayLiteral.parse("{a\"b}", ',', RAW))
        .hasMessageContaining("unquoted element");
  }

  @Test
  void rowFields() {
    assertThat(RowLiteral.parse("()")).isEqualTo(Arrays.asList((String) null));
    assertThat(RowLiteral.parse("(,)")).isEqualTo(Arrays.asList(null, null));
    assertThat(RowLiteral.parse("(\"\",x)")).isEqualTo(List.of("", "x"));
    assertThat(RowLiteral.parse("(\"a\"\"b\",\"c\\\\d\",\"(e,f)\", g )"))
        .isEqualTo(List.of("a\"b", "c\\d", "(e,f)", " g "));
    // Quotes may cover part of a field only; what is outside them is kept as it is.
    assertThat(RowLiteral.parse("(ab\"c,d\"e)")).isEqualTo(List.of("abc,de"));
  }

  @Test
  void malformedRows() {
    assertThatThrownBy(() -> RowLiteral.parse("a,b")).hasMessageContaining("'('");
    assertThatThrownBy(() -> RowLiteral.parse("(\"a)")).hasMessageContaining("unterminated");
    assertThatThrownBy(() -> RowLiteral.parse("(a\\)")).hasMessageContaining("backslash");
  }

  @Test
  void rangeBoundsQuotedAndEscaped() {
    RangeLiteral.Parts parts = RangeLiteral.parseRange("[\"a\"\"b\",\"c\\\\d\")");
    assertThat(parts).isEqualTo(new RangeLiteral.Parts(false, "a\"b", "c\\d", true, false));
    assertThat(RangeLiteral.parseRange("(\"\",)"))
        .isEqualTo(new RangeLiteral.Parts(false, "", null, false, false));
    assertThat(RangeLiteral.parseRange("EMPTY").empty()).isTrue();
    assertThat(RangeLiteral.parseRange("[\"2024-01-01 00:00:00+01\",\"2024-02-01 00:00:00+01\"]"))
        .isEqualTo(
            new RangeLiteral.Parts(
                false, "2024-01-01 00:00:00+01", "2024-02-01 00:00:00+01", true, true));
  }

  @Test
  void multirangesWithSpaces() {
    assertThat(RangeLiteral.parseMultirange(" { [1,2) , (3,) } "))
        .containsExactly(
            new RangeLiteral.Parts(false, "1", "2", true, false),
            new RangeLiteral.Parts(false, "3", null, false, false));
  }

  @Test
  void malformedRanges() {
    assertThatThrownBy(() -> RangeLiteral.parseRange("1,2")).hasMessageContaining("'empty'");
    assertThatThrownBy(() -> RangeLiteral.parseRange("[1,2")).hasMessageContaining("end");
    assertThatThrownBy(() -> RangeLiteral.parseRange("[1,2)x")).hasMessageContaining("after");
    assertThatThrownBy(() -> RangeLiteral.parseMultirange("{[1,2);[3,4)}"))
        .hasMessageContaining("',' or '}'");
  }

  @Test
  void isoIntervalsPassThrough() {
    assertThat(IntervalText.toIso("P1Y-2M3DT-4H5M-6.5S")).isEqualTo("P1Y-2M3DT-4H5M-6.5S");
    assertThat(IntervalText.toIso("PT0S")).isEqualTo("PT0S");
    assertThatThrownBy(() -> IntervalText.toIso("P")).hasMessageContaining("IntervalStyle");
    assertThatThrownBy(() -> IntervalText.toIso("1-2 3 4:05:06"))
        .hasMessageContaining("IntervalStyle");
  }
}
