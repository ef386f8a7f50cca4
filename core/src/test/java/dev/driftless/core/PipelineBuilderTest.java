package dev.driftless.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.spi.ChangeSource;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every invalid setting fails at once or at build(), with a message naming the setting. */
class PipelineBuilderTest {

  static final ChangeSource SOURCE =
      new ChangeSource() {
        @Override
        public void start(SourceContext context) {}

        @Override
        public List<ChangeEvent> poll(int maxEvents, Duration maxWait) {
          return List.of();
        }

        @Override
        public void commit(SourcePosition position) {}

        @Override
        public void close() {}
      };

  static final VersionedSink SINK =
      batch -> batch.stream().map(e -> (WriteResult) WriteResult.applied()).toList();

  static Pipeline.Builder valid() {
    return Pipeline.builder()
        .source(SOURCE)
        .sink(SINK)
        .deadLetterStore(new InMemoryDeadLetterStore());
  }

  /** Records what the pipeline told it at start. */
  static final class ContextRecordingSource implements ChangeSource {
    volatile @org.jspecify.annotations.Nullable SourceContext context;

    @Override
    public void start(SourceContext context) {
      this.context = context;
    }

    @Override
    public List<ChangeEvent> poll(int maxEvents, Duration maxWait) {
      return List.of();
    }

    @Override
    public void commit(SourcePosition position) {}

    @Override
    public void close() {}
  }

  @Test
  void sourceLearnsWhetherTheCheckpointStoreWasConfigured() throws Exception {
    ContextRecordingSource byDefault = new ContextRecordingSource();
    try (Pipeline p = valid().source(byDefault).build().start()) {
      assertThat(java.util.Objects.requireNonNull(byDefault.context).checkpointStoreConfigured())
          .isFalse();
    }
    ContextRecordingSource configured = new ContextRecordingSource();
    try (Pipeline p =
        valid()
            .source(configured)
            .checkpointStore(new dev.driftless.core.stores.InMemoryCheckpointStore())
            .build()
            .start()) {
      assertThat(java.util.Objects.requireNonNull(configured.context).checkpointStoreConfigured())
          .isTrue();
    }
  }

  @Test
  void validSettingsBuild() {
    assertThatCode(() -> valid().build().close()).doesNotThrowAnyException();
  }

  @Test
  void thePipelineAnswersItsName() {
    try (Pipeline named = valid().name("orders-v2").build();
        Pipeline unnamed = valid().build()) {
      assertThat(named.name()).isEqualTo("orders-v2");
      assertThat(unnamed.name()).isEqualTo("driftless");
    }
  }

  @Test
  void rangesAreCheckedAtOnceNamingTheSetting() {
    assertThatThrownBy(() -> valid().batchSize(0)).hasMessageContaining("batchSize");
    assertThatThrownBy(() -> valid().batchSize(100_001)).hasMessageContaining("batchSize");
    assertThatThrownBy(() -> valid().batchBytes(10)).hasMessageContaining("batchBytes");
    assertThatThrownBy(() -> valid().linger(Duration.ofMillis(-1))).hasMessageContaining("linger");
    assertThatThrownBy(() -> valid().linger(Duration.ofMinutes(1))).hasMessageContaining("linger");
    assertThatThrownBy(() -> valid().maxInFlightEvents(0))
        .hasMessageContaining("maxInFlightEvents");
    assertThatThrownBy(() -> valid().maxInFlightBytes(1)).hasMessageContaining("maxInFlightBytes");
    assertThatThrownBy(() -> valid().parallelism(0)).hasMessageContaining("parallelism");
    assertThatThrownBy(() -> valid().parallelism(1000)).hasMessageContaining("parallelism");
    assertThatThrownBy(() -> valid().outageDeadline(Duration.ZERO))
        .hasMessageContaining("outageDeadline");
    assertThatThrownBy(() -> valid().commitInterval(Duration.ofSeconds(-1)))
        .hasMessageContaining("commitInterval");
    assertThatThrownBy(() -> valid().drainTimeout(Duration.ofSeconds(-1)))
        .hasMessageContaining("drainTimeout");
    assertThatThrownBy(() -> valid().name("has space")).hasMessageContaining("name");
    assertThatThrownBy(() -> new RetrySettings(Duration.ZERO, Duration.ofSeconds(1), 2, 0))
        .hasMessageContaining("initialDelay");
    assertThatThrownBy(() -> new RetrySettings(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 0))
        .hasMessageContaining("maxDelay");
    assertThatThrownBy(() -> RetrySettings.DEFAULT.withJitter(1.0)).hasMessageContaining("jitter");
  }

  @Test
  void nullsAreRefusedNamingTheParameter() {
    assertThatThrownBy(() -> valid().source(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("source");
    assertThatThrownBy(() -> valid().sink(null)).hasMessage("sink");
    assertThatThrownBy(() -> valid().mapper(null)).hasMessage("mapper");
    assertThatThrownBy(() -> valid().deadLetterStore(null)).hasMessage("deadLetterStore");
    assertThatThrownBy(() -> valid().retry(null)).hasMessage("retry");
  }

  @Test
  void requiredAndCrossFieldRulesFailAtBuild() {
    assertThatThrownBy(
            () ->
                Pipeline.builder()
                    .sink(SINK)
                    .deadLetterStore(new InMemoryDeadLetterStore())
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("source");
    assertThatThrownBy(
            () ->
                Pipeline.builder()
                    .source(SOURCE)
                    .deadLetterStore(new InMemoryDeadLetterStore())
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("sink");
    assertThatThrownBy(() -> Pipeline.builder().source(SOURCE).sink(SINK).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("deadLetterStore");
    assertThatThrownBy(() -> valid().batchSize(1000).maxInFlightEvents(10).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("maxInFlightEvents")
        .hasMessageContaining("batchSize");
    assertThatThrownBy(() -> valid().batchBytes(1 << 20).maxInFlightBytes(1 << 10).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("maxInFlightBytes")
        .hasMessageContaining("batchBytes");
  }

  @Test
  void startingTwiceIsRefused() {
    try (Pipeline p = valid().build()) {
      p.start();
      assertThatThrownBy(p::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already started");
    }
  }
}
