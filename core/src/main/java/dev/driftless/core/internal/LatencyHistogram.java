package dev.driftless.core.internal;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A fixed-size log-linear histogram of durations in microseconds, in the manner of HdrHistogram:
 * values below 128 µs are counted exactly, larger ones in 64 sub-buckets per power of two (a
 * relative error below 1.6%), up to 2^40 µs (about 12.7 days; larger values count as that). Memory
 * is fixed at about 18 KB whatever is recorded. Lock-free: {@link #record} may be called from any
 * thread; a {@link #percentile} read while values are recorded sees some of them.
 */
final class LatencyHistogram {
  private static final int LINEAR = 128; // values [0, 128) µs: one bucket each
  private static final int SUB_BITS = 6; // 64 sub-buckets per power of two above
  private static final int SUB = 1 << SUB_BITS;
  private static final int MAX_EXPONENT = 40;
  static final int BUCKETS = LINEAR + (MAX_EXPONENT - 7) * SUB;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
  private final AtomicLong total = new AtomicLong();
  private final AtomicLong max = new AtomicLong();

  /** Records one duration in nanoseconds; negative values (clock skew) count as zero. */
  void recordNanos(long nanos) {
    long micros = Math.max(0, nanos) / 1_000;
    counts.incrementAndGet(index(micros));
    total.incrementAndGet();
    max.accumulateAndGet(micros, Math::max);
  }

  long count() {
    return total.get();
  }

  /** The largest value recorded, exactly. */
  Duration max() {
    return Duration.ofNanos(max.get() * 1_000);
  }

  /**
   * The value at or below which {@code fraction} of the values lie (the upper edge of its bucket,
   * capped by the maximum), or zero if nothing was recorded.
   */
  Duration percentile(double fraction) {
    long n = total.get();
    if (n == 0) {
      return Duration.ZERO;
    }
    long rank = Math.max(1, (long) Math.ceil(fraction * n));
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return Duration.ofNanos(Math.min(upperEdge(i), max.get()) * 1_000);
      }
    }
    return max();
  }

  /** Adds {@code other}'s counts to this one. */
  void add(LatencyHistogram other) {
    for (int i = 0; i < BUCKETS; i++) {
      long c = other.counts.get(i);
      if (c != 0) {
        counts.addAndGet(i, c);
      }
    }
    total.addAndGet(other.total.get());
    max.accumulateAndGet(other.max.get(), Math::max);
  }

  static int index(long micros) {
    if (micros < LINEAR) {
      return (int) micros;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(micros); // >= 7
    if (exponent >= MAX_EXPONENT) {
      return BUCKETS - 1;
    }
    int sub = (int) ((micros >>> (exponent - SUB_BITS)) & (SUB - 1));
    return LINEAR + (exponent - 7) * SUB + sub;
  }

  /** The largest value (µs) that falls in bucket {@code index}. */
  static long upperEdge(int index) {
    if (index < LINEAR) {
      return index;
    }
    int exponent = (index - LINEAR) / SUB + 7;
    int sub = (index - LINEAR) % SUB;
    long width = 1L << (exponent - SUB_BITS);
    return (1L << exponent) + (sub + 1) * width - 1;
  }
}
