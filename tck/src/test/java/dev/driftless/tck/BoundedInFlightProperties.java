package dev.driftless.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Pipeline;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * P3 (I6, I7): with a slow or throttling sink, the runner's in-flight events and bytes stay within
 * the configured bounds, and nothing is dropped.
 */
class BoundedInFlightProperties {

  /**
   * A backlog of ≤ 60 changes with documents of 100–700 bytes, through a sink that may be slow (0–1
   * ms per write) and throttle every n-th write (a thrown 429): peak in-flight events never exceed
   * {@code maxInFlightEvents}; peak bytes never exceed {@code maxInFlightBytes} plus one poll
   * ({@code batchSize} events, as the runner documents); and the sink ends equal to the log.
   */
  @Property(tries = 1000)
  void p3_slowOrThrottlingSinkKeepsInFlightBoundedAndDropsNothing(
      @ForAll("histories") List<RunnerFixture.Change> history,
      @ForAll("payloadSizes") List<Integer> payloadSizes,
      @ForAll @IntRange(min = 1, max = 5) int batchSize,
      @ForAll @IntRange(min = 0, max = 10) int extraInFlight,
      @ForAll @IntRange(min = 1024, max = 3000) int maxInFlightBytes,
      @ForAll("throttleEvery") int throttleEveryNthWrite,
      @ForAll @IntRange(min = 0, max = 1) int latencyMillis)
      throws Exception {
    InMemoryVersionedSink sink =
        InMemoryVersionedSink.builder()
            .throttleEveryNthWrite(throttleEveryNthWrite)
            .latency(Duration.ofMillis(latencyMillis))
            .build();
    RunnerFixture fixture = new RunnerFixture(InMemoryChangeLog.create(), sink);
    fixture.batchSize = batchSize;
    fixture.batchBytes = 1024;
    fixture.maxInFlightEvents = batchSize + extraInFlight;
    fixture.maxInFlightBytes = maxInFlightBytes;
    fixture.parallelism = 2;
    // The backlog is there before the runner starts, so the bounds, not the source, limit polls.
    for (int i = 0; i < history.size(); i++) {
      RunnerFixture.Change change = history.get(i);
      if (change.delete()) {
        fixture.append(change, "k");
      } else {
        fixture.log.upsert(
            dev.driftless.core.DocumentKey.of("items", "k" + change.key()),
            dev.driftless.core.Document.of(
                "n", (long) i, "pad", "x".repeat(payloadSizes.get(i % payloadSizes.size()))));
      }
    }
    long largestEvent =
        fixture.log.events().stream().mapToLong(ChangeEvent::estimatedSizeBytes).max().orElse(0);

    Pipeline runner = fixture.start();
    try {
      fixture.awaitCaughtUp(runner);
      assertThat(runner.status().eventsReceived())
          .as("I7: nothing dropped")
          .isEqualTo(history.size());
      assertThat(runner.status().eventsSettled()).isEqualTo(history.size());
      Statistics.label("throttled").collect(sink.throttledWriteCount() > 0);
      Statistics.label("event bound reached")
          .collect(PipelineTestKit.peakInFlightEvents(runner) == fixture.maxInFlightEvents);
      assertThat(PipelineTestKit.peakInFlightEvents(runner))
          .as("I6: peak in-flight events")
          .isLessThanOrEqualTo(fixture.maxInFlightEvents);
      assertThat(PipelineTestKit.peakInFlightBytes(runner))
          .as("I6: peak in-flight bytes")
          .isLessThanOrEqualTo(fixture.maxInFlightBytes + batchSize * largestEvent);
    } finally {
      PipelineTestKit.halt(runner);
    }
    fixture.assertConverged();
    assertThat(fixture.deadLetters.count()).as("I5: throttling is never dead-lettered").isZero();
  }

  @Provide
  Arbitrary<List<RunnerFixture.Change>> histories() {
    return RunnerFixture.histories(8, 60);
  }

  @Provide
  Arbitrary<List<Integer>> payloadSizes() {
    return Arbitraries.integers().between(100, 700).list().ofMinSize(1).ofMaxSize(5);
  }

  @Provide
  Arbitrary<Integer> throttleEvery() {
    return Arbitraries.of(0, 2, 3, 5);
  }
}
