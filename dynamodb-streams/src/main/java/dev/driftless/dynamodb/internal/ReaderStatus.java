package dev.driftless.dynamodb.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@link StreamReader}'s status values, computed under its lock. Stateless. */
final class ReaderStatus {
  private ReaderStatus() {}

  static Map<String, Object> snapshot(
      List<TableStream> tables,
      int buffered,
      int unsettled,
      int inFlight,
      int readerThreads,
      long nowSecond,
      Map<String, Object> backfill) {
    int known = 0;
    int closedShards = 0;
    int beingRead = 0;
    long oldest = Long.MAX_VALUE;
    List<String> arns = new ArrayList<>();
    for (TableStream table : tables) {
      arns.add(table.streamArn);
      known += table.lineage.size();
      closedShards += table.lineage.closedCount();
      for (ShardState s : table.reading.values()) {
        if (!s.done) {
          beingRead++;
        }
        Fetched head = s.buffer.peekFirst();
        if (head != null) {
          oldest = Math.min(oldest, head.committedAt().getEpochSecond());
        }
        if (s.lagSecond >= 0) {
          oldest = Math.min(oldest, s.lagSecond);
        }
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("streamArns", List.copyOf(arns));
    m.put("shardsOpen", known - closedShards);
    m.put("shardsClosed", closedShards);
    m.put("shardsBeingRead", beingRead);
    m.put("recordsBuffered", buffered);
    m.put("recordsUnsettled", unsettled);
    m.put("requestsInFlight", inFlight);
    m.put("readerThreads", readerThreads);
    m.put(
        "oldestUnprocessedRecordAgeMillis",
        oldest == Long.MAX_VALUE ? 0L : Math.max(0, nowSecond - oldest) * 1000);
    m.putAll(backfill);
    return Map.copyOf(m);
  }
}
