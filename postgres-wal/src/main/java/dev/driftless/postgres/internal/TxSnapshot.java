package dev.driftless.postgres.internal;

import java.util.Arrays;
import java.util.Objects;

/**
 * A PostgreSQL MVCC snapshot as {@code pg_current_snapshot()} prints it ({@code xmin:xmax:xip,...},
 * 64-bit transaction ids with their epoch), answering which committed transactions it saw.
 *
 * <p>pgoutput names transactions by their 32-bit xid; {@link #widen} places such an xid within 2^31
 * of the snapshot's {@code xmax}, which is exact for every transaction that can matter (PostgreSQL
 * keeps all live xids within 2^31 of each other, wraparound protection), so comparisons are right
 * across an epoch boundary. Immutable.
 */
final class TxSnapshot {

  private final long xmin;
  private final long xmax;
  private final long[] inProgress;

  private TxSnapshot(long xmin, long xmax, long[] inProgress) {
    this.xmin = xmin;
    this.xmax = xmax;
    this.inProgress = inProgress;
  }

  /** Parses the text form, e.g. {@code 734:740:734,737}. */
  static TxSnapshot parse(String text) {
    Objects.requireNonNull(text, "text");
    String[] parts = text.split(":", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("not a snapshot (xmin:xmax:xip): " + text);
    }
    try {
      long xmin = Long.parseLong(parts[0]);
      long xmax = Long.parseLong(parts[1]);
      long[] xip =
          parts[2].isEmpty()
              ? new long[0]
              : Arrays.stream(parts[2].split(",")).mapToLong(Long::parseLong).sorted().toArray();
      if (xmin < 0 || xmax < xmin) {
        throw new IllegalArgumentException("not a snapshot (xmin > xmax): " + text);
      }
      for (long x : xip) {
        if (x < xmin || x >= xmax) {
          throw new IllegalArgumentException("not a snapshot (xip outside xmin..xmax): " + text);
        }
      }
      return new TxSnapshot(xmin, xmax, xip);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a snapshot: " + text, e);
    }
  }

  long xmin() {
    return xmin;
  }

  long xmax() {
    return xmax;
  }

  /** The 64-bit id of a 32-bit xid, taken as the one nearest to this snapshot's {@code xmax}. */
  long widen(long xid32) {
    int delta = (int) ((xid32 & 0xFFFFFFFFL) - (xmax & 0xFFFFFFFFL));
    long full = xmax + delta;
    // Before the first wraparound there is nothing below zero: such an xid lies in epoch 0 ahead.
    return full < 0 ? full + (1L << 32) : full;
  }

  /**
   * Whether a transaction known to have committed (the stream decoded it) was visible to this
   * snapshot: its xid is below {@code xmin}, or below {@code xmax} and not in progress.
   */
  boolean sawCommitted(long xid32) {
    return sees(widen(xid32));
  }

  /** {@link #sawCommitted} for a 64-bit xid. */
  boolean sees(long fullXid) {
    if (fullXid < xmin) {
      return true;
    }
    if (fullXid >= xmax) {
      return false;
    }
    return Arrays.binarySearch(inProgress, fullXid) < 0;
  }

  /**
   * Whether a 32-bit xid is below {@code xmin}: then every later snapshot sees it too, so the
   * source no longer needs to remember what it touched.
   */
  boolean belowXmin(long xid32) {
    return widen(xid32) < xmin;
  }

  /** The in-progress ids, ascending (a copy). */
  long[] inProgress() {
    return inProgress.clone();
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder().append(xmin).append(':').append(xmax).append(':');
    for (int i = 0; i < inProgress.length; i++) {
      b.append(i > 0 ? "," : "").append(inProgress[i]);
    }
    return b.toString();
  }
}
