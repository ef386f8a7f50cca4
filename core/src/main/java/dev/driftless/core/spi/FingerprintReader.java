package dev.driftless.core.spi;

import dev.driftless.core.DocumentKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * One side of reconciliation: the database or the index summarises a collection's row fingerprints
 * per bucket, and lists keys with their fingerprints inside a bucket range. Both sides implement
 * it, bucket keys the same way ({@link BucketRange}) and fingerprint rows the same way, so that
 * equal summaries mean equal contents with overwhelming probability.
 *
 * <p>Thread-safe; may block on I/O. A transient failure is thrown as a {@link
 * dev.driftless.core.RetriableException}.
 */
public interface FingerprintReader {

  /**
   * Summaries of {@code collection}'s keys whose bucket lies in {@code range}, one per non-empty
   * sub-range when {@code range} is split into {@code splits} sub-ranges whose boundaries are
   * {@code from + floor((to - from) * i / splits)} for {@code i = 0..splits} (so both sides split
   * identically; empty sub-ranges may be left out). Moves a number of bytes proportional to {@code
   * splits}, not to the number of rows.
   */
  List<BucketSummary> summarize(String collection, BucketRange range, int splits) throws Exception;

  /**
   * {@link #summarize(String, BucketRange, int)} for many ranges at once: the summaries of every
   * range's sub-ranges, in any order. Reconciliation asks for all the mismatching ranges of one
   * level in one call, so a side that must scan its whole collection per request (a database
   * without an index on the bucket) scans once per level, not once per range. The default asks
   * range by range.
   *
   * @param ranges disjoint ranges, in any order
   * @throws IllegalArgumentException if two ranges overlap
   */
  default List<BucketSummary> summarize(String collection, List<BucketRange> ranges, int splits)
      throws Exception {
    List<BucketSummary> out = new ArrayList<>();
    for (BucketRange range : BucketRange.disjointSorted(ranges)) {
      out.addAll(summarize(collection, range, splits));
    }
    return out;
  }

  /**
   * Every key of {@code collection} whose bucket lies in {@code range}, with its <em>row</em>
   * fingerprint ({@link dev.driftless.core.Fingerprints}, definition 1; not the per-key fingerprint
   * that summaries sum), ordered by key id in code-point order (UTF-8 byte order, PostgreSQL's
   * {@code COLLATE "C"}).
   */
  List<KeyFingerprint> list(String collection, BucketRange range) throws Exception;

  /**
   * {@link #list(String, BucketRange)} for many ranges at once, in one pass where the side can:
   * every key whose bucket lies in one of {@code ranges}, ordered by key id in code-point order.
   * The default lists range by range and merges.
   *
   * @param ranges disjoint ranges, in any order
   * @throws IllegalArgumentException if two ranges overlap
   */
  default List<KeyFingerprint> list(String collection, List<BucketRange> ranges) throws Exception {
    List<KeyFingerprint> out = new ArrayList<>();
    for (BucketRange range : BucketRange.disjointSorted(ranges)) {
      out.addAll(list(collection, range));
    }
    out.sort(KeyFingerprint.BY_ID);
    return out;
  }

  /**
   * Point reads: the row fingerprint of each of {@code ids} that {@code collection} holds, in any
   * order; an id it does not hold (or that cannot be a key of it at all) is left out.
   * Reconciliation re-verifies the keys it found different this way, so the cost must grow with the
   * number of ids (an index look-up per key), not with the collection.
   */
  List<KeyFingerprint> read(String collection, Collection<String> ids) throws Exception;

  /**
   * The number of buckets: bucket numbers lie in {@code [0, bucketCount())}. Both sides of one
   * reconciliation must agree on it. The default is 2^32.
   */
  default long bucketCount() {
    return 1L << 32;
  }

  /**
   * Bytes this reader moved over the wire so far (requests and responses), for reconciliation
   * reports; {@code -1} if it does not count them.
   */
  default long bytesRead() {
    return -1;
  }

  /**
   * A half-open range {@code [from, to)} of buckets.
   *
   * @param from first bucket, inclusive
   * @param to last bucket, exclusive
   */
  record BucketRange(long from, long to) {
    public BucketRange {
      if (from < 0 || to <= from) {
        throw new IllegalArgumentException(
            "bucket range must be 0 <= from < to: " + from + ".." + to);
      }
    }

    /** The number of buckets in the range. */
    public long width() {
      return to - from;
    }

    /**
     * {@code ranges} sorted by {@code from}, checked to be disjoint.
     *
     * @throws IllegalArgumentException naming the first two ranges that overlap
     */
    public static List<BucketRange> disjointSorted(Collection<BucketRange> ranges) {
      List<BucketRange> sorted = new ArrayList<>(ranges);
      sorted.sort(Comparator.comparingLong(BucketRange::from));
      for (int i = 1; i < sorted.size(); i++) {
        if (sorted.get(i).from() < sorted.get(i - 1).to()) {
          throw new IllegalArgumentException(
              "bucket ranges overlap: " + sorted.get(i - 1) + " and " + sorted.get(i));
        }
      }
      return sorted;
    }
  }

  /**
   * The count and the exact sums of the three 21-bit parts of the per-key fingerprints of one
   * bucket range (split so that the engines' double-based sums stay exact).
   *
   * @param range the summarised buckets
   * @param count keys in it
   * @param sumLow sum of bits 0..20
   * @param sumMid sum of bits 21..41
   * @param sumHigh sum of bits 42..63
   */
  record BucketSummary(BucketRange range, long count, long sumLow, long sumMid, long sumHigh) {
    public BucketSummary {
      Objects.requireNonNull(range, "range");
    }
  }

  /**
   * One key's row fingerprint and, where the side knows it, its version.
   *
   * @param key the key
   * @param fingerprint the row fingerprint
   * @param version the version the side holds, if it knows one
   */
  record KeyFingerprint(DocumentKey key, long fingerprint, OptionalLong version) {
    /** By key id in code-point order (UTF-8 byte order), the order lists come in. */
    public static final Comparator<KeyFingerprint> BY_ID =
        (a, b) -> compareCodePoints(a.key().id(), b.key().id());

    public KeyFingerprint {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(version, "version");
    }
  }

  /** Compares two strings by code point (UTF-16's surrogates sort below U+E000..U+FFFF). */
  private static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int x = a.codePointAt(i);
      int y = b.codePointAt(j);
      if (x != y) {
        return Integer.compare(x, y);
      }
      i += Character.charCount(x);
      j += Character.charCount(y);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }
}
