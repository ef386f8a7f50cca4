package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** One stream of a table (a table gets a new one each time its stream is re-enabled). */
final class Stream {
  final String arn;
  final String label;
  final String tableName;
  final String viewType;
  final ArrayNode keySchema;
  final Instant createdAt;
  String status = "ENABLED";
  @Nullable Instant disabledAt;
  boolean removed;

  /** Shards in creation order (removed ones included, flagged). */
  final List<Shard> shards = new ArrayList<>();

  final Map<String, Shard> byId = new HashMap<>();

  /** The open shard of each partition of the table, by partition id. */
  final Map<Integer, Shard> openByPartition = new LinkedHashMap<>();

  Stream(
      String arn,
      String label,
      String tableName,
      String viewType,
      ArrayNode keySchema,
      Instant createdAt) {
    this.arn = arn;
    this.label = label;
    this.tableName = tableName;
    this.viewType = viewType;
    this.keySchema = keySchema;
    this.createdAt = createdAt;
  }

  void add(Shard s) {
    shards.add(s);
    byId.put(s.id, s);
    if (s.isOpen()) {
      openByPartition.put(s.partition, s);
    }
  }

  boolean enabled() {
    return status.equals("ENABLED");
  }
}
