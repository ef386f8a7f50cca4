package dev.driftless.core.internal;

import static dev.driftless.core.internal.PipelineRunnerTest.upsert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.ConfigurationException;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.RetriableException;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** A pipeline started while its index cannot be reached starts, and writes once the index can. */
class SinkStartOutageTest {

  /** A sink whose start fails with {@code failure} while {@code reachable} is false. */
  static final class UnreachableSink extends PipelineRunnerTest.MapSink {
    final AtomicInteger starts = new AtomicInteger();
    volatile boolean reachable;
    volatile RuntimeException failure = new RetriableException("connection refused", null, false);

    @Override
    public void start(SinkContext context) {
      starts.incrementAndGet();
      if (!reachable) {
        throw failure;
      }
    }

    @Override
    public List<dev.driftless.core.spi.WriteResult> write(List<ChangeEvent> batch) {
      if (!reachable) {
        throw new AssertionError("written before the sink started");
      }
      return super.write(batch);
    }
  }

  private static Pipeline.Builder builder(ListSource source, UnreachableSink sink) {
    return Pipeline.builder()
        .source(source)
        .sink(sink)
        .deadLetterStore(new InMemoryDeadLetterStore())
        .retry(new RetrySettings(Duration.ofMillis(5), Duration.ofMillis(20), 2.0, 0.0))
        .linger(Duration.ZERO)
        .commitInterval(Duration.ofMillis(10));
  }

  @Test
  void startsWhileTheIndexIsUnreachableReportsTheOutageAndWritesOnceItIsBack() throws Exception {
    ListSource source = new ListSource(List.of(upsert("a", 1, 0), upsert("b", 1, 1)));
    UnreachableSink sink = new UnreachableSink();
    try (Pipeline p = builder(source, sink).build().start()) {
      // Both events received (held while the sink is down), so the pipeline is not idle; waiting
      // for the start retries alone raced with a slow first poll on a loaded machine.
      await(
          () -> sink.starts.get() >= 3 && p.status().eventsReceived() == 2,
          "start retried and both events received");
      PipelineStatus status = p.status();
      assertThat(status.state()).isEqualTo(PipelineStatus.State.RUNNING);
      assertThat(status.sinkOutage()).contains("connection refused");
      assertThat(status.summary()).contains("sinkOutage=");
      assertThat(status.eventsApplied()).isZero();
      assertThat(p.awaitIdle(Duration.ofMillis(50))).isFalse();

      sink.reachable = true;
      assertThat(p.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(sink.index).containsKeys(DocumentKey.of("t", "a"), DocumentKey.of("t", "b"));
      assertThat(p.status().sinkOutage()).isNull();
      assertThat(p.failure()).isEmpty();
    }
  }

  @Test
  void anOutageOutlastingTheDeadlineStopsThePipeline() throws Exception {
    ListSource source = new ListSource(List.of(upsert("a", 1, 0)));
    UnreachableSink sink = new UnreachableSink();
    Pipeline p = builder(source, sink).outageDeadline(Duration.ofMillis(300)).build().start();
    assertThat(p.awaitTermination(Duration.ofSeconds(10))).isTrue();
    assertThat(p.status().state()).isEqualTo(PipelineStatus.State.FAILED);
    assertThat(p.failure()).get().asString().contains("outageDeadline");
    assertThat(source.commits).isEmpty();
    p.close();
  }

  @Test
  void aConfigurationErrorStillFailsStart() {
    UnreachableSink sink = new UnreachableSink();
    sink.failure = new ConfigurationException("the engine refused the credentials (401)");
    Pipeline p = builder(new ListSource(List.of()), sink).build();
    assertThatThrownBy(p::start)
        .isInstanceOf(DriftlessException.class)
        .hasMessageContaining("refused the credentials");
    assertThat(sink.starts).hasValue(1);
  }

  @Test
  void aConfigurationErrorFoundOnARetryStopsThePipeline() throws Exception {
    UnreachableSink sink = new UnreachableSink();
    Pipeline p = builder(new ListSource(List.of(upsert("a", 1, 0))), sink).build().start();
    await(() -> sink.starts.get() >= 2, "start retried");
    sink.failure = new ConfigurationException("untrusted certificate");
    assertThat(p.awaitTermination(Duration.ofSeconds(10))).isTrue();
    assertThat(p.failure()).get().isInstanceOf(ConfigurationException.class);
    p.close();
  }

  @Test
  void closeWhileTheSinkIsDownReturnsWithoutWaitingForTheDrainTimeout() throws Exception {
    UnreachableSink sink = new UnreachableSink();
    Pipeline p =
        builder(new ListSource(List.of(upsert("a", 1, 0))), sink)
            .drainTimeout(Duration.ofSeconds(30))
            .build()
            .start();
    await(() -> p.status().eventsReceived() == 1, "event received");
    long started = System.nanoTime();
    p.close();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    assertThat(p.status().state()).isEqualTo(PipelineStatus.State.STOPPED);
    assertThat(sink.index).isEmpty();
  }

  private static void await(BooleanSupplier condition, String what) {
    Await.until(Duration.ofSeconds(10), what, condition);
  }
}
