package dev.driftless.search;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * How a key is placed in a reconciliation bucket and how its per-key fingerprint is formed. The
 * database side of reconciliation must compute exactly the same numbers; this class is the
 * reference.
 *
 * <h2>Definitions</h2>
 *
 * <ol>
 *   <li><b>key hash</b>: the first 8 bytes of {@code MD5(UTF-8 bytes of DocumentKey.id())}, read as
 *       a big-endian signed {@code long}. In PostgreSQL: {@code ('x' || substr(md5(id), 1,
 *       16))::bit(64)::bigint}.
 *   <li><b>bucket</b>: the top 32 bits of the key hash as an unsigned number, in {@code [0, 2^32)}:
 *       {@code keyHash >>> 32}. In PostgreSQL: {@code ('x00000000' || substr(md5(id), 1,
 *       8))::bit(64)::bigint}. 32 bits keep every bucket boundary exact in the double arithmetic of
 *       the engines' {@code range} aggregation.
 *   <li><b>per-key fingerprint</b>: {@code keyHash XOR rowFingerprint}, where the row fingerprint
 *       is {@link dev.driftless.core.Document#fingerprint()} (0 when the source gives none). Mixing
 *       in the key hash makes a missing document and a phantom with the same row content not cancel
 *       out in a sum.
 *   <li><b>parts</b>: the per-key fingerprint {@code f} split into {@code low = f & 0x1FFFFF} (bits
 *       0..20), {@code mid = (f >>> 21) & 0x1FFFFF} (bits 21..41) and {@code high = f >>> 42} (bits
 *       42..63, 22 bits). Each part is stored as a non-negative {@code long}; a summary is the
 *       count and the three sums. The engines sum in doubles, which stay exact below 2^53: the sums
 *       are exact for up to 2^31 documents per summarised range.
 * </ol>
 *
 * <p>Thread-safe; all methods are pure functions.
 */
public final class BucketScheme {

  /** The number of buckets: bucket numbers lie in {@code [0, BUCKET_COUNT)}. */
  public static final long BUCKET_COUNT = 1L << 32;

  private static final long PART_MASK = (1L << 21) - 1;

  private BucketScheme() {}

  /** The key hash of an id (definition 1). */
  public static long keyHash(String id) {
    MessageDigest md5;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK must provide MD5", e);
    }
    byte[] digest = md5.digest(id.getBytes(StandardCharsets.UTF_8));
    long hash = 0;
    for (int i = 0; i < 8; i++) {
      hash = (hash << 8) | (digest[i] & 0xFF);
    }
    return hash;
  }

  /** The bucket of an id (definition 2), in {@code [0, 2^32)}. */
  public static long bucket(String id) {
    return keyHash(id) >>> 32;
  }

  /** The per-key fingerprint (definition 3). */
  public static long keyFingerprint(String id, long rowFingerprint) {
    return keyHash(id) ^ rowFingerprint;
  }

  /** Bits 0..20 of a per-key fingerprint. */
  public static long low(long keyFingerprint) {
    return keyFingerprint & PART_MASK;
  }

  /** Bits 21..41 of a per-key fingerprint. */
  public static long mid(long keyFingerprint) {
    return (keyFingerprint >>> 21) & PART_MASK;
  }

  /** Bits 42..63 of a per-key fingerprint. */
  public static long high(long keyFingerprint) {
    return keyFingerprint >>> 42;
  }

  /** The per-key fingerprint whose parts are given (the inverse of the three part functions). */
  public static long join(long low, long mid, long high) {
    return (low & PART_MASK) | ((mid & PART_MASK) << 21) | (high << 42);
  }

  /**
   * The {@code i}-th of {@code splits} sub-ranges of {@code [from, to)}: boundaries are {@code from
   * + floor((to - from) * i / splits)}, computed without overflow. Both reconciliation sides split
   * ranges this way.
   *
   * @return {@code {start, end}} of sub-range {@code i}; empty sub-ranges ({@code start == end})
   *     occur when the range is narrower than {@code splits}
   */
  public static long[] split(long from, long to, int splits, int i) {
    if (splits < 1) {
      throw new IllegalArgumentException("splits must be positive, was " + splits);
    }
    if (i < 0 || i >= splits) {
      throw new IllegalArgumentException("i must be in [0, " + splits + "), was " + i);
    }
    return new long[] {boundary(from, to, splits, i), boundary(from, to, splits, i + 1)};
  }

  private static long boundary(long from, long to, int splits, int i) {
    java.math.BigInteger width = java.math.BigInteger.valueOf(to - from);
    return from
        + width
            .multiply(java.math.BigInteger.valueOf(i))
            .divide(java.math.BigInteger.valueOf(splits))
            .longValueExact();
  }
}
