package dev.driftless.dynamodb.internal;

import dev.driftless.core.SourcePosition;
import java.util.List;

/**
 * The "head" a DynamoDB Streams source gives {@code Pipeline.awaitCaughtUp}: the moment ({@link
 * System#nanoTime}) it was asked. DynamoDB Streams has no position that covers every shard, so the
 * reader compares this moment with when each shard last came back empty ({@link #reachedBy}). Never
 * committed or stored.
 *
 * @param nanos the {@link System#nanoTime} when the head was taken
 */
public record CaughtUpMark(long nanos) implements SourcePosition {
  @Override
  public String asString() {
    return "caught-up-mark:" + nanos;
  }

  /**
   * Whether everything written to the followed tables before this mark is settled: no backfill or
   * resync runs (every one of the {@code tableCount} tables is open), no closed shard waits for its
   * children to be listed, and every shard known and not done is being read and has had a
   * GetRecords call that started after the mark and came back empty from the open shard (it had
   * fetched everything written before), with nothing of it buffered or unsettled now. Holds the
   * reader's lock.
   */
  boolean reachedBy(
      List<TableStream> tables, int tableCount, ScanBackfill backfill, SettleTracker tracker) {
    if (tables.size() < tableCount || !backfill.idle() || backfill.hasItems()) {
      return false;
    }
    for (TableStream table : tables) {
      if (!table.childLookups.isEmpty()) {
        return false;
      }
      for (String id : table.lineage.unfinished()) {
        ShardState s = table.reading.get(id);
        if (s == null || !(s.done || caughtUp(s, tracker))) {
          return false;
        }
      }
    }
    return true;
  }

  private boolean caughtUp(ShardState s, SettleTracker tracker) {
    return s.quiet
        && s.quietSinceNanos - nanos >= 0
        && s.raw.isEmpty()
        && s.buffer.isEmpty()
        && !s.converting
        && tracker.settled(s.id);
  }
}
