package dev.driftless.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Per-key scheduling without threads: coalescing, one write per key in flight, batch limits. */
class KeySchedulerTest {

  private final KeyScheduler scheduler = new KeyScheduler();
  private final List<Map.Entry<Entry, Outcome>> settled = new ArrayList<>();
  private long seq;

  private Entry add(String id, long version) {
    ChangeEvent event = PipelineRunnerTest.upsert(id, version, seq, "n", version);
    Entry entry = new Entry(seq++, event, true, null);
    scheduler.add(entry, 0);
    return entry;
  }

  private List<KeyScheduler.Item> form(int maxEvents, long maxBytes) {
    return scheduler.formBatch(maxEvents, maxBytes, 0, (e, o) -> settled.add(Map.entry(e, o)));
  }

  @Test
  void aKeysPendingEventsCoalesceToTheNewestVersion() {
    Entry v1 = add("a", 1);
    Entry v3 = add("a", 3);
    Entry v2 = add("a", 2);
    List<KeyScheduler.Item> batch = form(10, Long.MAX_VALUE);
    assertThat(batch)
        .singleElement()
        .satisfies(
            item -> {
              assertThat(item.newest()).isSameAs(v3);
              assertThat(item.superseded()).containsExactly(v1, v2);
            });
    assertThat(scheduler.pendingEvents()).isZero();
  }

  @Test
  void aKeyWithAWriteInFlightIsNotBatchedAgainUntilItFinished() {
    add("a", 1);
    KeyScheduler.Item first = form(10, Long.MAX_VALUE).get(0);
    Entry next = add("a", 2);
    assertThat(scheduler.hasReady()).isFalse();
    assertThat(form(10, Long.MAX_VALUE)).isEmpty();
    scheduler.finished(first, true, 0);
    assertThat(scheduler.hasReady()).isTrue();
    assertThat(form(10, Long.MAX_VALUE))
        .singleElement()
        .satisfies(i -> assertThat(i.newest()).isSameAs(next));
  }

  @Test
  void anEventOlderThanTheVersionThisRunnerAppliedIsSettledStaleWithoutAWrite() {
    add("a", 5);
    KeyScheduler.Item written = form(10, Long.MAX_VALUE).get(0);
    Entry older = add("a", 3);
    Entry oldest = add("a", 2);
    scheduler.finished(written, true, 0);
    assertThat(form(10, Long.MAX_VALUE)).isEmpty();
    assertThat(settled)
        .containsExactly(Map.entry(oldest, Outcome.COALESCED), Map.entry(older, Outcome.STALE));
    assertThat(scheduler.keyCount()).isZero();
  }

  @Test
  void aStaleAnswerDoesNotCountAsWritten() {
    add("a", 5);
    scheduler.finished(form(10, Long.MAX_VALUE).get(0), false, 0);
    add("a", 3);
    assertThat(form(10, Long.MAX_VALUE)).hasSize(1);
  }

  @Test
  void batchesHoldAtMostMaxEventsKeysInReadyOrderAndAtLeastOneKeyOverTheByteLimit() {
    Entry a = add("a", 1);
    Entry b = add("b", 1);
    Entry c = add("c", 1);
    assertThat(form(2, Long.MAX_VALUE)).extracting(KeyScheduler.Item::newest).containsExactly(a, b);
    assertThat(form(2, 1)).extracting(KeyScheduler.Item::newest).containsExactly(c);
    Entry d = add("d", 1);
    add("e", 1);
    assertThat(form(10, d.bytes + 1)).extracting(KeyScheduler.Item::newest).containsExactly(d);
  }

  @Test
  void lingerEndsWhenABatchIsPendingOrTheOldestReadyKeyWaitedLongEnough() {
    scheduler.add(new Entry(0, PipelineRunnerTest.upsert("a", 1, 0), true, null), 1_000);
    assertThat(scheduler.lingerLeftNanos(500, 2, 1_200)).isEqualTo(300);
    assertThat(scheduler.lingerLeftNanos(500, 2, 1_600)).isNegative();
    scheduler.add(new Entry(1, PipelineRunnerTest.upsert("b", 1, 1), true, null), 1_100);
    assertThat(scheduler.lingerLeftNanos(500, 2, 1_200)).isZero();
  }

  @Test
  void aKeyIsForgottenOnceNothingIsPendingOrInFlight() {
    add("a", 1);
    KeyScheduler.Item item = form(10, Long.MAX_VALUE).get(0);
    assertThat(scheduler.keyCount()).isEqualTo(1);
    scheduler.finished(item, true, 0);
    assertThat(scheduler.keyCount()).isZero();
  }
}
