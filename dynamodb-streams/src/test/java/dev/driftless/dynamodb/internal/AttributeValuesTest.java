package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import java.math.BigDecimal;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

class AttributeValuesTest {

  private static AttributeValue n(String text) {
    return AttributeValue.fromN(text);
  }

  @Test
  void numbersStayExact() {
    assertThat(AttributeValues.toJava(n("42"), "a")).isEqualTo(42L);
    assertThat(AttributeValues.toJava(n("-9223372036854775808"), "a")).isEqualTo(Long.MIN_VALUE);
    assertThat(AttributeValues.toJava(n("9223372036854775808"), "a"))
        .isEqualTo(new BigDecimal("9223372036854775808"));
    assertThat(AttributeValues.toJava(n("1.50"), "a")).isEqualTo(new BigDecimal("1.50"));
    assertThat(AttributeValues.toJava(n("0.1"), "a")).isEqualTo(new BigDecimal("0.1"));
    String big = "1234567890123456789012345678901234567.8";
    assertThat(AttributeValues.toJava(n(big), "a")).isEqualTo(new BigDecimal(big));
    assertThatThrownBy(() -> AttributeValues.toJava(n("abc"), "price"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("price");
  }

  @Test
  void everyTypeMaps() {
    byte[] bytes = {1, 2, (byte) 0xff};
    Map<String, AttributeValue> item =
        Map.ofEntries(
            Map.entry("s", AttributeValue.fromS("text ü")),
            Map.entry("b", AttributeValue.fromB(SdkBytes.fromByteArray(bytes))),
            Map.entry("bool", AttributeValue.fromBool(true)),
            Map.entry("nul", AttributeValue.fromNul(true)),
            Map.entry("ss", AttributeValue.fromSs(List.of("b", "a", "c"))),
            Map.entry("ns", AttributeValue.fromNs(List.of("10", "9", "1.5"))),
            Map.entry(
                "bs",
                AttributeValue.fromBs(
                    List.of(
                        SdkBytes.fromByteArray(new byte[] {(byte) 0x80}),
                        SdkBytes.fromByteArray(new byte[] {1})))),
            Map.entry("l", AttributeValue.fromL(List.of(n("1"), AttributeValue.fromS("x")))),
            Map.entry(
                "m", AttributeValue.fromM(Map.of("z", n("2"), "a", AttributeValue.fromNul(true)))));
    Document doc = AttributeValues.document(item);
    assertThat(doc.fields().keySet())
        .containsExactly("b", "bool", "bs", "l", "m", "ns", "nul", "s", "ss");
    assertThat(doc.get("s")).isEqualTo("text ü");
    assertThat(doc.get("b")).isEqualTo(Base64.getEncoder().encodeToString(bytes));
    assertThat(doc.get("bool")).isEqualTo(true);
    assertThat(doc.has("nul")).isTrue();
    assertThat(doc.get("nul")).isNull();
    assertThat(doc.get("ss")).isEqualTo(List.of("a", "b", "c"));
    assertThat(doc.get("ns")).isEqualTo(List.of(new BigDecimal("1.5"), 9L, 10L));
    assertThat(doc.get("bs")).isEqualTo(List.of("AQ==", "gA=="));
    assertThat(doc.get("l")).isEqualTo(List.of(1L, "x"));
    assertThat(new java.util.ArrayList<Object>(((Map<?, ?>) doc.get("m")).keySet()))
        .containsExactly("a", "z");
  }

  @Test
  void keysBecomeDocumentKeys() {
    assertThat(AttributeValues.key("t", "pk", null, Map.of("pk", AttributeValue.fromS("a,b"))))
        .isEqualTo(DocumentKey.of("t", "a,b"));
    assertThat(
            AttributeValues.key(
                "t", "pk", "sk", Map.of("pk", AttributeValue.fromS("a,b"), "sk", n("1.50"))))
        .isEqualTo(DocumentKey.composite("t", List.of("a,b", "1.5")));
    assertThat(AttributeValues.keyText(n("100"), "k")).isEqualTo("100");
    assertThat(AttributeValues.keyText(n("1E+2"), "k")).isEqualTo("100");
    assertThat(AttributeValues.keyText(n("-0.0"), "k")).isEqualTo("0");
    assertThatThrownBy(
            () -> AttributeValues.key("t", "pk", "sk", Map.of("pk", AttributeValue.fromS("a"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sk");
  }
}
