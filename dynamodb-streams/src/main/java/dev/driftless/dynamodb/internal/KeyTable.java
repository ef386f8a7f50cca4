package dev.driftless.dynamodb.internal;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The compact per-key table of one scan: each key's hash and row fingerprint, 16 bytes per key, so
 * that the summaries of every level of one reconciliation come from one scan of the table. Filled
 * by one {@link Part} per scan segment within a shared limit of keys; past it the parts drop what
 * they hold and the table is not kept (summaries then rescan). Immutable once built.
 */
public final class KeyTable {
  private final long[] hashes;
  private final long[] fingerprints;
  private final Instant scannedAt;

  private KeyTable(long[] hashes, long[] fingerprints, Instant scannedAt) {
    this.hashes = hashes;
    this.fingerprints = fingerprints;
    this.scannedAt = scannedAt;
  }

  /** The number of keys. */
  public int size() {
    return hashes.length;
  }

  /** When the scan that filled it began. */
  public Instant scannedAt() {
    return scannedAt;
  }

  /** Adds every key to {@code sums}. */
  public void sum(BucketSums sums) {
    for (int i = 0; i < hashes.length; i++) {
      sums.add(hashes[i], fingerprints[i]);
    }
  }

  /**
   * The table of {@code parts}, or null if they overflowed their limit.
   *
   * @param scannedAt when the scan began
   */
  public static @Nullable KeyTable of(List<Part> parts, Instant scannedAt) {
    int n = 0;
    for (Part p : parts) {
      if (p.overflowed()) {
        return null;
      }
      n += p.size;
    }
    long[] hashes = new long[n];
    long[] fingerprints = new long[n];
    int at = 0;
    for (Part p : parts) {
      System.arraycopy(p.hashes, 0, hashes, at, p.size);
      System.arraycopy(p.fingerprints, 0, fingerprints, at, p.size);
      at += p.size;
    }
    return new KeyTable(hashes, fingerprints, scannedAt);
  }

  /** One segment's share; not thread-safe (its segment's thread fills it). */
  public static final class Part {
    private final AtomicLong total;
    private final long limit;
    private long[] hashes = new long[1024];
    private long[] fingerprints = new long[1024];
    private int size;

    /**
     * @param total the keys held by every part of the scan
     * @param limit the most keys all parts may hold
     */
    public Part(AtomicLong total, long limit) {
      this.total = total;
      this.limit = limit;
    }

    /** Keeps a key, unless the scan's parts already hold {@code limit} keys. */
    public void add(long keyHash, long rowFingerprint) {
      if (overflowed()) {
        return;
      }
      if (total.incrementAndGet() > limit) {
        hashes = new long[0];
        fingerprints = new long[0];
        size = 0;
        return;
      }
      if (size == hashes.length) {
        hashes = Arrays.copyOf(hashes, size * 2);
        fingerprints = Arrays.copyOf(fingerprints, size * 2);
      }
      hashes[size] = keyHash;
      fingerprints[size] = rowFingerprint;
      size++;
    }

    boolean overflowed() {
      return total.get() > limit;
    }
  }
}
