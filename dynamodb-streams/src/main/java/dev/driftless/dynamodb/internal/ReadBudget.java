package dev.driftless.dynamodb.internal;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The backfill's read throttle, shared by its scanning threads: two token buckets, items per second
 * and read capacity units per second (0: no limit), each holding at most one second's worth. A
 * thread asks {@link #delayNanos()} before a Scan request and waits that long, then reports what
 * the page cost with {@link #spend}; a page may overdraw a bucket, and the debt delays the next
 * request, so over time the rate holds whatever the page sizes. Thread-safe.
 */
final class ReadBudget {
  private final double itemsPerSecond;
  private final double unitsPerSecond;
  private final LongSupplier nanoTime;

  // Guarded by this.
  private double items;

  // Guarded by this.
  private double units;

  // Guarded by this.
  private long refilledNanos;

  ReadBudget(int itemsPerSecond, int unitsPerSecond, LongSupplier nanoTime) {
    this.itemsPerSecond = itemsPerSecond;
    this.unitsPerSecond = unitsPerSecond;
    this.nanoTime = nanoTime;
    this.items = itemsPerSecond;
    this.units = unitsPerSecond;
    this.refilledNanos = nanoTime.getAsLong();
  }

  /** How long to wait before the next request: 0 when neither bucket is in debt. */
  synchronized long delayNanos() {
    refill();
    double seconds = 0;
    if (itemsPerSecond > 0 && items < 0) {
      seconds = Math.max(seconds, -items / itemsPerSecond);
    }
    if (unitsPerSecond > 0 && units < 0) {
      seconds = Math.max(seconds, -units / unitsPerSecond);
    }
    return (long) Math.ceil(seconds * TimeUnit.SECONDS.toNanos(1));
  }

  /** A page read {@code pageItems} items (scanned, before any filter) for {@code pageUnits} RCU. */
  synchronized void spend(int pageItems, double pageUnits) {
    refill();
    items -= pageItems;
    units -= pageUnits;
  }

  /** Moves the buckets on to now; holds the monitor. */
  private void refill() {
    long now = nanoTime.getAsLong();
    double seconds = (now - refilledNanos) / (double) TimeUnit.SECONDS.toNanos(1);
    refilledNanos = now;
    items = Math.min(itemsPerSecond, items + seconds * itemsPerSecond);
    units = Math.min(unitsPerSecond, units + seconds * unitsPerSecond);
  }
}
