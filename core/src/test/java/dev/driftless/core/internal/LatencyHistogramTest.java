package dev.driftless.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

  @Test
  void bucketsCoverEveryValueInOrderAndEachHoldsItsValue() {
    int last = -1;
    for (long micros = 0; micros < 1L << 22; micros += 1 + micros / 97) {
      int index = LatencyHistogram.index(micros);
      assertThat(index).isGreaterThanOrEqualTo(last).isLessThan(LatencyHistogram.BUCKETS);
      assertThat(LatencyHistogram.upperEdge(index)).isGreaterThanOrEqualTo(micros);
      if (index > 0) {
        assertThat(LatencyHistogram.upperEdge(index - 1)).isLessThan(micros);
      }
      last = index;
    }
    assertThat(LatencyHistogram.index(Long.MAX_VALUE / 1_000))
        .isEqualTo(LatencyHistogram.BUCKETS - 1);
  }

  @Test
  void percentilesAreWithinTheStatedErrorOfTheExactOnes() {
    Random random = new Random(42);
    long[] micros = new long[20_000];
    LatencyHistogram h = new LatencyHistogram();
    for (int i = 0; i < micros.length; i++) {
      // log-uniform from 1 µs to about 100 s
      micros[i] = (long) Math.exp(random.nextDouble() * Math.log(100_000_000));
      h.recordNanos(micros[i] * 1_000);
    }
    Arrays.sort(micros);
    for (double q : new double[] {0.5, 0.9, 0.99, 0.999}) {
      long exact = micros[(int) Math.ceil(q * micros.length) - 1];
      long got = h.percentile(q).toNanos() / 1_000;
      assertThat(got).isGreaterThanOrEqualTo(exact).isLessThanOrEqualTo(exact + exact / 62 + 1);
    }
    assertThat(h.max()).isEqualTo(Duration.ofNanos(micros[micros.length - 1] * 1_000));
    assertThat(h.count()).isEqualTo(micros.length);
  }

  @Test
  void anEmptyHistogramAnswersZeroAndNegativeValuesCountAsZero() {
    LatencyHistogram h = new LatencyHistogram();
    assertThat(h.percentile(0.99)).isEqualTo(Duration.ZERO);
    h.recordNanos(-5_000_000);
    assertThat(h.percentile(0.5)).isEqualTo(Duration.ZERO);
    assertThat(h.count()).isEqualTo(1);
  }

  @Test
  void theWindowForgetsWhatIsOlderThanAWindow() {
    long t0 = 1_000_000_000L;
    FreshnessWindow w = new FreshnessWindow(t0);
    w.record(Duration.ofSeconds(9).toNanos(), t0);
    long half = FreshnessWindow.WINDOW.toNanos() / 2;
    assertThat(w.snapshot(t0 + half + 1).max()).isEqualTo(Duration.ofSeconds(9)); // previous
    w.record(Duration.ofMillis(5).toNanos(), t0 + half + 2);
    assertThat(w.snapshot(t0 + 2 * half + 3).max()).isEqualTo(Duration.ofMillis(5));
    assertThat(w.snapshot(t0 + 2 * half + 3).total()).isEqualTo(2);
    assertThat(w.snapshot(t0 + 10 * half).count()).isZero();
  }
}
