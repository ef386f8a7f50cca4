package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * One item, one fingerprint: however the wire orders maps and sets and spells numbers (what a
 * stream image and a scan page may differ in), the fingerprint is the same; a changed value changes
 * it.
 */
class ItemFingerprintProperties {

  @Provide
  Arbitrary<Map<String, AttributeValue>> items() {
    return Arbitraries.maps(
            Arbitraries.strings().withCharRange('a', 'f').ofMinLength(1).ofMaxLength(3), values(2))
        .ofMinSize(1)
        .ofMaxSize(6);
  }

  private static Arbitrary<AttributeValue> values(int depth) {
    Arbitrary<AttributeValue> scalar =
        Arbitraries.oneOf(
            Arbitraries.strings().ofMaxLength(5).map(AttributeValue::fromS),
            Arbitraries.bigDecimals()
                .between(new BigDecimal("-1000"), new BigDecimal("1000"))
                .ofScale(3)
                .map(n -> AttributeValue.fromN(n.toPlainString())),
            Arbitraries.of(true, false).map(AttributeValue::fromBool),
            Arbitraries.just(AttributeValue.fromNul(true)),
            Arbitraries.bytes()
                .array(byte[].class)
                .ofMaxSize(4)
                .map(b -> AttributeValue.fromB(SdkBytes.fromByteArray(b))),
            Arbitraries.strings()
                .withCharRange('a', 'z')
                .ofMaxLength(3)
                .set()
                .ofMinSize(1)
                .ofMaxSize(4)
                .map(s -> AttributeValue.fromSs(new ArrayList<>(s))),
            Arbitraries.integers()
                .between(-50, 50)
                .set()
                .ofMinSize(1)
                .ofMaxSize(4)
                .map(s -> AttributeValue.fromNs(s.stream().map(String::valueOf).toList())));
    if (depth == 0) {
      return scalar;
    }
    Arbitrary<AttributeValue> nested = values(depth - 1);
    return Arbitraries.oneOf(
        scalar,
        scalar,
        nested.list().ofMaxSize(3).map(AttributeValue::fromL),
        Arbitraries.maps(Arbitraries.strings().withCharRange('a', 'c').ofLength(1), nested)
            .ofMaxSize(3)
            .map(AttributeValue::fromM));
  }

  /** The same value as another wire might send it: maps and sets reversed, numbers respelled. */
  private static AttributeValue respelled(AttributeValue v) {
    switch (v.type()) {
      case N:
        return AttributeValue.fromN(respell(v.n()));
      case SS:
        {
          List<String> r = new ArrayList<>(v.ss());
          Collections.reverse(r);
          return AttributeValue.fromSs(r);
        }
      case NS:
        {
          List<String> r = new ArrayList<>();
          for (String n : v.ns()) {
            r.add(respell(n));
          }
          Collections.reverse(r);
          return AttributeValue.fromNs(r);
        }
      case L:
        {
          List<AttributeValue> r = new ArrayList<>();
          for (AttributeValue e : v.l()) {
            r.add(respelled(e));
          }
          return AttributeValue.fromL(r);
        }
      case M:
        return AttributeValue.fromM(respelledMap(v.m()));
      default:
        return v;
    }
  }

  private static Map<String, AttributeValue> respelledMap(Map<String, AttributeValue> m) {
    List<String> names = new ArrayList<>(m.keySet());
    Collections.sort(names);
    Collections.reverse(names);
    Map<String, AttributeValue> r = new LinkedHashMap<>();
    for (String n : names) {
      r.put(n, respelled(m.get(n)));
    }
    return r;
  }

  private static String respell(String number) {
    BigDecimal n = new BigDecimal(number);
    return n.setScale(Math.max(n.scale(), 0) + 2).toString() + "";
  }

  @Property(tries = 500)
  void sameItemSameFingerprintWhateverTheWire(@ForAll("items") Map<String, AttributeValue> item) {
    ItemFingerprint f = ItemFingerprint.allAttributes();
    assertThat(f.of(respelledMap(item))).isEqualTo(f.of(item));
  }

  @Property(tries = 500)
  void aChangedValueChangesTheFingerprint(
      @ForAll("items") Map<String, AttributeValue> item,
      @ForAll("items") Map<String, AttributeValue> other) {
    ItemFingerprint f = ItemFingerprint.allAttributes();
    Map<String, AttributeValue> changed = new LinkedHashMap<>(item);
    String name = item.keySet().iterator().next();
    changed.put(name, AttributeValue.fromS("changed:" + f.texts(item)));
    assertThat(f.of(changed)).isNotEqualTo(f.of(item));
    if (!f.texts(item).equals(f.texts(other))) {
      assertThat(f.of(other)).isNotEqualTo(f.of(item));
    }
  }
}
