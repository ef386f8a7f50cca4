package dev.driftless.core;

/**
 * A document's version as assigned by the source: a {@code long} in {@code [0, 2^63-1]} that
 * increases per key in the source's commit order. Changes of one key inside one transaction share
 * the transaction's version; the last of them wins because a key's writes are applied in order.
 *
 * <p>Sinks write it as the engine's external version ({@code version_type=external_gte}), so the
 * index itself refuses anything older than what it holds.
 *
 * @param value the version, never negative
 */
public record Version(long value) implements Comparable<Version> {

  /** The smallest version. */
  public static final Version MIN = new Version(0);

  /** The largest version the engines accept. */
  public static final Version MAX = new Version(Long.MAX_VALUE);

  public Version {
    if (value < 0) {
      throw new IllegalArgumentException("version must be in [0, 2^63-1], was " + value);
    }
  }

  public static Version of(long value) {
    return new Version(value);
  }

  /** Whether this version is strictly newer than {@code other}. */
  public boolean isNewerThan(Version other) {
    return value > other.value;
  }

  @Override
  public int compareTo(Version other) {
    return Long.compare(value, other.value);
  }

  @Override
  public String toString() {
    return Long.toString(value);
  }
}
