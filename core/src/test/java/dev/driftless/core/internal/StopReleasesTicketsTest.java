package dev.driftless.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.RetriableException;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.spi.DeadLetterStore;
import dev.driftless.core.spi.DocumentMapper;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * A repair or replay waits for its tickets; every ticket completes or fails, at the latest when the
 * pipeline stops (halt, failure, drain timeout), so that a caller such as the Reconciler's
 * scheduler thread never parks for good.
 */
class StopReleasesTicketsTest {

  private static final RetrySettings FAST =
      new RetrySettings(Duration.ofMillis(1), Duration.ofMillis(5), 2.0, 0.0);
  private static final DocumentKey A = DocumentKey.of("t", "a");

  /** A sink in an outage that never ends. */
  private static final VersionedSink DOWN =
      batch -> {
        throw new RetriableException("connection refused", null, false);
      };

  private static PipelineRunner start(
      ListSource source,
      VersionedSink sink,
      DeadLetterStore deadLetters,
      @Nullable Duration outageDeadline,
      Duration drainTimeout) {
    PipelineRunner runner =
        new PipelineRunner(
            new PipelineSettings(
                "tickets",
                source,
                sink,
                DocumentMapper.identity(),
                deadLetters,
                new InMemoryCheckpointStore(),
                10,
                1024 * 1024,
                Duration.ZERO,
                100,
                16 * 1024 * 1024,
                2,
                FAST,
                outageDeadline,
                Duration.ofMillis(10),
                drainTimeout,
                Clock.systemUTC(),
                java.util.List.of()));
    runner.start();
    return runner;
  }

  private static PipelineRunner start(ListSource source, VersionedSink sink) {
    return start(source, sink, new InMemoryDeadLetterStore(), null, Duration.ofSeconds(30));
  }

  private static ListSource repairable() {
    ListSource source = new ListSource(List.of());
    source.repair = keys -> List.of(PipelineRunnerTest.upsert("a", 5, 0, "n", 5));
    return source;
  }

  private static CompletableFuture<Pipeline.RepairResult> repairAsync(PipelineRunner p) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return p.repair(List.of(A));
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private static void awaitInFlight(PipelineRunner p) {
    Await.until(
        Duration.ofSeconds(10),
        "the repaired event is in flight",
        () -> p.status().inFlightEvents() > 0);
  }

  @Test
  void aRepairInFlightFailsItsKeysWhenThePipelineHalts() throws Exception {
    PipelineRunner p = start(repairable(), DOWN);
    CompletableFuture<Pipeline.RepairResult> repair = repairAsync(p);
    awaitInFlight(p);
    p.halt();
    assertThat(repair.get(10, TimeUnit.SECONDS).failed()).containsExactly(A);
  }

  @Test
  void aRepairInFlightFailsItsKeysWhenTheDrainTimesOut() throws Exception {
    PipelineRunner p =
        start(repairable(), DOWN, new InMemoryDeadLetterStore(), null, Duration.ofMillis(100));
    CompletableFuture<Pipeline.RepairResult> repair = repairAsync(p);
    awaitInFlight(p);
    p.close();
    assertThat(repair.get(10, TimeUnit.SECONDS).failed()).containsExactly(A);
  }

  @Test
  void aRepairInFlightFailsItsKeysWhenThePipelineFails() throws Exception {
    PipelineRunner p =
        start(
            repairable(),
            DOWN,
            new InMemoryDeadLetterStore(),
            Duration.ofMillis(300),
            Duration.ofSeconds(30));
    CompletableFuture<Pipeline.RepairResult> repair = repairAsync(p);
    assertThat(repair.get(10, TimeUnit.SECONDS).failed()).containsExactly(A);
    assertThat(p.status().state()).isEqualTo(PipelineStatus.State.FAILED);
    p.close();
  }

  @Test
  void aRepairWhoseDeadLetterStoreFailsFailsItsKeys() throws Exception {
    ListSource source = new ListSource(List.of());
    source.repair = keys -> List.of(PipelineRunnerTest.upsert("a", 5, 0, "poison", true));
    DeadLetterStore broken =
        new ForwardingDeadLetterStore(new InMemoryDeadLetterStore()) {
          @Override
          public void put(DeadLetter letter) {
            throw new IllegalStateException("disk full");
          }
        };
    PipelineRunner p =
        start(source, new PipelineRunnerTest.MapSink(), broken, null, Duration.ofSeconds(30));
    CompletableFuture<Pipeline.RepairResult> repair = repairAsync(p);
    assertThat(repair.get(10, TimeUnit.SECONDS).failed()).containsExactly(A);
    assertThat(p.awaitTermination(Duration.ofSeconds(10))).isTrue();
    assertThat(p.failure()).get().asString().contains("disk full");
    p.close();
  }

  @Test
  void aReplayInFlightEndsWhenThePipelineHaltsAndLeavesTheLetterAsItWas() throws Exception {
    ListSource source = repairable();
    InMemoryDeadLetterStore dls = new InMemoryDeadLetterStore();
    DeadLetter letter =
        DeadLetter.of(
            "l1",
            ChangeEvent.delete(
                A,
                dev.driftless.core.Version.of(1),
                dev.driftless.core.SourcePosition.ofOffset(0),
                Instant.EPOCH),
            "mapper_parsing_exception",
            "bad field",
            1,
            Instant.EPOCH);
    dls.put(letter);
    PipelineRunner p = start(source, DOWN, dls, null, Duration.ofSeconds(30));
    CompletableFuture<Pipeline.ReplayResult> replay =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return p.replayDeadLetters(10);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    awaitInFlight(p);
    p.halt();
    assertThatThrownBy(() -> replay.get(10, TimeUnit.SECONDS))
        .hasRootCauseInstanceOf(IllegalStateException.class)
        .rootCause()
        .hasMessageContaining("stopped");
    assertThat(dls.list(10)).singleElement().satisfies(l -> assertThat(l.attempts()).isEqualTo(1));
  }
}
