package dev.driftless.dynamodb.internal;

import dev.driftless.core.Fingerprints;
import dev.driftless.core.spi.FingerprintReader.BucketRange;
import dev.driftless.core.spi.FingerprintReader.BucketSummary;
import java.util.ArrayList;
import java.util.List;

/**
 * Client-side summaries ({@link Fingerprints}) of keys over disjoint bucket ranges, each split in
 * {@code splits} sub-ranges as {@link Fingerprints#boundary} splits them: count and sums of the
 * three parts of the per-key fingerprints. Not thread-safe: one per scan segment, merged at the
 * end.
 */
public final class BucketSums {
  /** The most sub-ranges one request may ask for (4 longs each). */
  public static final long MAX_CELLS = 1L << 24;

  private final List<BucketRange> ranges;
  private final long[] froms;
  private final int splits;
  private final long[] count;
  private final long[] low;
  private final long[] mid;
  private final long[] high;

  /**
   * @param ranges disjoint ranges sorted by start
   * @param splits sub-ranges per range
   * @throws IllegalArgumentException if ranges times splits exceeds {@link #MAX_CELLS}
   */
  public BucketSums(List<BucketRange> ranges, int splits) {
    long cells = (long) ranges.size() * splits;
    if (cells > MAX_CELLS) {
      throw new IllegalArgumentException(
          "ranges times splits must be at most " + MAX_CELLS + ", was " + cells);
    }
    this.ranges = List.copyOf(ranges);
    this.froms = new long[ranges.size()];
    for (int i = 0; i < froms.length; i++) {
      froms[i] = ranges.get(i).from();
    }
    this.splits = splits;
    int n = (int) cells;
    count = new long[n];
    low = new long[n];
    mid = new long[n];
    high = new long[n];
  }

  /** Counts a key, if its bucket lies in one of the ranges. */
  public void add(long keyHash, long rowFingerprint) {
    int cell = cellOf(Fingerprints.bucketOf(keyHash));
    if (cell < 0) {
      return;
    }
    long perKey = Fingerprints.perKeyOf(keyHash, rowFingerprint);
    count[cell]++;
    low[cell] += Fingerprints.low(perKey);
    mid[cell] += Fingerprints.mid(perKey);
    high[cell] += Fingerprints.high(perKey);
  }

  /** Adds {@code other}'s sums (over the same ranges and splits) to these. */
  public void merge(BucketSums other) {
    for (int i = 0; i < count.length; i++) {
      count[i] += other.count[i];
      low[i] += other.low[i];
      mid[i] += other.mid[i];
      high[i] += other.high[i];
    }
  }

  /** One summary per non-empty sub-range. */
  public List<BucketSummary> summaries() {
    List<BucketSummary> out = new ArrayList<>();
    for (int r = 0; r < ranges.size(); r++) {
      BucketRange range = ranges.get(r);
      for (int i = 0; i < splits; i++) {
        int cell = r * splits + i;
        if (count[cell] == 0) {
          continue;
        }
        out.add(
            new BucketSummary(
                new BucketRange(
                    Fingerprints.boundary(range.from(), range.to(), splits, i),
                    Fingerprints.boundary(range.from(), range.to(), splits, i + 1)),
                count[cell],
                low[cell],
                mid[cell],
                high[cell]));
      }
    }
    return out;
  }

  /** The cell of {@code bucket}, or -1 outside every range. */
  int cellOf(long bucket) {
    int r = java.util.Arrays.binarySearch(froms, bucket);
    if (r < 0) {
      r = -r - 2;
    }
    if (r < 0 || bucket >= ranges.get(r).to()) {
      return -1;
    }
    BucketRange range = ranges.get(r);
    long width = range.width();
    // The first boundary above the bucket: boundary(i) = from + floor(width * i / splits).
    int i = (int) Math.min(splits - 1, (bucket - range.from()) * splits / width);
    while (i + 1 < splits && boundary(range, i + 1) <= bucket) {
      i++;
    }
    while (i > 0 && boundary(range, i) > bucket) {
      i--;
    }
    return r * splits + i;
  }

  private long boundary(BucketRange range, int i) {
    return range.from() + range.width() * i / splits;
  }
}
