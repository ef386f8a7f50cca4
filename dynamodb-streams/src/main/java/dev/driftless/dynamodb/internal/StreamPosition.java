package dev.driftless.dynamodb.internal;

import dev.driftless.core.SourcePosition;
import java.util.Objects;

/**
 * The position of one handed-out record: its hand-out ordinal (what commits are ordered by) and,
 * for logs and dead letters, its table, shard and sequence number. What a restart resumes from is
 * the per-shard {@link TableCheckpoint}, not this.
 *
 * @param ordinal the hand-out order within one run of the source
 * @param table the record's table
 * @param shard the record's shard
 * @param sequence the record's sequence number
 */
public record StreamPosition(long ordinal, String table, String shard, String sequence)
    implements SourcePosition, Comparable<StreamPosition> {

  public StreamPosition {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(shard, "shard");
    Objects.requireNonNull(sequence, "sequence");
  }

  @Override
  public String asString() {
    return ordinal + "|" + table + "|" + shard + "|" + sequence;
  }

  @Override
  public int compareTo(StreamPosition other) {
    return Long.compare(ordinal, other.ordinal);
  }
}
