package dev.driftless.dynamodb.internal;

import dev.driftless.dynamodb.DataLossPolicy;
import dev.driftless.dynamodb.StreamDataLostException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tables that lost stream data and wait to be resynced ({@link DataLossPolicy#RESYNC}): a failure
 * anywhere in the reader is offered here; the coordinator drains the waiting tables, abandons their
 * shards and reopens each with a new backfill ({@link TableStart#resync}). The map is guarded by
 * the {@link StreamReader}'s lock.
 */
final class Resyncs {
  private final DataLossPolicy policy;
  private final TableStart tableStart;
  private final Map<String, StreamDataLostException> pending = new LinkedHashMap<>();

  Resyncs(DataLossPolicy policy, TableStart tableStart) {
    this.policy = policy;
    this.tableStart = tableStart;
  }

  /**
   * Takes {@code e} as a table to resync if it is a loss and the policy resyncs. Holds the lock.
   */
  boolean offer(RuntimeException e) {
    if (e instanceof StreamDataLostException lost && policy == DataLossPolicy.RESYNC) {
      pending.putIfAbsent(lost.table(), lost);
      return true;
    }
    return false;
  }

  /** The tables waiting, by name; none wait afterwards. Holds the lock. */
  Map<String, StreamDataLostException> drain() {
    Map<String, StreamDataLostException> out = new LinkedHashMap<>(pending);
    pending.clear();
    return out;
  }

  /**
   * The table of {@code loss} opened afresh with a resync backfill. Blocks (requests), without the
   * lock.
   *
   * @throws RuntimeException a transient failure (offer the loss again and retry), or the loss
   *     itself when the table has no stream to resync from
   */
  TableStream reopen(StreamDataLostException loss) {
    return tableStart.resync(loss);
  }

  /** Resyncs begun by this reader, at start or while running. */
  long count() {
    return tableStart.resyncsBegun();
  }
}
