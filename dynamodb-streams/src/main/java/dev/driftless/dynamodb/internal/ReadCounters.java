package dev.driftless.dynamodb.internal;

import java.util.concurrent.atomic.AtomicLong;

/** What reads of the table cost: requests, items and their bytes. Thread-safe. */
public final class ReadCounters {
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong items = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong scans = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();

  void request() {
    requests.incrementAndGet();
  }

  void scan() {
    scans.incrementAndGet();
  }

  void skip() {
    skipped.incrementAndGet();
  }

  void item(long size) {
    items.incrementAndGet();
    bytes.addAndGet(size);
  }

  /** Requests sent (retries included). */
  public long requests() {
    return requests.get();
  }

  /** Items read. */
  public long items() {
    return items.get();
  }

  /** Full scans of a table begun. */
  public long scans() {
    return scans.get();
  }

  /** Items a scan skipped because their key or fingerprint could not be computed. */
  public long skipped() {
    return skipped.get();
  }

  /** The items' bytes, as DynamoDB counts an item's size ({@link ItemSize}). */
  public long bytes() {
    return bytes.get();
  }
}
