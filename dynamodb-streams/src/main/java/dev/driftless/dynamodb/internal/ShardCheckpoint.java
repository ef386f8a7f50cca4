package dev.driftless.dynamodb.internal;

import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a restart needs of one shard: the last settled sequence number (resume {@code
 * AFTER_SEQUENCE_NUMBER} it, or from {@code TRIM_HORIZON} when none), whether the shard is done
 * (fully read and settled), the oldest creation second to deliver (a pipeline that started at
 * {@code LATEST}), and the derived-version clock at the checkpoint.
 *
 * @param sequence the last settled record's sequence number, or {@code null}
 * @param end whether every record of the shard is settled and the shard closed
 * @param notBeforeSecond records created before this epoch second are skipped; 0 for none
 * @param clockSecond the {@link VersionClock}'s effective second at the checkpoint
 * @param clockCounts the {@link VersionClock}'s counts at the checkpoint
 */
public record ShardCheckpoint(
    @Nullable SequenceNumber sequence,
    boolean end,
    long notBeforeSecond,
    long clockSecond,
    Map<String, Integer> clockCounts) {

  public ShardCheckpoint {
    Objects.requireNonNull(clockCounts, "clockCounts");
    clockCounts = Map.copyOf(clockCounts);
  }

  /** A shard done: nothing of it is read again. */
  public static ShardCheckpoint done() {
    return new ShardCheckpoint(null, true, 0, 0, Map.of());
  }

  public VersionClock clock() {
    return VersionClock.restore(clockSecond, clockCounts);
  }
}
