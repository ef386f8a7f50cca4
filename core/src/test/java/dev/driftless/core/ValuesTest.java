package dev.driftless.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ValuesTest {

  @Test
  void compositeKeysAreUnambiguous() {
    DocumentKey a = DocumentKey.composite("t", List.of("a,b", "c"));
    DocumentKey b = DocumentKey.composite("t", List.of("a", "b,c"));
    DocumentKey c = DocumentKey.composite("t", List.of("a\\", ",c"));
    assertThat(a).isNotEqualTo(b).isNotEqualTo(c);
    assertThat(b).isNotEqualTo(c);
    assertThat(a.id()).isEqualTo("a\\,b,c");
    assertThat(DocumentKey.composite("t", List.of("only")).id()).isEqualTo("only");
    assertThatThrownBy(() -> DocumentKey.composite("t", List.of())).hasMessageContaining("parts");
    assertThatThrownBy(() -> DocumentKey.of(" ", "x")).hasMessageContaining("collection");
  }

  @Test
  void versionsAreNonNegative() {
    assertThatThrownBy(() -> Version.of(-1)).hasMessageContaining("version");
    assertThat(Version.of(5).isNewerThan(Version.of(4))).isTrue();
    assertThat(Version.MAX.value()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void documentsAreDeepCopiedAndValidated() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("x", 1);
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("inner", inner);
    fields.put("list", Arrays.asList(1, null, "a"));
    Document doc = Document.of(fields);
    inner.put("x", 2);
    assertThat(doc.get("inner")).isEqualTo(Map.of("x", 1));
    assertThatThrownBy(() -> ((Map<String, Object>) doc.fields()).put("y", 1))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> Document.of("when", new java.util.Date()))
        .hasMessageContaining("java.util.Date")
        .hasMessageContaining("'when'");
    assertThatThrownBy(() -> Document.of("a", Map.of("b", List.of(new Object()))))
        .hasMessageContaining("'a.b[0]'");
    assertThat(doc.fingerprint()).isEmpty();
    assertThat(doc.withFingerprint(42).fingerprint()).hasValue(42);
    assertThat(doc.estimatedSizeBytes()).isPositive();
  }

  @Test
  void jsonRoundTripKeepsExactNumbersAndRendersNonFiniteAsStrings() {
    Document doc =
        Document.of(
            "big",
            new BigDecimal("12345678901234567890.123456789"),
            "huge",
            new BigInteger("123456789012345678901234567890"),
            "nan",
            Double.NaN,
            "inf",
            Float.NEGATIVE_INFINITY,
            "text",
            "\u00e9\"\\\n",
            "nested",
            Map.of("l", List.of(1L, true)));
    String json = DocumentJson.toJson(doc);
    assertThat(json).contains("\"nan\":\"NaN\"").contains("\"inf\":\"-Infinity\"");
    Document back = DocumentJson.parse(json);
    assertThat(back.get("big")).isEqualTo(new BigDecimal("12345678901234567890.123456789"));
    assertThat(back.get("huge")).isEqualTo(new BigInteger("123456789012345678901234567890"));
    assertThat(back.get("text")).isEqualTo("\u00e9\"\\\n");
    assertThat(back.get("nested")).isEqualTo(Map.of("l", List.of(1L, true)));
    assertThatThrownBy(() -> DocumentJson.parse("[1]")).hasMessageContaining("JSON object");
  }

  @Test
  void jsonParsesStringsBeyondJacksonsDefaultLimit() {
    String big = "x".repeat(21_000_000);
    assertThat(DocumentJson.parse(DocumentJson.toBytes(Document.of("s", big))).get("s"))
        .isEqualTo(big);
  }

  @Test
  void eventsValidateTheirFields() {
    assertThatThrownBy(
            () ->
                ChangeEvent.upsert(
                    DocumentKey.of("t", "1"),
                    Version.of(1),
                    null,
                    Document.empty(),
                    java.time.Instant.EPOCH))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("position");
  }
}
