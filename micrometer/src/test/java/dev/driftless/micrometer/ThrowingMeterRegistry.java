package dev.driftless.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.cumulative.CumulativeCounter;
import io.micrometer.core.instrument.cumulative.CumulativeDistributionSummary;
import io.micrometer.core.instrument.cumulative.CumulativeTimer;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.pause.PauseDetector;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** A registry whose counters, timers and summaries throw whenever something is recorded. */
final class ThrowingMeterRegistry extends SimpleMeterRegistry {
  private final AtomicLong recordings = new AtomicLong();

  /** How many recordings were attempted (each threw). */
  long recordings() {
    return recordings.get();
  }

  private IllegalStateException broken(Meter.Id id) {
    recordings.incrementAndGet();
    return new IllegalStateException("broken meter " + id.getName());
  }

  @Override
  protected Counter newCounter(Meter.Id id) {
    return new CumulativeCounter(id) {
      @Override
      public void increment(double amount) {
        throw broken(id);
      }
    };
  }

  @Override
  protected Timer newTimer(
      Meter.Id id, DistributionStatisticConfig config, PauseDetector pauseDetector) {
    return new CumulativeTimer(id, clock, config, pauseDetector, TimeUnit.SECONDS) {
      @Override
      protected void recordNonNegative(long amount, TimeUnit unit) {
        throw broken(id);
      }
    };
  }

  @Override
  protected DistributionSummary newDistributionSummary(
      Meter.Id id, DistributionStatisticConfig config, double scale) {
    return new CumulativeDistributionSummary(id, clock, config, scale, false) {
      @Override
      protected void recordNonNegative(double amount) {
        throw broken(id);
      }
    };
  }
}
