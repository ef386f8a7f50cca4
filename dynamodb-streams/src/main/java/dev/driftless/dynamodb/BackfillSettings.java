package dev.driftless.dynamodb;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What {@link DynamoDbStreamsSourceBuilder#backfill(BackfillSettings)} copies into the index while
 * the stream runs: a parallel, consistent {@code Scan} of the followed tables. Immutable; build
 * with {@link #builder()}. See {@code docs/dynamodb.md}, "Backfill".
 *
 * @param tables the tables to backfill, each one the source follows, in the order they are read;
 *     empty: every followed table
 * @param totalSegments the Scan's {@code TotalSegments} per table, 1 to 1,000,000
 * @param parallelism scanning threads (segments scanned at once, over all tables), 1 to 64
 * @param pageSize the Scan's {@code Limit} (items per page; a page is also at most 1 MB), 1 to
 *     100,000
 * @param maxBufferedItems scanned items waiting for the pipeline, at most (plus one page per
 *     scanning thread), 1 to 1,000,000
 * @param itemsPerSecond the item throttle over all threads, or 0 for none
 * @param readUnitsPerSecond the read-capacity throttle (RCU per second, as the service reports
 *     them; a consistent read costs twice an eventual one), or 0 for none
 * @param versionMargin with derived versions, how far before the backfill's start its items are
 *     versioned, 1 s to 1 h: it covers {@code ApproximateCreationDateTime}'s whole seconds and the
 *     skew between the pipeline's clock and DynamoDB's
 */
public record BackfillSettings(
    List<String> tables,
    int totalSegments,
    int parallelism,
    int pageSize,
    int maxBufferedItems,
    int itemsPerSecond,
    int readUnitsPerSecond,
    Duration versionMargin) {

  /**
   * The default {@link #versionMargin}: 1 minute, the margin of every read path of this source
   * (backfill, repair, dead-letter replay). It covers the whole-second creation times and a clock
   * skew far beyond that of hosts synchronised by NTP; a larger one costs no correctness, only more
   * stream changes from just before the start applied again over the scanned state.
   */
  public static final Duration DEFAULT_VERSION_MARGIN = Duration.ofMinutes(1);

  public BackfillSettings {
    Objects.requireNonNull(tables, "tables");
    Set<String> distinct = new LinkedHashSet<>();
    for (int i = 0; i < tables.size(); i++) {
      String t = Objects.requireNonNull(tables.get(i), "tables[" + i + "]");
      if (t.isBlank() || !distinct.add(t)) {
        throw new IllegalArgumentException("tables: blank or repeated table '" + t + "'");
      }
    }
    tables = List.copyOf(distinct);
    inRange(totalSegments, "totalSegments", 1, 1_000_000);
    inRange(parallelism, "parallelism", 1, 64);
    inRange(pageSize, "pageSize", 1, 100_000);
    inRange(maxBufferedItems, "maxBufferedItems", 1, 1_000_000);
    inRange(itemsPerSecond, "itemsPerSecond", 0, Integer.MAX_VALUE);
    inRange(readUnitsPerSecond, "readUnitsPerSecond", 0, Integer.MAX_VALUE);
    Objects.requireNonNull(versionMargin, "versionMargin");
    if (versionMargin.compareTo(Duration.ofSeconds(1)) < 0
        || versionMargin.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException(
          "versionMargin must be in [1 s, 1 h], was " + versionMargin);
    }
  }

  /**
   * A builder: every followed table, 4 segments, 4 threads, pages of 1,000 items, 10,000 items
   * buffered, unthrottled, a version margin of 1 minute.
   */
  public static Builder builder() {
    return new Builder();
  }

  private static int inRange(int value, String name, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "], was " + value);
    }
    return value;
  }

  /** Builds {@link BackfillSettings}; each setter checks its argument. Not thread-safe. */
  public static final class Builder {
    private List<String> tables = List.of();
    private int totalSegments = 4;
    private int parallelism = 4;
    private int pageSize = 1000;
    private int maxBufferedItems = 10_000;
    private int itemsPerSecond;
    private int readUnitsPerSecond;
    private Duration versionMargin = DEFAULT_VERSION_MARGIN;

    private Builder() {}

    /** The tables to backfill, in order; each must be followed. Default: every followed table. */
    public Builder tables(String... tables) {
      Objects.requireNonNull(tables, "tables");
      this.tables =
          new BackfillSettings(List.of(tables), 1, 1, 1, 1, 0, 0, DEFAULT_VERSION_MARGIN).tables();
      return this;
    }

    /** {@code TotalSegments} of each table's parallel Scan, 1 to 1,000,000. Default 4. */
    public Builder totalSegments(int segments) {
      this.totalSegments = inRange(segments, "totalSegments", 1, 1_000_000);
      return this;
    }

    /** Scanning threads, 1 to 64. Default 4. */
    public Builder parallelism(int threads) {
      this.parallelism = inRange(threads, "parallelism", 1, 64);
      return this;
    }

    /** The Scan's {@code Limit}, 1 to 100,000. Default 1,000. */
    public Builder pageSize(int items) {
      this.pageSize = inRange(items, "pageSize", 1, 100_000);
      return this;
    }

    /** Scanned items waiting for the pipeline, at most, 1 to 1,000,000. Default 10,000. */
    public Builder maxBufferedItems(int items) {
      this.maxBufferedItems = inRange(items, "maxBufferedItems", 1, 1_000_000);
      return this;
    }

    /** At most this many items scanned per second over all threads, 0 for no limit. Default 0. */
    public Builder itemsPerSecond(int items) {
      this.itemsPerSecond = inRange(items, "itemsPerSecond", 0, Integer.MAX_VALUE);
      return this;
    }

    /**
     * At most this many read capacity units consumed per second (from the Scan's {@code
     * ConsumedCapacity}), 0 for no limit. Default 0.
     */
    public Builder readUnitsPerSecond(int units) {
      this.readUnitsPerSecond = inRange(units, "readUnitsPerSecond", 0, Integer.MAX_VALUE);
      return this;
    }

    /** With derived versions, how far before its start the backfill's items are versioned. */
    public Builder versionMargin(Duration margin) {
      Objects.requireNonNull(margin, "margin");
      if (margin.compareTo(Duration.ofSeconds(1)) < 0
          || margin.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("versionMargin must be in [1 s, 1 h], was " + margin);
      }
      this.versionMargin = margin;
      return this;
    }

    /** The settings. */
    public BackfillSettings build() {
      return new BackfillSettings(
          tables,
          totalSegments,
          parallelism,
          pageSize,
          maxBufferedItems,
          itemsPerSecond,
          readUnitsPerSecond,
          versionMargin);
    }
  }
}
