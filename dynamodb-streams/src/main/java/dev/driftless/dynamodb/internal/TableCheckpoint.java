package dev.driftless.dynamodb.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The durable progress of one table's stream: which stream it follows (a re-enabled stream has a
 * new ARN, and the changes between are lost) and a {@link ShardCheckpoint} per shard. Stored as
 * JSON in the pipeline's {@code CheckpointStore}; with a backfill, its progress too (a {@code
 * backfill} section that checkpoints written before backfills existed lack, and still load).
 *
 * @param streamArn the stream followed
 * @param shards checkpoint per shard id
 * @param backfill the table's backfill progress, or {@code null} when it never had one
 */
public record TableCheckpoint(
    String streamArn, Map<String, ShardCheckpoint> shards, @Nullable BackfillCheckpoint backfill) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int FORMAT = 1;

  public TableCheckpoint {
    Objects.requireNonNull(streamArn, "streamArn");
    shards = Map.copyOf(shards);
  }

  /** A checkpoint without backfill progress. */
  public TableCheckpoint(String streamArn, Map<String, ShardCheckpoint> shards) {
    this(streamArn, shards, null);
  }

  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.put("streamArn", streamArn);
    ObjectNode all = root.putObject("shards");
    for (Map.Entry<String, ShardCheckpoint> e : new TreeMap<>(shards).entrySet()) {
      ShardCheckpoint c = e.getValue();
      ObjectNode shard = all.putObject(e.getKey());
      if (c.sequence() != null) {
        shard.put("sequence", c.sequence().text());
      }
      if (c.end()) {
        shard.put("end", true);
      }
      if (c.notBeforeSecond() > 0) {
        shard.put("notBefore", c.notBeforeSecond());
      }
      if (c.clockSecond() > 0) {
        shard.put("clockSecond", c.clockSecond());
        ObjectNode counts = shard.putObject("clockCounts");
        new TreeMap<>(c.clockCounts()).forEach(counts::put);
      }
    }
    if (backfill != null) {
      root.set("backfill", backfill.toJson());
    }
    return root.toString();
  }

  /**
   * Parses what {@link #toJson()} wrote.
   *
   * @throws IllegalArgumentException if {@code json} is not such a checkpoint
   */
  public static TableCheckpoint parse(String json) {
    try {
      JsonNode root = JSON.readTree(json);
      if (root == null || root.path("format").asInt() != FORMAT) {
        throw new IllegalArgumentException("not a DynamoDB Streams checkpoint: " + json);
      }
      Map<String, ShardCheckpoint> shards = new HashMap<>();
      Iterator<Map.Entry<String, JsonNode>> fields = root.path("shards").fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> e = fields.next();
        JsonNode s = e.getValue();
        Map<String, Integer> counts = new HashMap<>();
        s.path("clockCounts")
            .fields()
            .forEachRemaining(c -> counts.put(c.getKey(), c.getValue().asInt()));
        JsonNode seq = s.get("sequence");
        shards.put(
            e.getKey(),
            new ShardCheckpoint(
                seq == null ? null : SequenceNumber.of(seq.asText()),
                s.path("end").asBoolean(false),
                s.path("notBefore").asLong(0),
                s.path("clockSecond").asLong(0),
                counts));
      }
      JsonNode fill = root.get("backfill");
      return new TableCheckpoint(
          root.path("streamArn").asText(),
          shards,
          fill == null || !fill.isObject() ? null : BackfillCheckpoint.fromJson(fill));
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable DynamoDB Streams checkpoint: " + json, e);
    }
  }
}
