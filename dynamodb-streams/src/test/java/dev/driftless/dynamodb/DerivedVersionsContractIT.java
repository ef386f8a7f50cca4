package dev.driftless.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.spi.ChangeSource;
import dev.driftless.dynamodb.internal.ItemReads;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The TCK's source rules with derived versions. C1.7's "a repair read is at least as new as what
 * the stream returned" cannot hold here for a change younger than the read margin: a derived read
 * must stay below every later stream change, so it is anchored at {@code (read start second -
 * margin) * 10^6 - 1} (docs/dynamodb.md, "Repair"). C1.7 here checks the state only; {@link
 * #derivedRepairReadIsCurrentAndBelowTheStream} checks the version rule.
 */
class DerivedVersionsContractIT extends DynamoDbChangeSourceContractIT {

  @Override
  VersionStrategy strategy() {
    return VersionStrategy.derived();
  }

  @Override
  protected boolean repairVersionsMayLagTheStream() {
    return true;
  }

  @Test
  void derivedRepairReadIsCurrentAndBelowTheStream() throws Exception {
    ChangeSource source = started();
    fixture().insert(id("live"), "old");
    fixture().insert(id("gone"), "soon deleted");
    fixture().update(id("live"), "current");
    fixture().delete(id("gone"));
    List<ChangeEvent> streamed = collect(source, 4);
    String table = fixture().collection();
    DocumentKey live = DocumentKey.of(table, id("live"));
    DocumentKey gone = DocumentKey.of(table, id("gone"));
    DocumentKey never = DocumentKey.of(table, id("never"));
    Instant before = Instant.now();
    List<ChangeEvent> current =
        source.repairReader().orElseThrow().readCurrent(List.of(live, gone, never));
    Instant after = Instant.now();
    Map<DocumentKey, ChangeEvent> byKey =
        current.stream().collect(Collectors.toMap(ChangeEvent::key, e -> e));
    assertThat(byKey).containsOnlyKeys(live, gone, never);
    ChangeEvent.Upsert up = (ChangeEvent.Upsert) byKey.get(live);
    assertThat(up.document().get("value")).isEqualTo("current");
    assertThat(up.document().fingerprint()).isPresent();
    assertThat(up.metadata()).containsEntry(DynamoDbStreamsSource.METADATA_READ, "repair");
    assertThat(byKey.get(gone)).isInstanceOf(ChangeEvent.Delete.class);
    assertThat(byKey.get(never)).isInstanceOf(ChangeEvent.Delete.class);
    long version = up.version().value();
    assertThat(version)
        .isBetween(
            ItemReads.anchor(before, ItemReads.DEFAULT_MARGIN),
            ItemReads.anchor(after, ItemReads.DEFAULT_MARGIN));
    for (ChangeEvent e : current) {
      assertThat(e.version().value()).isEqualTo(version);
    }
    // Below the stream's own versions of changes made just now: those win.
    for (ChangeEvent e : streamed) {
      assertThat(e.version().value()).isGreaterThan(version);
    }
  }
}
