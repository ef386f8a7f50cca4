package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.DocumentKey;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/** Key ids back to DynamoDB keys: the inverse of how the stream source builds ids. */
class TableKeysTest {
  private static final TableKeys STRING =
      new TableKeys("t", "id", ScalarAttributeType.S, null, null);
  private static final TableKeys COMPOSITE =
      new TableKeys("t", "pk", ScalarAttributeType.B, "sk", ScalarAttributeType.N);

  @Test
  void roundTripsWhatTheSourceBuilds() {
    for (Map<String, AttributeValue> key :
        List.of(
            Map.of("id", AttributeValue.fromS("a,b\\c 日本")),
            Map.of("id", AttributeValue.fromS("x".repeat(2048))))) {
      String id = AttributeValues.key("t", "id", null, key).id();
      assertThat(STRING.keyOf(id)).hasValue(key);
    }
    for (String n : List.of("0", "-1.5", "1E+125", "123456789012345678901234567890.12345678")) {
      Map<String, AttributeValue> key =
          Map.of(
              "pk", AttributeValue.fromB(SdkBytes.fromByteArray(new byte[] {0, 1, (byte) 0xfe})),
              "sk", AttributeValue.fromN(n));
      String id = AttributeValues.key("t", "pk", "sk", key).id();
      Map<String, AttributeValue> back = COMPOSITE.keyOf(id).orElseThrow();
      assertThat(AttributeValues.key("t", "pk", "sk", back).id()).isEqualTo(id);
    }
  }

  @Test
  void idsNoItemCanHaveAreEmpty() {
    assertThat(STRING.keyOf("")).isEmpty();
    assertThat(STRING.keyOf("x".repeat(2049))).isEmpty();
    String b = "AAH+";
    assertThat(COMPOSITE.keyOf(DocumentKey.composite("t", List.of(b, "1")).id())).isPresent();
    assertThat(COMPOSITE.keyOf(DocumentKey.composite("t", List.of(b, "1.0")).id())).isEmpty();
    assertThat(COMPOSITE.keyOf(DocumentKey.composite("t", List.of(b, "x")).id())).isEmpty();
    assertThat(COMPOSITE.keyOf(DocumentKey.composite("t", List.of(b, "1E+126")).id())).isEmpty();
    assertThat(COMPOSITE.keyOf(DocumentKey.composite("t", List.of("not base64!", "1")).id()))
        .isEmpty();
    assertThat(COMPOSITE.keyOf(DocumentKey.composite("t", List.of("", "1")).id())).isEmpty();
    assertThat(COMPOSITE.keyOf("no comma")).isEmpty();
  }
}
