package dev.driftless.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The pipeline tells its listeners what happens (lifecycle, outages, batches with their freshness,
 * retries, dead letters, commits, resyncs), and a listener that throws changes nothing.
 */
class PipelineListenerTest {
  private static final RetrySettings FAST =
      new RetrySettings(Duration.ofMillis(1), Duration.ofMillis(5), 2.0, 0.0);
  private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
  private static final Duration WAIT = Duration.ofSeconds(20);

  /** Records every call as a line, and the batches and letters as they came. */
  static final class Recorder implements PipelineListener {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<BatchWritten> batches = new CopyOnWriteArrayList<>();
    final List<Long> freshness = new CopyOnWriteArrayList<>();
    final List<DeadLetter> letters = new CopyOnWriteArrayList<>();
    final List<SourcePosition> commits = new CopyOnWriteArrayList<>();

    @Override
    public void started(String pipeline) {
      calls.add("started " + pipeline);
    }

    @Override
    public void stopped(String pipeline, PipelineStatus last) {
      calls.add("stopped " + last.state());
    }

    @Override
    public void failed(String pipeline, Throwable cause) {
      calls.add("failed " + cause.getMessage());
    }

    @Override
    public void outageStarted(String pipeline, Side side, Throwable cause) {
      calls.add("outageStarted " + side);
    }

    @Override
    public void outageEnded(String pipeline, Side side, Duration lasted) {
      calls.add("outageEnded " + side);
    }

    @Override
    public void throttled(String pipeline, int concurrencyLimit) {
      calls.add("throttled");
    }

    @Override
    public void retrying(String pipeline, Side side, Throwable cause) {
      calls.add("retrying " + side);
    }

    @Override
    public void batchWritten(String pipeline, BatchWritten batch) {
      batches.add(batch);
      batch.forEachFreshnessNanos(freshness::add);
    }

    @Override
    public void deadLettered(String pipeline, DeadLetter letter) {
      letters.add(letter);
    }

    @Override
    public void committed(String pipeline, SourcePosition position) {
      commits.add(position);
    }

    @Override
    public void sourceResynced(String pipeline) {
      calls.add("resynced");
    }

    @Override
    public void backfillProgress(String pipeline, BackfillProgress progress) {
      calls.add("backfill " + progress.itemsRead() + " done=" + progress.done());
    }

    int applied() {
      return batches.stream().mapToInt(BatchWritten::applied).sum();
    }
  }

  /** Throws from every method. */
  static final class Thrower implements PipelineListener {
    final AtomicLong calls = new AtomicLong();

    private void boom() {
      calls.incrementAndGet();
      throw new IllegalStateException("listener bug");
    }

    @Override
    public void started(String pipeline) {
      boom();
    }

    @Override
    public void batchWritten(String pipeline, BatchWritten batch) {
      boom();
    }

    @Override
    public void committed(String pipeline, SourcePosition position) {
      boom();
    }

    @Override
    public void stopped(String pipeline, PipelineStatus last) {
      boom();
    }
  }

  private static ChangeEvent change(String id, long version, Duration age, Map<String, String> m) {
    return ChangeEvent.upsert(
        DocumentKey.of("t", id),
        Version.of(version),
        SourcePosition.ofOffset(version),
        Document.of("v", version),
        NOW.minus(age),
        m);
  }

