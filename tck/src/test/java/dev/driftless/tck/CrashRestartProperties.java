package dev.driftless.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Pipeline;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * P1 (I2, I1): the real runner, crashed ({@code halt}: no drain, no commit) at random points and
 * restarted from the committed position over the same log and sink, loses nothing.
 */
class CrashRestartProperties {

  /**
   * A history of ≤ 60 changes is appended in segments; after each segment the runner is halted,
   * either at once (mid-flight) or after catching up, and a new runner over a new source resumes.
   * After each crash every change at or before the committed offset is settled in the sink (I2);
   * after the final drain the sink equals the log's latest state (I1).
   */
  @Property(tries = 1000)
  void p1_crashAnywhereThenRestartLosesNothing(
      @ForAll("histories") List<RunnerFixture.Change> history,
      @ForAll("crashes") List<Integer> segmentEnds,
      @ForAll("flags") List<Boolean> catchUpBeforeCrash)
      throws Exception {
    RunnerFixture fixture =
        new RunnerFixture(InMemoryChangeLog.create(), InMemoryVersionedSink.create());
    fixture.batchSize = 3;
    fixture.maxInFlightEvents = 10;
    int appended = 0;
    for (int crash = 0; crash < segmentEnds.size(); crash++) {
      int end = Math.min(history.size(), segmentEnds.get(crash));
      Pipeline runner = fixture.start();
      try {
        for (; appended < end; appended++) {
          fixture.append(history.get(appended), "k");
        }
        if (catchUpBeforeCrash.get(crash % catchUpBeforeCrash.size())) {
          fixture.awaitCaughtUp(runner);
        }
      } finally {
        PipelineTestKit.halt(runner);
      }
      assertCommittedIsSettled(fixture);
    }
    Pipeline last = fixture.start();
    try {
      for (; appended < history.size(); appended++) {
        fixture.append(history.get(appended), "k");
      }
      fixture.awaitCaughtUp(last);
    } finally {
      PipelineTestKit.halt(last);
    }
    fixture.assertConverged();
    assertThat(fixture.sink.violations()).isEmpty();
  }

  /** I2: every change at or before the committed offset is applied (or superseded) in the sink. */
  private static void assertCommittedIsSettled(RunnerFixture fixture) {
    long committed = fixture.log.committedOffset(RunnerFixture.PIPELINE);
    List<ChangeEvent> events = fixture.log.events();
    for (int i = 0; i <= committed; i++) {
      ChangeEvent event = events.get(i);
      StoredDocument stored = fixture.sink.get(event.key()).orElse(null);
      if (event instanceof ChangeEvent.Upsert) {
        assertThat(stored).as("I2: committed %s reached the sink", event).isNotNull();
      }
      if (stored != null) {
        assertThat(stored.version())
            .as("I2: committed %s is settled", event)
            .isGreaterThanOrEqualTo(event.version());
      }
    }
  }

  @Provide
  Arbitrary<List<RunnerFixture.Change>> histories() {
    return RunnerFixture.histories(5, 60);
  }

  @Provide
  Arbitrary<List<Integer>> crashes() {
    return Arbitraries.integers()
        .between(0, 60)
        .list()
        .ofMinSize(1)
        .ofMaxSize(3)
        .map(ends -> ends.stream().sorted().toList());
  }

  @Provide
  Arbitrary<List<Boolean>> flags() {
    return Arbitraries.of(false, true).list().ofMinSize(1).ofMaxSize(3);
  }
}
