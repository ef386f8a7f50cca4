package dev.driftless.dynamodb.internal;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * {@link SegmentProgress} of a single instance: claims live in memory, progress in the table's
 * {@link TableCheckpoint} (saved with the shards' progress on each commit). Guarded by the {@link
 * StreamReader}'s lock.
 */
final class CheckpointedSegments implements SegmentProgress {
  private final TableStream table;
  private final Set<Integer> claimed = new HashSet<>();

  /** {@code table} holds a backfill that is not done. */
  CheckpointedSegments(TableStream table) {
    if (table.backfill == null) {
      throw new IllegalArgumentException("table " + table.name + " has no backfill");
    }
    this.table = table;
  }

  @Override
  public int totalSegments() {
    return state().totalSegments();
  }

  @Override
  public @Nullable Claim claim() {
    BackfillCheckpoint state = state();
    if (state.done()) {
      return null;
    }
    for (int segment = 0; segment < state.totalSegments(); segment++) {
      if (!claimed.contains(segment) && !state.segmentDone(segment)) {
        claimed.add(segment);
        return new Claim(segment, state.resumeAfter(segment));
      }
    }
    return null;
  }

  @Override
  public void release(int segment) {
    claimed.remove(segment);
  }

  @Override
  public void settled(int segment, @Nullable Map<String, AttributeValue> next, int pageItems) {
    table.backfill = state().settled(segment, next, pageItems);
    if (next == null) {
      claimed.remove(segment);
    }
  }

  @Override
  public BackfillCheckpoint state() {
    return java.util.Objects.requireNonNull(table.backfill, "backfill");
  }
}
