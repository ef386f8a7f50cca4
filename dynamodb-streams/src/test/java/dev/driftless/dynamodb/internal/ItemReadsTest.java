package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.SourcePosition;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

class ItemReadsTest {
  private static final RecordConverter.TableInfo TABLE =
      new RecordConverter.TableInfo("orders", "orders", "pk", "sk", true);
  private static final SourcePosition AT = SourcePosition.ofOffset(0);
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:10.5Z");

  private static Map<String, AttributeValue> item(long version) {
    return Map.of(
        "pk", AttributeValue.fromS("a"),
        "sk", AttributeValue.fromN("1.0"),
        "v", AttributeValue.fromN(Long.toString(version)),
        "name", AttributeValue.fromS("x"));
  }

  @Test
  void anchorIsBelowEveryStreamVersionFromTheMarginOn() {
    long anchor = ItemReads.anchor(NOW, Duration.ofSeconds(5));
    long second = NOW.getEpochSecond() - 5;
    assertThat(anchor).isEqualTo(second * VersionClock.PER_SECOND - 1);
    // The first stream change of any key in that second is above it; one a second earlier is not.
    VersionClock clock = VersionClock.start();
    assertThat(clock.next("k", second)).isGreaterThan(anchor);
    assertThat(VersionClock.start().next("k", second - 1)).isLessThan(anchor);
    // A fractional margin rounds up (never less margin than asked).
    assertThat(ItemReads.anchor(NOW, Duration.ofMillis(4_001))).isEqualTo(anchor);
    assertThat(ItemReads.anchor(Instant.ofEpochSecond(3), Duration.ofSeconds(5))).isZero();
    assertThatThrownBy(() -> ItemReads.anchor(NOW, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void derivedUpsertTakesTheAnchorAndCarriesTheFingerprint() {
    ItemReads reads = new ItemReads(TABLE, null, ItemFingerprint.allAttributes());
    ChangeEvent.Upsert up = reads.upsert(item(7), 123, AT, NOW, Map.of("m", "1"));
    assertThat(up.key()).isEqualTo(DocumentKey.composite("orders", java.util.List.of("a", "1")));
    assertThat(up.version().value()).isEqualTo(123);
    assertThat(up.document().fingerprint()).hasValue(ItemFingerprint.allAttributes().of(item(7)));
    assertThat(up.document().get("name")).isEqualTo("x");
    assertThat(up.metadata()).containsEntry("m", "1");
    assertThat(
            reads.missing(up.key(), 123, OptionalLong.of(99), AT, NOW, Map.of()).version().value())
        .isEqualTo(123);
  }

  @Test
  void attributeVersionsAreTheItemsOwn() {
    ItemReads reads = new ItemReads(TABLE, "v", ItemFingerprint.of(java.util.List.of("name")));
    ChangeEvent.Upsert up = reads.upsert(item(7), 123, AT, NOW, Map.of());
    assertThat(up.version().value()).isEqualTo(7);
    assertThat(up.document().fingerprint())
        .hasValue(ItemFingerprint.of(java.util.List.of("name")).of(item(7)));
    DocumentKey key = up.key();
    assertThat(reads.missing(key, 123, OptionalLong.of(41), AT, NOW, Map.of()).version().value())
        .isEqualTo(41);
    assertThat(reads.missing(key, 123, OptionalLong.empty(), AT, NOW, Map.of()).version().value())
        .isZero();
    assertThatThrownBy(
            () ->
                reads.upsert(
                    Map.of("pk", AttributeValue.fromS("a"), "sk", AttributeValue.fromN("1")),
                    0,
                    AT,
                    NOW,
                    Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'v'");
  }
}
