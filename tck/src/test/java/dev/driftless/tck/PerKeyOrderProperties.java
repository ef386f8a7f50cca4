package dev.driftless.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
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

/** P4 (I4): one in-flight write per key, and a key's writes reach the sink in version order. */
class PerKeyOrderProperties {

  /**
   * A history of ≤ 60 changes over few keys, appended while the runner runs (in chunks, so a key
   * often has changes queued behind a write in flight), written by 4 parallel writers through a
   * sink that may be slow and answer some items with Retry: the sink never sees two writes of one
   * key overlap, each key's writes arrive with non-decreasing versions, and the sink converges.
   */
  @Property(tries = 1000)
  void p4_oneWritePerKeyInFlightInVersionOrder(
      @ForAll("histories") List<RunnerFixture.Change> history,
      @ForAll @IntRange(min = 1, max = 20) int chunk,
      @ForAll @IntRange(min = 1, max = 5) int batchSize,
      @ForAll @IntRange(min = 0, max = 1) int latencyMillis,
      @ForAll("retryEvery") int retryEveryNthItem)
      throws Exception {
    InMemoryVersionedSink sink =
        InMemoryVersionedSink.builder()
            .latency(Duration.ofMillis(latencyMillis))
            .retryEveryNthItem(retryEveryNthItem)
            .build();
    RunnerFixture fixture = new RunnerFixture(InMemoryChangeLog.create(), sink);
    fixture.batchSize = batchSize;
    fixture.parallelism = 4;
    fixture.linger = Duration.ofMillis(latencyMillis);
    Pipeline runner = fixture.start();
    try {
      for (int i = 0; i < history.size(); i++) {
        fixture.append(history.get(i), "k");
        if ((i + 1) % chunk == 0) {
          fixture.awaitCaughtUp(runner);
        }
      }
      fixture.awaitCaughtUp(runner);
    } finally {
      PipelineTestKit.halt(runner);
    }
    Statistics.label("parallel writes").collect(sink.peakConcurrentWrites() > 1);
    assertThat(sink.violations()).as("I4: overlapping writes of one key").isEmpty();
    for (DocumentKey key : sink.keysWritten()) {
      List<ChangeEvent> writes = sink.writeLog(key);
      for (int i = 1; i < writes.size(); i++) {
        assertThat(writes.get(i).version())
            .as("I4: write %d of %s arrived after version %s", i, key, writes.get(i - 1).version())
            .isGreaterThanOrEqualTo(writes.get(i - 1).version());
      }
    }
    fixture.assertConverged();
  }

  @Provide
  Arbitrary<List<RunnerFixture.Change>> histories() {
    return RunnerFixture.histories(3, 60);
  }

  @Provide
  Arbitrary<Integer> retryEvery() {
    return Arbitraries.of(0, 4, 7);
  }
}
