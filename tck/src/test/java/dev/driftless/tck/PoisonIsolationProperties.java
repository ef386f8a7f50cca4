package dev.driftless.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * P2 (I5): poison events at random positions are dead-lettered and the rest of the stream flows;
 * transient item failures (per-item 429s) are retried, never dead-lettered.
 */
class PoisonIsolationProperties {

  /**
   * A history of ≤ 60 changes with poison documents inserted at random positions (each on its own
   * key, so no newer change can supersede it), through a sink that also answers every n-th item
   * with a throttled Retry: the dead-letter store holds exactly the poison events, and every other
   * key converges to the log's state.
   */
  @Property(tries = 1000)
  void p2_poisonIsDeadLetteredAndTheRestConverges(
      @ForAll("histories") List<RunnerFixture.Change> history,
      @ForAll("poisonPositions") List<Integer> poisonPositions,
      @ForAll("retryEvery") int retryEveryNthItem)
      throws Exception {
    InMemoryVersionedSink sink =
        InMemoryVersionedSink.builder()
            .poison(document -> document.has("poison"))
            .retryEveryNthItem(retryEveryNthItem)
            .build();
    RunnerFixture fixture = new RunnerFixture(InMemoryChangeLog.create(), sink);
    Set<Integer> poisonAt = new HashSet<>(poisonPositions);
    Map<DocumentKey, ChangeEvent> poisoned = new HashMap<>();
    Pipeline runner = fixture.start();
    try {
      for (int i = 0; i < history.size(); i++) {
        if (poisonAt.contains(i)) {
          DocumentKey key = DocumentKey.of("items", "poison-" + i);
          poisoned.put(key, fixture.log.upsert(key, Document.of("poison", true, "at", (long) i)));
        }
        fixture.append(history.get(i), "k");
      }
      fixture.awaitCaughtUp(runner);
    } finally {
      PipelineTestKit.halt(runner);
    }

    List<DeadLetter> letters = fixture.deadLetters.list(1000);
    assertThat(letters)
        .as("I5: dead letters are exactly the poison events")
        .extracting(l -> l.key().id() + "@" + l.version())
        .containsExactlyInAnyOrderElementsOf(
            poisoned.values().stream().map(e -> e.key().id() + "@" + e.version()).toList());
    assertThat(letters)
        .allSatisfy(
            l -> {
              assertThat(l.errorType()).isEqualTo(InMemoryVersionedSink.POISON_ERROR_TYPE);
              assertThat(l.payload())
                  .isEqualTo(((ChangeEvent.Upsert) poisoned.get(l.key())).document());
            });
    for (Map.Entry<DocumentKey, ChangeEvent> latest : fixture.log.latestByKey().entrySet()) {
      if (poisoned.containsKey(latest.getKey())) {
        assertThat(sink.get(latest.getKey())).as("poison never applied").isEmpty();
        continue;
      }
      ChangeEvent event = latest.getValue();
      StoredDocument stored = sink.get(event.key()).orElse(null);
      if (event instanceof ChangeEvent.Upsert upsert) {
        assertThat(stored).as("I5: %s flowed past the poison", event.key()).isNotNull();
        assertThat(stored.version()).isEqualTo(event.version());
        assertThat(stored.document()).isEqualTo(upsert.document());
      } else if (stored != null) {
        assertThat(stored.deleted()).as("%s deleted", event.key()).isTrue();
      }
    }
  }

  @Provide
  Arbitrary<List<RunnerFixture.Change>> histories() {
    return RunnerFixture.histories(5, 50);
  }

  @Provide
  Arbitrary<List<Integer>> poisonPositions() {
    return Arbitraries.integers().between(0, 49).list().ofMaxSize(8);
  }

  @Provide
  Arbitrary<Integer> retryEvery() {
    return Arbitraries.of(0, 3, 5, 7);
  }
}
