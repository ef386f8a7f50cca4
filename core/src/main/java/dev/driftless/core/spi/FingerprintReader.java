package dev.driftless.core.spi;

import dev.driftless.core.DocumentKey;
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
   * Every key of {@code collection} whose bucket lies in {@code range}, with its <em>row</em>
   * fingerprint ({@link dev.driftless.core.Fingerprints}, definition 1; not the per-key fingerprint
   * that summaries sum), ordered by key id in code-point order (UTF-8 byte order, PostgreSQL's
   * {@code COLLATE "C"}).
   */
  List<KeyFingerprint> list(String collection, BucketRange range) throws Exception;

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
    public KeyFingerprint {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(version, "version");
    }
  }
}
