package dev.driftless.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.DeadLetter;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.spi.DeadLetterStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.spring.boot.actuate.DriftlessHealthIndicator;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryChangeLog;
import dev.driftless.tck.InMemoryChangeSource;
import dev.driftless.tck.InMemoryVersionedSink;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** The health indicator's states, on a real pipeline over the tck's in-memory source and sink. */
class DriftlessHealthIndicatorTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private final InMemoryChangeLog log = InMemoryChangeLog.create();

  private Pipeline.Builder pipeline(InMemoryVersionedSink sink) {
    return Pipeline.builder()
        .name("health")
        .source(new InMemoryChangeSource(log))
        .sink(sink)
        .retry(new RetrySettings(Duration.ofMillis(5), Duration.ofMillis(20), 2.0, 0.0))
        .deadLetterStore(new InMemoryDeadLetterStore());
  }

  @Test
  void unknownBeforeStartUpWhileRunningDegradedInAnOutageOutOfServiceAfterClose() throws Exception {
    InMemoryVersionedSink sink = InMemoryVersionedSink.create();
    try (Pipeline p = pipeline(sink).build();
        DriftlessHealthIndicator health =
            new DriftlessHealthIndicator(p, "DEGRADED", Duration.ofMinutes(1), Clock.systemUTC())) {
      assertThat(health.health().getStatus()).isEqualTo(Status.UNKNOWN);
      p.start();
      log.upsert(DocumentKey.of("orders", "1"), Document.of("a", 1));
      Eventually.until(WAIT, "the change is applied", () -> p.status().eventsApplied() == 1);
      Health up = health.health();
      assertThat(up.getStatus()).isEqualTo(Status.UP);
      assertThat(up.getDetails())
          .containsEntry("state", "RUNNING")
          .containsEntry("eventsApplied", 1L)
          .containsEntry("degraded", false)
          .containsKeys("lagEvents", "lagMillis", "freshnessP99Millis");

      sink.outage(true);
      log.upsert(DocumentKey.of("orders", "2"), Document.of("a", 2));
      Eventually.until(
          WAIT,
          "health reports the sink outage",
          () -> health.health().getStatus().getCode().equals("DEGRADED"));
      assertThat(health.health().getDetails())
          .containsEntry("degraded", true)
          .containsKey("sinkOutage");

      sink.outage(false);
      Eventually.until(
          WAIT, "health is UP again", () -> health.health().getStatus().equals(Status.UP));
      p.close();
      assertThat(health.health().getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
    }
  }

  @Test
  void downWithTheFailureOnceThePipelineFailed() throws Exception {
    InMemoryVersionedSink sink =
        InMemoryVersionedSink.builder().poison(d -> d.has("poison")).build();
    DeadLetterStore broken = new BrokenDeadLetterStore();
    try (Pipeline p = pipeline(sink).deadLetterStore(broken).build();
        DriftlessHealthIndicator health =
            new DriftlessHealthIndicator(p, "UP", Duration.ofMinutes(1), Clock.systemUTC())) {
      p.start();
      log.upsert(DocumentKey.of("orders", "1"), Document.of("poison", true));
      assertThat(p.awaitTermination(WAIT)).isTrue();
      Health down = health.health();
      assertThat(down.getStatus()).isEqualTo(Status.DOWN);
      assertThat(down.getDetails()).containsEntry("state", "FAILED").containsKey("failure");
    }
  }

  @Test
  void throttlingCountsAsDegradedWithinTheWindow() throws Exception {
    InMemoryVersionedSink sink = InMemoryVersionedSink.builder().throttleEveryNthWrite(1).build();
    // Every write is throttled: nothing to drain at close.
    try (Pipeline p = pipeline(sink).drainTimeout(Duration.ZERO).build();
        DriftlessHealthIndicator health =
            new DriftlessHealthIndicator(p, "DEGRADED", Duration.ofHours(1), Clock.systemUTC())) {
      p.start();
      log.upsert(DocumentKey.of("orders", "1"), Document.of("a", 1));
      Eventually.until(
          WAIT,
          "health reports throttling",
          () -> health.health().getDetails().containsKey("throttledAt"));
      assertThat(health.health().getStatus().getCode()).isEqualTo("DEGRADED");
    }
  }

  /** A store whose disk is full: the pipeline must stop rather than commit past the letter. */
  private static final class BrokenDeadLetterStore implements DeadLetterStore {
    @Override
    public void put(DeadLetter letter) throws Exception {
      throw new java.io.IOException("disk full");
    }

    @Override
    public List<DeadLetter> list(int max) {
      return List.of();
    }

    @Override
    public Optional<DeadLetter> get(String id) {
      return Optional.empty();
    }

    @Override
    public boolean remove(String id) {
      return false;
    }

    @Override
    public long count() {
      return 0;
    }
  }
}
