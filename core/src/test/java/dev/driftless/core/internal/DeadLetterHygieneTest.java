package dev.driftless.core.internal;

import static dev.driftless.core.internal.PipelineRunnerTest.awaitReceived;
import static dev.driftless.core.internal.PipelineRunnerTest.upsert;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.DeadLetter;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.Version;
import dev.driftless.core.spi.DeadLetterStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** What the runner puts into the dead-letter store, and how a replay settles what it finds. */
class DeadLetterHygieneTest {

  private static Pipeline.Builder builder(ListSource source, DeadLetterStore store) {
    return Pipeline.builder()
        .source(source)
        .sink(new PipelineRunnerTest.MapSink())
        .deadLetterStore(store)
        .retry(new RetrySettings(Duration.ofMillis(1), Duration.ofMillis(5), 2.0, 0.0))
        .linger(Duration.ZERO)
        .commitInterval(Duration.ofMillis(10));
  }

  @Test
  void aMapperFailureLetterKeepsNoRowOnlyWhatReplayAndDiagnosisNeed() throws Exception {
    ListSource source =
        new ListSource(
            List.of(upsert("u1", 9, 4, "name", "ann", "password_hash", "$2a$10$secret-hash")));
    InMemoryDeadLetterStore store = new InMemoryDeadLetterStore();
    try (Pipeline p =
        builder(source, store)
            .mapper(
                (key, row) -> {
                  throw new IllegalArgumentException("no email column");
                })
            .build()
            .start()) {
      assertThat(awaitReceived(p, 1)).isTrue();
      assertThat(p.awaitIdle(Duration.ofSeconds(10))).isTrue();
    }
    DeadLetter letter = store.list(10).get(0);
    assertThat(letter.payload()).as("the raw row, with the column the mapper drops").isNull();
    assertThat(letter.key()).isEqualTo(DocumentKey.of("t", "u1"));
    assertThat(letter.version()).isEqualTo(Version.of(9));
    assertThat(letter.position()).isEqualTo("4");
    assertThat(letter.operation()).isEqualTo("upsert");
    assertThat(letter.errorType()).isEqualTo("mapper:java.lang.IllegalArgumentException");
    assertThat(letter.errorMessage()).isEqualTo("no email column");
  }

  @Test
  void aSinkRejectionKeepsTheMappedDocument() throws Exception {
    ListSource source = new ListSource(List.of(upsert("b", 1, 0, "poison", true, "secret", "x")));
    InMemoryDeadLetterStore store = new InMemoryDeadLetterStore();
    try (Pipeline p =
        builder(source, store)
            .mapper(
                (key, row) ->
                    Optional.of(dev.driftless.core.Document.of("poison", row.get("poison"))))
            .build()
            .start()) {
      assertThat(awaitReceived(p, 1)).isTrue();
      assertThat(p.awaitIdle(Duration.ofSeconds(10))).isTrue();
    }
    assertThat(store.list(10).get(0).payload())
        .isEqualTo(dev.driftless.core.Document.of("poison", true));
  }

  @Test
  void theSameKeyDeadLetteredAgainAndAgainLeavesOneLetter() throws Exception {
    // A backfill restart or a reconciliation repair meets the same poison row again.
    ListSource source =
        new ListSource(
            List.of(
                upsert("p", 3, 0, "poison", true),
                upsert("p", 3, 1, "poison", true),
                upsert("p", 4, 2, "poison", true),
                upsert("q", 1, 3, "poison", true),
                upsert("p", 4, 4, "poison", true)));
    InMemoryDeadLetterStore store = new InMemoryDeadLetterStore();
    try (Pipeline p =
        builder(source, store)
            .mapper(
                (key, row) -> {
                  throw new IllegalArgumentException("cannot map " + key.id());
                })
            .build()
            .start()) {
      assertThat(awaitReceived(p, 5)).isTrue();
      assertThat(p.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(p.status().eventsDeadLettered()).isEqualTo(5);
    }
    assertThat(store.list(10)).extracting(l -> l.key().id()).containsExactly("p", "q");
    DeadLetter p = store.list(10).get(0);
    assertThat(p.version()).isEqualTo(Version.of(4));
    assertThat(p.attempts()).isEqualTo(4);
  }

  @Test
  void aReplayReportsALetterThatANewerFailureOfItsKeySupersededMeanwhile() throws Exception {
    ListSource source = new ListSource(List.of(upsert("b", 1, 0, "poison", true)));
    source.repair = keys -> List.of(upsert("b", 5, 0, "fixed", true));
    InMemoryDeadLetterStore store = new InMemoryDeadLetterStore();
    AtomicBoolean interleave = new AtomicBoolean();
    DeadLetterStore interleaving =
        new ForwardingDeadLetterStore(store) {
          @Override
          public List<DeadLetter> list(int max) throws Exception {
            List<DeadLetter> listed = super.list(max);
            if (interleave.get()) {
              // Between the replay's reading of the store and its settling, the stream fails on a
              // newer change of the same key.
              DeadLetter old = listed.get(0);
              super.put(
                  new DeadLetter(
                      "newer",
                      old.key(),
                      Version.of(7),
                      "9",
                      "upsert",
                      null,
                      "mapper_parsing_exception",
                      "newer failure",
                      1,
                      Instant.now(),
                      Instant.now()));
            }
            return listed;
          }
        };
    try (Pipeline p = builder(source, interleaving).build().start()) {
      assertThat(awaitReceived(p, 1)).isTrue();
      assertThat(p.awaitIdle(Duration.ofSeconds(10))).isTrue();
      interleave.set(true);
      Pipeline.ReplayResult result = p.replayDeadLetters(10);
      assertThat(result).isEqualTo(new Pipeline.ReplayResult(0, 0, 1));
    }
    assertThat(store.list(10)).extracting(DeadLetter::id).containsExactly("newer");
  }

  @Test
  void aFailedReplayOfASupersededLetterDoesNotPutTheOldLetterBack() throws Exception {
    ListSource source = new ListSource(List.of(upsert("b", 1, 0, "poison", true)));
    source.repair = keys -> List.of(upsert("b", 2, 0, "poison", true)); // still poison
    InMemoryDeadLetterStore store = new InMemoryDeadLetterStore();
    AtomicBoolean interleave = new AtomicBoolean();
    DeadLetterStore interleaving =
        new ForwardingDeadLetterStore(store) {
          @Override
          public List<DeadLetter> list(int max) throws Exception {
            List<DeadLetter> listed = super.list(max);
            if (interleave.get()) {
              super.put(listed.get(0).failedAgain("x", "y", Instant.now()));
              super.remove(listed.get(0).id()); // someone removed it by hand meanwhile
            }
            return listed;
          }
        };
    try (Pipeline p = builder(source, interleaving).build().start()) {
      assertThat(awaitReceived(p, 1)).isTrue();
      assertThat(p.awaitIdle(Duration.ofSeconds(10))).isTrue();
      interleave.set(true);
      assertThat(p.replayDeadLetters(10)).isEqualTo(new Pipeline.ReplayResult(0, 0, 1));
    }
    assertThat(store.count()).isZero();
  }
}
