package dev.driftless.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.OutagePolicy;
import dev.driftless.core.RetrySettings;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/**
 * What the status says of the source's upstream, and when a reported outage is over its deadline.
 */
class SourceOutageTest {
  private Instant now = Instant.parse("2026-01-01T00:00:00Z");
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now;
        }
      };
  private final SourceOutage outage =
      new SourceOutage(
          OutagePolicy.of(RetrySettings.DEFAULT, Duration.ofMinutes(5)),
          clock,
          new Listeners("test", java.util.List.of()));

  @Test
  void aReportedOutageKeepsItsStartAndOutlastsTheDeadline() {
    assertThat(outage.describe()).isNull();
    outage.reported(new IOException("connection refused"));
    now = now.plusSeconds(60);
    outage.reported(new IOException("connection reset"));
    assertThat(outage.describe())
        .isEqualTo("since 2026-01-01T00:00:00Z: java.io.IOException: connection reset");
    now = now.plusSeconds(239);
    assertThat(outage.overDeadline()).isNull();
    now = now.plusSeconds(1);
    assertThat(outage.overDeadline())
        .hasMessageContaining("source outage")
        .hasMessageContaining("outlasted outageDeadline PT5M")
        .hasMessageContaining("connection reset");
    outage.reportedEnded();
    assertThat(outage.describe()).isNull();
    assertThat(outage.overDeadline()).isNull();
  }

  @Test
  void aRetriedCallShowsUntilACallSucceedsAndIsNotHeldToTheDeadlineHere() {
    outage.retrying(new IOException("no route"));
    now = now.plus(Duration.ofHours(1));
    assertThat(outage.describe()).contains("no route");
    assertThat(outage.overDeadline()).isNull(); // OutagePolicy.call holds retried calls to it
    outage.callSucceeded();
    assertThat(outage.describe()).isNull();
  }
}
