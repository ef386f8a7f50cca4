package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The golden values (also in docs/reconciliation.md) were computed independently of this code, by
 * MD5 over the rendering written out by hand.
 */
class ItemFingerprintTest {

  private static Map<String, AttributeValue> golden() {
    Map<String, AttributeValue> m = new LinkedHashMap<>();
    m.put("z", AttributeValue.fromBool(true));
    m.put("y", AttributeValue.fromNul(true));
    Map<String, AttributeValue> item = new LinkedHashMap<>();
    item.put("tags", AttributeValue.fromSs(List.of("b", "a")));
    item.put("n", AttributeValue.fromN("1.50"));
    item.put("id", AttributeValue.fromS("a-1"));
    item.put("m", AttributeValue.fromM(m));
    item.put(
        "l",
        AttributeValue.fromL(
            List.of(
                AttributeValue.fromN("0"),
                AttributeValue.fromB(SdkBytes.fromByteArray(new byte[] {1, 2, (byte) 0xff})))));
    item.put("ns", AttributeValue.fromNs(List.of("10", "2.0")));
    item.put(
        "bs",
        AttributeValue.fromBs(
            List.of(
                SdkBytes.fromByteArray(new byte[] {2}), SdkBytes.fromByteArray(new byte[] {1}))));
    return item;
  }

  @Test
  void goldenRenderingAndValue() {
    ItemFingerprint all = ItemFingerprint.allAttributes();
    assertThat(all.texts(golden()))
        .containsExactly(
            "bs", "BS2:4:AQ==4:Ag==",
            "id", "S3:a-1",
            "l", "L2:N1:0B4:AQL/",
            "m", "M2:1:yNULL0:1:zBOOL4:true",
            "n", "N3:1.5",
            "ns", "NS2:2:101:2",
            "tags", "SS2:1:a1:b");
    assertThat(all.of(golden())).isEqualTo(-4497126938551429130L);
    assertThat(all.of(Map.of("id", AttributeValue.fromS("a-1")))).isEqualTo(3226083222884222018L);
    assertThat(all.of(Map.of("id", AttributeValue.fromS("a-1"), "ü", AttributeValue.fromS("é€😀"))))
        .isEqualTo(3982031876886554881L);
  }

  @Test
  void subsetCoversOnlyItsAttributes() {
    ItemFingerprint n = ItemFingerprint.of(List.of("n", "absent"));
    assertThat(n.texts(golden())).containsExactly("n", "N3:1.5");
    assertThat(n.of(golden())).isEqualTo(-7412014125401780306L);
    Map<String, AttributeValue> changed = new LinkedHashMap<>(golden());
    changed.put("tags", AttributeValue.fromSs(List.of("c")));
    assertThat(n.of(changed)).isEqualTo(n.of(golden()));
    assertThat(ItemFingerprint.allAttributes().of(changed))
        .isNotEqualTo(ItemFingerprint.allAttributes().of(golden()));
    assertThat(n.projection(List.of("pk", "sk")).orElseThrow())
        .containsExactly("absent", "n", "pk", "sk");
    assertThat(ItemFingerprint.allAttributes().projection(List.of("pk"))).isEmpty();
  }

  @Test
  void sameValueWhateverTheWireOrderOrNumberSpelling() {
    Map<String, AttributeValue> a =
        Map.of(
            "s", AttributeValue.fromNs(List.of("1", "2.50", "-3")),
            "t", AttributeValue.fromSs(List.of("x", "y")),
            "n", AttributeValue.fromN("100"));
    Map<String, AttributeValue> b =
        Map.of(
            "t", AttributeValue.fromSs(List.of("y", "x")),
            "n", AttributeValue.fromN("1E+2"),
            "s", AttributeValue.fromNs(List.of("-3.0", "2.5", "1")));
    assertThat(ItemFingerprint.allAttributes().of(a))
        .isEqualTo(ItemFingerprint.allAttributes().of(b));
  }

  @Test
  void distinguishesTypesNullAndAbsence() {
    ItemFingerprint all = ItemFingerprint.allAttributes();
    long s = all.of(Map.of("a", AttributeValue.fromS("1")));
    long n = all.of(Map.of("a", AttributeValue.fromN("1")));
    long ss = all.of(Map.of("a", AttributeValue.fromSs(List.of("1"))));
    long l = all.of(Map.of("a", AttributeValue.fromL(List.of(AttributeValue.fromS("1")))));
    long nul = all.of(Map.of("a", AttributeValue.fromNul(true)));
    long absent = all.of(Map.of());
    long emptyS = all.of(Map.of("a", AttributeValue.fromS("")));
    assertThat(List.of(s, n, ss, l, nul, absent, emptyS)).doesNotHaveDuplicates();
    // Length prefixes keep boundaries: ["ab", "c"] is not ["a", "bc"].
    assertThat(
            all.of(
                Map.of(
                    "a",
                    AttributeValue.fromL(
                        List.of(AttributeValue.fromS("ab"), AttributeValue.fromS("c"))))))
        .isNotEqualTo(
            all.of(
                Map.of(
                    "a",
                    AttributeValue.fromL(
                        List.of(AttributeValue.fromS("a"), AttributeValue.fromS("bc"))))));
    // A list keeps its order; a set does not.
    assertThat(
            all.of(
                Map.of(
                    "a",
                    AttributeValue.fromL(
                        List.of(AttributeValue.fromS("x"), AttributeValue.fromS("y"))))))
        .isNotEqualTo(
            all.of(
                Map.of(
                    "a",
                    AttributeValue.fromL(
                        List.of(AttributeValue.fromS("y"), AttributeValue.fromS("x"))))));
  }

  @Test
  void refusesWhatItCannotRender() {
    assertThatThrownBy(
            () -> ItemFingerprint.allAttributes().of(Map.of("price", AttributeValue.fromN("x"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("price");
    assertThatThrownBy(() -> ItemFingerprint.of(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