  private static Pipeline.Builder builder(ListSource source, PipelineRunnerTest.MapSink sink) {
    return Pipeline.builder()
        .name("listened")
        .source(source)
        .sink(sink)
        .deadLetterStore(new InMemoryDeadLetterStore())
        .retry(FAST)
        .linger(Duration.ZERO)
        .commitInterval(Duration.ofMillis(10))
        .clock(Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @Test
  void listenersHearTheLifecycleBatchesCommitsAndFreshnessOfEachChange() throws Exception {
    List<ChangeEvent> events = new ArrayList<>();
    for (int i = 1; i <= 50; i++) {
      events.add(change("k" + i, i, Duration.ofMillis(250), Map.of()));
    }
    // Backfilled rows have no commit time: written, but not measured.
    for (int i = 51; i <= 60; i++) {
      events.add(change("k" + i, i, Duration.ZERO, Map.of(ChangeEvent.READ_ORIGIN, "backfill")));
    }
    ListSource source = new ListSource(events);
    PipelineRunnerTest.MapSink sink = new PipelineRunnerTest.MapSink();
    Recorder recorder = new Recorder();
    Pipeline pipeline = builder(source, sink).listener(recorder).build().start();
    try {
      Await.until(WAIT, "every change applied", () -> recorder.applied() == 60);
      Await.until(
          WAIT,
          "the last position committed",
          () -> recorder.commits.contains(SourcePosition.ofOffset(60)));
      assertThat(recorder.freshness).hasSize(50).containsOnly(Duration.ofMillis(250).toNanos());
      assertThat(recorder.batches.stream().mapToLong(b -> b.bytes()).sum()).isPositive();
      List<String> collections = new CopyOnWriteArrayList<>();
      recorder.batches.forEach(b -> b.forEachFreshness((c, nanos) -> collections.add(c)));
      assertThat(collections).hasSize(50).containsOnly("t");
      assertThat(
              recorder.batches.stream()
                  .flatMap(b -> b.collections().stream())
                  .mapToInt(PipelineListener.CollectionCounts::applied)
                  .sum())
          .isEqualTo(60);
      PipelineStatus.Freshness freshness = pipeline.status().freshness();
      assertThat(freshness.total()).isEqualTo(50);
      assertThat(freshness.count()).isEqualTo(50);
      assertThat(freshness.p50()).isEqualTo(Duration.ofMillis(250));
      assertThat(freshness.p99()).isEqualTo(Duration.ofMillis(250));
      assertThat(freshness.max()).isEqualTo(Duration.ofMillis(250));
    } finally {
      pipeline.close();
    }
    assertThat(recorder.calls).containsExactly("started listened", "stopped STOPPED");
  }

  @Test
  void aListenerThatThrowsChangesNothingAndTheOthersStillHear() throws Exception {
    List<ChangeEvent> events = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      events.add(change("k" + i, i, Duration.ofMillis(10), Map.of()));
    }
    PipelineRunnerTest.MapSink sink = new PipelineRunnerTest.MapSink();
    Thrower thrower = new Thrower();
    Recorder recorder = new Recorder();
    try (Pipeline pipeline =
        builder(new ListSource(events), sink).listener(thrower).listener(recorder).build()) {
      pipeline.start();
      Await.until(WAIT, "every change applied", () -> sink.index.size() == 20);
      Await.until(WAIT, "the other listener told", () -> recorder.applied() == 20);
      assertThat(pipeline.failure()).isEmpty();
      assertThat(pipeline.status().state()).isEqualTo(PipelineStatus.State.RUNNING);
    }
    assertThat(thrower.calls.get()).isGreaterThanOrEqualTo(3); // started, a batch, stopped
    assertThat(recorder.calls).contains("stopped STOPPED");
  }

  @Test
  void aSinkOutageIsToldOnceWhenItStartsAndOnceWhenItEnds() throws Exception {
    PipelineRunnerTest.MapSink sink = new PipelineRunnerTest.MapSink();
    sink.failuresLeft = 3; // throttled refusals (HTTP 429-like)
    Recorder recorder = new Recorder();
    try (Pipeline pipeline =
        builder(new ListSource(List.of(change("a", 1, Duration.ZERO, Map.of()))), sink)
            .listener(recorder)
            .build()) {
      pipeline.start();
      Await.until(WAIT, "the change applied", () -> recorder.applied() == 1);
    }
    List<String> outages = recorder.calls.stream().filter(c -> c.startsWith("outage")).toList();
    assertThat(outages).containsExactly("outageStarted SINK", "outageEnded SINK");
    assertThat(recorder.calls.stream().filter("retrying SINK"::equals)).hasSize(3);
    assertThat(recorder.calls).contains("throttled");
  }

  @Test
  void deadLettersAndFailuresAreTold() throws Exception {
    ChangeEvent poison =
        ChangeEvent.upsert(
            DocumentKey.of("t", "p"),
            Version.of(1),
            SourcePosition.ofOffset(1),
            Document.of("poison", true),
            NOW);
    Recorder recorder = new Recorder();
    try (Pipeline pipeline =
        builder(new ListSource(List.of(poison)), new PipelineRunnerTest.MapSink())
            .listener(recorder)
            .build()) {
      pipeline.start();
      Await.until(WAIT, "the poison's batch told", () -> recorder.batches.size() == 1);
      assertThat(recorder.letters).hasSize(1);
      assertThat(recorder.letters.get(0).key()).isEqualTo(DocumentKey.of("t", "p"));
      assertThat(recorder.batches.get(0).deadLettered()).isEqualTo(1);
    }

    PipelineRunnerTest.MapSink broken =
        new PipelineRunnerTest.MapSink() {
          @Override
          public List<dev.driftless.core.spi.WriteResult> write(List<ChangeEvent> batch) {
            throw new IllegalStateException("sink bug");
          }
        };
    Recorder second = new Recorder();
    Pipeline failing =
        builder(new ListSource(List.of(change("a", 1, Duration.ZERO, Map.of()))), broken)
            .listener(second)
            .build()
            .start();
    assertThat(failing.awaitTermination(WAIT)).isTrue();
    assertThat(second.calls).anyMatch(c -> c.startsWith("failed ") && c.contains("sink bug"));
    assertThat(second.calls).noneMatch(c -> c.startsWith("stopped"));
  }

  @Test
  void aResyncAndBackfillProgressReachListenersAddedWhileRunningUntilRemoved() throws Exception {
    SourceContext[] context = new SourceContext[1];
    ListSource source =
        new ListSource(List.of()) {
          @Override
          public void start(SourceContext c) {
            context[0] = c;
          }
        };
    try (Pipeline pipeline = builder(source, new PipelineRunnerTest.MapSink()).build()) {
      pipeline.start();
      Recorder recorder = new Recorder();
      AutoCloseable handle = pipeline.addListener(recorder);
      context[0].backfillProgress(new PipelineListener.BackfillProgress("t", 10, 20, false));
      context[0].resynced();
      handle.close();
      context[0].resynced();
      assertThat(recorder.calls).containsExactly("backfill 10 done=false", "resynced");
    }
  }

  @Test
  void awaitCaughtUpNeedsASourceThatKnowsItsHead() throws Exception {
    try (Pipeline pipeline =
        builder(new ListSource(List.of()), new PipelineRunnerTest.MapSink()).build()) {
      pipeline.start();
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> pipeline.awaitCaughtUp(Duration.ofSeconds(1)))
          .isInstanceOf(UnsupportedOperationException.class)
          .hasMessageContaining("cannot tell its head");
    }
  }
}
