package dev.driftless.dynamodb.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The durable progress of one table's backfill, the {@code backfill} section of its {@link
 * TableCheckpoint}: the anchor (when it started, and the version its items carry with derived
 * versions), the segment layout, and per segment the last settled page's {@code LastEvaluatedKey}
 * or that it is done. Segments not listed have not settled a page yet.
 *
 * @param anchorSecond the pipeline's epoch second when the backfill started (before its scan)
 * @param readVersion the version of scanned items with derived versions
 * @param totalSegments the Scan's {@code TotalSegments}; a resumed backfill keeps it
 * @param resync whether this backfill is a resync after lost stream data ({@code resynced()} at its
 *     end)
 * @param done whether every segment is done and settled
 * @param items items settled so far
 * @param segments progress per segment: the key to resume after, or {@code null} when done
 */
public record BackfillCheckpoint(
    long anchorSecond,
    long readVersion,
    int totalSegments,
    boolean resync,
    boolean done,
    long items,
    Map<Integer, @Nullable Map<String, AttributeValue>> segments) {

  public BackfillCheckpoint {
    Objects.requireNonNull(segments, "segments");
    segments = java.util.Collections.unmodifiableMap(new HashMap<>(segments));
  }

  /** A backfill starting now. */
  public static BackfillCheckpoint start(
      long anchorSecond, long readVersion, int totalSegments, boolean resync) {
    return new BackfillCheckpoint(
        anchorSecond, readVersion, totalSegments, resync, false, 0, Map.of());
  }

  /** Whether {@code segment} is done. */
  public boolean segmentDone(int segment) {
    return segments.containsKey(segment) && segments.get(segment) == null;
  }

  /** The key to resume {@code segment} after, or {@code null} to start at its beginning. */
  public @Nullable Map<String, AttributeValue> resumeAfter(int segment) {
    return segments.get(segment);
  }

  public int segmentsDone() {
    int n = 0;
    for (Map<String, AttributeValue> key : segments.values()) {
      if (key == null) {
        n++;
      }
    }
    return n;
  }

  /**
   * {@code segment} settled a page of {@code pageItems} items, ending at {@code next} ({@code
   * null}: the segment's end).
   */
  public BackfillCheckpoint settled(
      int segment, @Nullable Map<String, AttributeValue> next, int pageItems) {
    Map<Integer, @Nullable Map<String, AttributeValue>> copy = new HashMap<>(segments);
    copy.put(segment, next == null ? null : Map.copyOf(next));
    BackfillCheckpoint c =
        new BackfillCheckpoint(
            anchorSecond, readVersion, totalSegments, resync, false, items + pageItems, copy);
    if (c.segmentsDone() == totalSegments) {
      return new BackfillCheckpoint(
          anchorSecond, readVersion, totalSegments, resync, true, c.items, Map.of());
    }
    return c;
  }

  ObjectNode toJson() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("anchorSecond", anchorSecond);
    node.put("readVersion", readVersion);
    node.put("totalSegments", totalSegments);
    if (resync) {
      node.put("resync", true);
    }
    if (done) {
      node.put("done", true);
    }
    node.put("items", items);
    ObjectNode all = node.putObject("segments");
    for (Map.Entry<Integer, Map<String, AttributeValue>> e : new TreeMap<>(segments).entrySet()) {
      if (e.getValue() == null) {
        all.put(String.valueOf(e.getKey()), "done");
      } else {
        all.set(String.valueOf(e.getKey()), keyJson(e.getValue()));
      }
    }
    return node;
  }

  static BackfillCheckpoint fromJson(JsonNode node) {
    Map<Integer, @Nullable Map<String, AttributeValue>> segments = new HashMap<>();
    node.path("segments")
        .fields()
        .forEachRemaining(
            e ->
                segments.put(
                    Integer.parseInt(e.getKey()),
                    e.getValue().isTextual() ? null : keyOf(e.getValue())));
    return new BackfillCheckpoint(
        node.path("anchorSecond").asLong(),
        node.path("readVersion").asLong(),
        node.path("totalSegments").asInt(1),
        node.path("resync").asBoolean(false),
        node.path("done").asBoolean(false),
        node.path("items").asLong(0),
        segments);
  }

  /** A key (string, number or binary attributes) as JSON: {@code {"id": {"S": "a"}}}. */
  private static ObjectNode keyJson(Map<String, AttributeValue> key) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, AttributeValue> e : new TreeMap<>(key).entrySet()) {
      AttributeValue v = e.getValue();
      ObjectNode value = out.putObject(e.getKey());
      if (v.s() != null) {
        value.put("S", v.s());
      } else if (v.n() != null) {
        value.put("N", v.n());
      } else if (v.b() != null) {
        value.put("B", Base64.getEncoder().encodeToString(v.b().asByteArray()));
      } else {
        throw new IllegalArgumentException(
            "key attribute " + e.getKey() + " is not a string, number or binary: " + v);
      }
    }
    return out;
  }

  private static Map<String, AttributeValue> keyOf(JsonNode json) {
    Map<String, AttributeValue> key = new HashMap<>();
    json.fields()
        .forEachRemaining(
            e -> {
              JsonNode v = e.getValue();
              AttributeValue value;
              if (v.has("S")) {
                value = AttributeValue.fromS(v.get("S").asText());
              } else if (v.has("N")) {
                value = AttributeValue.fromN(v.get("N").asText());
              } else if (v.has("B")) {
                value =
                    AttributeValue.fromB(
                        SdkBytes.fromByteArray(Base64.getDecoder().decode(v.get("B").asText())));
              } else {
                throw new IllegalArgumentException("unreadable backfill key attribute: " + v);
              }
              key.put(e.getKey(), value);
            });
    return key;
  }
}
