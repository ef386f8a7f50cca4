package dev.driftless.dynamodb.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Derives versions from the stream for tables without a version attribute (the reasoning is in
 * {@code docs/dynamodb.md}). One clock follows one shard lineage: a child starts from a copy of its
 * parent's final state.
 *
 * <p>A record's version is {@code second * 1,000,000 + n}, where {@code second} is the lineage's
 * <em>effective second</em> — the record's {@code ApproximateCreationDateTime}, but never less than
 * that of any earlier record of the lineage — and {@code n} counts the earlier records of the same
 * key in that effective second. So a key's versions strictly increase along the lineage, also for
 * several changes within one second, and the version depends only on the records before it in the
 * lineage: replaying from a checkpoint with the state saved there gives every record the version it
 * had before. Should a key change a millionth time in one second, the effective second moves on by
 * one (the order stays strict; the version runs a second ahead of the clock).
 *
 * <p>The state is the effective second and the counts of the keys changed in it, so it is bounded
 * by one second's changes of one shard. Not thread-safe: one thread at a time.
 */
public final class VersionClock {
  /** Tie-breaks per second: a second is worth this much version. */
  public static final long PER_SECOND = 1_000_000L;

  /** The largest second that still fits a {@code long} version (year 294,247). */
  static final long MAX_SECOND = Long.MAX_VALUE / PER_SECOND - 1;

  private long second;
  private final Map<String, Integer> counts;

  private VersionClock(long second, Map<String, Integer> counts) {
    this.second = second;
    this.counts = counts;
  }

  /** A clock for a lineage with no records before. */
  public static VersionClock start() {
    return new VersionClock(0, new HashMap<>());
  }

  /** A clock restored from {@link #second()} and {@link #counts()} saved earlier. */
  public static VersionClock restore(long second, Map<String, Integer> counts) {
    if (second < 0) {
      throw new IllegalArgumentException("second must not be negative, was " + second);
    }
    return new VersionClock(second, new HashMap<>(Objects.requireNonNull(counts, "counts")));
  }

  /** A copy, for a child shard (or a settled view) to go on from. */
  public VersionClock copy() {
    return new VersionClock(second, new HashMap<>(counts));
  }

  /**
   * The version of the next record of the lineage: its key's canonical id and its creation second.
   *
   * @throws IllegalArgumentException if {@code creationSecond} is negative or too far in the future
   *     to fit a version (a malformed record)
   */
  public long next(String keyId, long creationSecond) {
    if (creationSecond < 0 || creationSecond > MAX_SECOND) {
      throw new IllegalArgumentException(
          "ApproximateCreationDateTime out of range: " + creationSecond + " s");
    }
    if (creationSecond > second) {
      second = creationSecond;
      counts.clear();
    }
    int n = counts.getOrDefault(keyId, 0);
    if (n >= PER_SECOND) {
      second++;
      counts.clear();
      n = 0;
    }
    counts.put(keyId, n + 1);
    return second * PER_SECOND + n;
  }

  /** The effective second. */
  public long second() {
    return second;
  }

  /** The counts of the keys changed in the effective second (a copy). */
  public Map<String, Integer> counts() {
    return Map.copyOf(counts);
  }
}
