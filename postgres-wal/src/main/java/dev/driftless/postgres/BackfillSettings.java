package dev.driftless.postgres;

import dev.driftless.postgres.internal.ReplicationSetup;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What {@link PostgresSourceBuilder#backfill(BackfillSettings)} copies into the index while the
 * stream runs: which tables, in chunks of how many rows, at most how fast. Immutable; build with
 * {@link #builder()}.
 *
 * @param tables the tables to backfill, as {@code table} (schema {@code public}) or {@code
 *     schema.table}, in the order they are read; each must be one the source replicates. Empty:
 *     every table the source replicates (its {@code tables}, else its publication's)
 * @param chunkRows rows per chunk read, 1 to 100,000; the source holds at most one chunk in memory
 * @param rowsPerSecond the throttle, or 0 for as fast as the stream takes the rows
 */
public record BackfillSettings(List<String> tables, int chunkRows, int rowsPerSecond) {

  public BackfillSettings {
    Objects.requireNonNull(tables, "tables");
    Set<String> checked = new LinkedHashSet<>();
    for (int i = 0; i < tables.size(); i++) {
      String t = Objects.requireNonNull(tables.get(i), "tables[" + i + "]");
      String[] parts = ReplicationSetup.splitQualified(t);
      checked.add(parts[0] + "." + parts[1]);
    }
    tables = List.copyOf(new ArrayList<>(checked));
    if (chunkRows < 1 || chunkRows > 100_000) {
      throw new IllegalArgumentException("chunkRows must be in 1..100000, was " + chunkRows);
    }
    if (rowsPerSecond < 0) {
      throw new IllegalArgumentException(
          "rowsPerSecond must not be negative, was " + rowsPerSecond);
    }
  }

  /** A builder: chunks of 1,000 rows, unthrottled. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds {@link BackfillSettings}; each setter checks its argument. Not thread-safe. */
  public static final class Builder {
    private List<String> tables = List.of();
    private int chunkRows = 1000;
    private int rowsPerSecond;

    private Builder() {}

    /**
     * The tables to backfill, in order ({@code table} or {@code schema.table}). Default: every
     * table the source replicates, in its order.
     */
    public Builder tables(List<String> tables) {
      Objects.requireNonNull(tables, "tables");
      for (int i = 0; i < tables.size(); i++) {
        ReplicationSetup.splitQualified(Objects.requireNonNull(tables.get(i), "tables[" + i + "]"));
      }
      this.tables = List.copyOf(tables);
      return this;
    }

    /** Rows per chunk, 1 to 100,000. Default 1,000. */
    public Builder chunkRows(int rows) {
      if (rows < 1 || rows > 100_000) {
        throw new IllegalArgumentException("chunkRows must be in 1..100000, was " + rows);
      }
      this.chunkRows = rows;
      return this;
    }

    /** At most this many rows per second, or 0 for no limit. Default 0. */
    public Builder rowsPerSecond(int rows) {
      if (rows < 0) {
        throw new IllegalArgumentException("rowsPerSecond must not be negative, was " + rows);
      }
      this.rowsPerSecond = rows;
      return this;
    }

    /** The settings. */
    public BackfillSettings build() {
      return new BackfillSettings(tables, chunkRows, rowsPerSecond);
    }
  }
}
