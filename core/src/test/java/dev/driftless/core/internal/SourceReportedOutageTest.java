package dev.driftless.core.internal;

import static dev.driftless.core.internal.PipelineRunnerTest.upsert;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A source that reports losing its upstream (SourceContext.outageStarted) while it keeps polling:
 * the outage shows in the status, ends when the source says so, and stops the pipeline once it
 * outlasts the outageDeadline.
 */
class SourceReportedOutageTest {
  private static final RetrySettings RETRY =
      new RetrySettings(Duration.ofMillis(5), Duration.ofMillis(20), 2.0, 0.0);

  /**
   * A source whose upstream is cut until {@link #restore}: while cut it reports the outage, and a
   * poll waits (up to its {@code maxWait}) for the upstream to come back and returns nothing.
   */
  static final class CuttableSource extends ListSource {
    private final CountDownLatch restored = new CountDownLatch(1);
    volatile boolean wasCut;
    volatile SourceContext context;

    CuttableSource(List<ChangeEvent> events) {
      super(events);
    }

    @Override
    public void start(SourceContext context) {
      this.context = context;
    }

    @Override
    public List<ChangeEvent> poll(int maxEvents, Duration maxWait) throws InterruptedException {
      if (restored.getCount() > 0) {
        wasCut = true;
        context.outageStarted(new IOException("database unreachable"));
        restored.await(maxWait.toNanos(), TimeUnit.NANOSECONDS);
        return List.of();
      }
      if (wasCut) {
        wasCut = false;
        context.outageEnded();
      }
      return super.poll(maxEvents, maxWait);
    }

    void restore() {
      restored.countDown();
    }
  }

  private static Pipeline.Builder builder(CuttableSource source, PipelineRunnerTest.MapSink sink) {
    return Pipeline.builder()
        .source(source)
        .sink(sink)
        .deadLetterStore(new InMemoryDeadLetterStore())
        .retry(RETRY)
        .linger(Duration.ZERO)
        .commitInterval(Duration.ofMillis(10));
  }

  @Test
  void theStatusShowsTheOutageUntilTheSourceReportsItsEnd() throws Exception {
    CuttableSource source = new CuttableSource(List.of(upsert("a", 1, 0)));
    PipelineRunnerTest.MapSink sink = new PipelineRunnerTest.MapSink();
    try (Pipeline p = builder(source, sink).build().start()) {
      Await.until(Duration.ofSeconds(10), "outage shown", () -> p.status().sourceOutage() != null);
      PipelineStatus status = p.status();
      assertThat(status.sourceOutage()).startsWith("since ").contains("database unreachable");
      assertThat(status.summary()).contains("sourceOutage=");
      assertThat(status.state()).isEqualTo(PipelineStatus.State.RUNNING);

      source.restore();
      Await.until(
          Duration.ofSeconds(10),
          "the event written after the outage",
          () -> sink.index.containsKey(DocumentKey.of("t", "a")));
      assertThat(p.status().sourceOutage()).isNull();
      assertThat(p.failure()).isEmpty();
    }
  }

  @Test
  void anOutageOutlastingTheDeadlineStopsThePipelineNamingTheCause() throws Exception {
    CuttableSource source = new CuttableSource(List.of());
    Pipeline p =
        builder(source, new PipelineRunnerTest.MapSink())
            .outageDeadline(Duration.ofMillis(200))
            .build()
            .start();
    assertThat(p.awaitTermination(Duration.ofSeconds(10))).isTrue();
    assertThat(p.status().state()).isEqualTo(PipelineStatus.State.FAILED);
    assertThat(p.failure())
        .get()
        .isInstanceOf(DriftlessException.class)
        .asString()
        .contains("source outage")
        .contains("outlasted outageDeadline PT0.2S")
        .contains("database unreachable");
    p.close();
  }

  @Test
  void theSourceGetsThePipelinesPolicy() throws Exception {
    CuttableSource source = new CuttableSource(List.of());
    try (Pipeline p =
        builder(source, new PipelineRunnerTest.MapSink())
            .outageDeadline(Duration.ofMinutes(3))
            .build()
            .start()) {
      assertThat(source.context.outagePolicy())
          .isEqualTo(OutagePolicy.of(RETRY, Duration.ofMinutes(3)));
      assertThat(p.failure()).isEmpty();
    }
  }
}
