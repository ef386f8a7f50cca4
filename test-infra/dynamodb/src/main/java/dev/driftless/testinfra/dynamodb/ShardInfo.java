package dev.driftless.testinfra.dynamodb;

import java.math.BigInteger;
import org.jspecify.annotations.Nullable;

/**
 * A read-only snapshot of one shard, for assertions.
 *
 * @param streamArn the stream the shard belongs to
 * @param shardId the shard id
 * @param parentShardId the parent (rollover or split), null for a root shard
 * @param partition the table partition the shard serves
 * @param startingSequenceNumber the shard's first sequence number
 * @param endingSequenceNumber its last one once closed, null while open
 * @param records records ever written to it (trimmed ones included)
 * @param trimmedRecords records dropped by retention trimming
 * @param listed false once fully trimmed and gone from DescribeStream
 * @param getRecordsCalls GetRecords calls served on it
 * @param activeReaders iterator chains that read it within the reader window
 */
public record ShardInfo(
    String streamArn,
    String shardId,
    @Nullable String parentShardId,
    int partition,
    String startingSequenceNumber,
    @Nullable String endingSequenceNumber,
    int records,
    int trimmedRecords,
    boolean listed,
    long getRecordsCalls,
    int activeReaders) {

  public boolean isOpen() {
    return endingSequenceNumber == null;
  }

  /** The starting sequence number as a number (sequence numbers never compare as strings). */
  public BigInteger startingSequence() {
    return new BigInteger(startingSequenceNumber);
  }
}
