package dev.driftless.testinfra.dynamodb.internal;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A stream shard: an append-only list of records (trimmed from the front by retention), open until
 * it is closed by a rollover, a split or the stream being disabled. Guarded by the emulator lock.
 */
final class Shard {
  final String id;
  final @Nullable String parentId;
  final int partition;
  final Instant createdAt;
  final BigInteger start;
  @Nullable BigInteger end;
  @Nullable Instant closedAt;

  /** Records by absolute index; entries before {@link #firstUntrimmed} are null (trimmed). */
  final List<@Nullable StreamRecord> records = new ArrayList<>();

  int firstUntrimmed;

  /** The sequence number of the newest trimmed record, if any was trimmed. */
  @Nullable BigInteger lastTrimmed;

  /** Fully trimmed and gone from listings. */
  boolean removed;

  /** Fault: the shard stays out of DescribeStream listings for this many more calls. */
  int hiddenForDescribeCalls;

  /** Fault: the shard is listed as open (no EndingSequenceNumber) for this many more calls. */
  int listedOpenForDescribeCalls;

  long getRecordsCalls;

  /** Iterator chains seen reading this shard, with the last time each was used. */
  final Map<Long, Instant> readers = new HashMap<>();

  Shard(String id, @Nullable String parentId, int partition, Instant createdAt, BigInteger start) {
    this.id = id;
    this.parentId = parentId;
    this.partition = partition;
    this.createdAt = createdAt;
    this.start = start;
  }

  boolean isOpen() {
    return end == null;
  }

  int size() {
    return records.size();
  }

  StreamRecord record(int index) {
    StreamRecord r = records.get(index);
    if (r == null) {
      throw new IllegalStateException("record " + index + " of " + id + " is trimmed");
    }
    return r;
  }
}
