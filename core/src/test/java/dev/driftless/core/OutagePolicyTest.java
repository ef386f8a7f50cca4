package dev.driftless.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The one outage policy: backoff, deadline, stop, and what is not an outage. */
class OutagePolicyTest {
  private static final RetrySettings FAST =
      new RetrySettings(Duration.ofMillis(1), Duration.ofMillis(4), 2.0, 0.0);

  @Test
  void delaysGrowByTheMultiplierUpToTheMaximum() {
    OutagePolicy policy =
        OutagePolicy.of(
            new RetrySettings(Duration.ofMillis(100), Duration.ofMillis(350), 2.0, 0.0), null);
    assertThat(policy.delay(1)).isEqualTo(Duration.ofMillis(100));
    assertThat(policy.delay(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(policy.delay(3)).isEqualTo(Duration.ofMillis(350));
    assertThat(policy.delay(1_000)).isEqualTo(Duration.ofMillis(350));
    assertThatThrownBy(() -> policy.delay(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void jitterStaysWithinItsFraction() {
    OutagePolicy policy =
        OutagePolicy.of(
            new RetrySettings(Duration.ofMillis(100), Duration.ofSeconds(1), 2.0, 0.25), null);
    for (int i = 0; i < 200; i++) {
      assertThat(policy.delay(1)).isBetween(Duration.ofMillis(75), Duration.ofMillis(125));
    }
  }

  @Test
  void theDeadlineAppliesFromTheOutagesStart() {
    Instant since = Instant.parse("2026-01-01T00:00:00Z");
    OutagePolicy policy = OutagePolicy.of(FAST, Duration.ofSeconds(30));
    assertThat(policy.overDeadline(since, since.plusSeconds(29))).isFalse();
    assertThat(policy.overDeadline(since, since.plusSeconds(30))).isTrue();
    assertThat(OutagePolicy.of(FAST, null).overDeadline(since, since.plusSeconds(1 << 30)))
        .isFalse();
    assertThat(policy.outageDeadline()).contains(Duration.ofSeconds(30));
    assertThatThrownBy(() -> OutagePolicy.of(FAST, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outageDeadline");
  }

  @Test
  void retriesAnOutageUntilTheCallSucceeds() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    List<Integer> retried = new ArrayList<>();
    String result =
        OutagePolicy.of(FAST, null)
            .call(
                "test outage",
                () -> false,
                (attempt, cause, delay) -> retried.add(attempt),
                () -> {
                  if (calls.incrementAndGet() < 4) {
                    throw new RetriableException("down", null, false);
                  }
                  return "ok";
                });
    assertThat(result).isEqualTo("ok");
    assertThat(retried).containsExactly(1, 2, 3);
  }

  @Test
  void anythingElseIsNotAnOutageAndGoesThroughAtOnce() {
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(
            () ->
                OutagePolicy.of(FAST, null)
                    .call(
                        "test outage",
                        () -> false,
                        () -> {
                          calls.incrementAndGet();
                          throw new IllegalStateException("a bug");
                        }))
        .isInstanceOf(IllegalStateException.class);
    assertThat(calls).hasValue(1);
  }

  @Test
  void anOutageOutlastingTheDeadlineThrowsADriftlessExceptionNamingIt() {
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(
            () ->
                OutagePolicy.of(FAST, Duration.ofMillis(50))
                    .call(
                        "index outage",
                        () -> false,
                        () -> {
                          calls.incrementAndGet();
                          throw new RetriableException("connection refused", null, false);
                        }))
        .isInstanceOf(DriftlessException.class)
        .hasMessageContaining("index outage outlasted outageDeadline PT0.05S")
        .hasMessageContaining("connection refused")
        .hasCauseInstanceOf(RetriableException.class);
    assertThat(calls.get()).isGreaterThan(1);
  }

  @Test
  void stoppingRethrowsTheLastOutage() {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(
            () ->
                OutagePolicy.of(FAST, null)
                    .call(
                        "test outage",
                        stop::get,
                        () -> {
                          if (calls.incrementAndGet() == 3) {
                            stop.set(true);
                          }
                          throw new RetriableException("down " + calls.get(), null, false);
                        }))
        .isInstanceOf(RetriableException.class)
        .hasMessage("down 3");
  }
}
