package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.Condition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Scan (parallel segments as hash ranges, ExclusiveStartKey, Limit, 1 MB pages, filters) and a
 * simple Query (a key condition evaluated over the table, in key order).
 */
final class ScanOps {
  static final long PAGE_BYTES = 1024 * 1024;

  private final EmulatorState state;

  ScanOps(EmulatorState state) {
    this.state = state;
  }

  ObjectNode scan(JsonNode req) {
    Table t = state.table(Json.requiredString(req, "TableName"));
    Integer segment = Json.optionalInt(req, "Segment");
    Integer total = Json.optionalInt(req, "TotalSegments");
    if ((segment == null) != (total == null)) {
      throw ApiError.validation(
          "Segment and TotalSegments go together: "
              + (segment == null ? "TotalSegments" : "Segment")
              + " is present without the other");
    }
    long lo = 0;
    long hi = Attributes.HASH_SPACE;
    if (segment != null && total != null) {
      if (total < 1 || total > 1_000_000) {
        throw ApiError.validation("TotalSegments must be between 1 and 1000000");
      }
      if (segment < 0 || segment >= total) {
        throw ApiError.validation(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: "
                + segment
                + " is not less than TotalSegments: "
                + total);
      }
      lo = Attributes.HASH_SPACE * segment / total;
      hi = Attributes.HASH_SPACE * (segment + 1) / total;
    }
    if (Json.optionalBoolean(req, "ConsistentRead", false)) {
      state.countConsistentRead();
    }
    JsonNode esk = req.get("ExclusiveStartKey");
    Map<Table.ItemKey, ObjectNode> view;
    if (esk != null && !esk.isNull()) {
      Table.ItemKey start = t.key(esk, "ExclusiveStartKey");
      if (start.hash() < lo || start.hash() >= hi) {
        throw ApiError.validation(
            "The provided Exclusive start key does not map to the provided Segment and TotalSegments values.");
      }
      view = t.items.tailMap(start, false);
    } else {
      view = t.items.tailMap(new Table.ItemKey(lo, "", null), true);
    }
    List<Map.Entry<Table.ItemKey, ObjectNode>> range = new ArrayList<>();
    for (Map.Entry<Table.ItemKey, ObjectNode> e : view.entrySet()) {
      if (e.getKey().hash() >= hi) {
        break;
      }
      range.add(e);
      if (range.size() > 1_000_000) {
        break;
      }
    }
    return page(req, t, range);
  }

  ObjectNode query(JsonNode req) {
    Table t = state.table(Json.requiredString(req, "TableName"));
    if (req.has("IndexName")) {
      throw ApiError.validation("The emulator has no secondary indexes");
    }
    Condition key =
        ExpressionParser.condition(
            Json.requiredString(req, "KeyConditionExpression"),
            req.get("ExpressionAttributeNames"),
            req.get("ExpressionAttributeValues"),
            "KeyConditionExpression");
    if (Json.optionalBoolean(req, "ConsistentRead", false)) {
      state.countConsistentRead();
    }
    List<Map.Entry<Table.ItemKey, ObjectNode>> matches = new ArrayList<>();
    for (Map.Entry<Table.ItemKey, ObjectNode> e : t.items.entrySet()) {
      if (ExpressionEvaluator.test(key, e.getValue())) {
        matches.add(e);
      }
    }
    if (!Json.optionalBoolean(req, "ScanIndexForward", true)) {
      Collections.reverse(matches);
    }
    JsonNode esk = req.get("ExclusiveStartKey");
    if (esk != null && !esk.isNull()) {
      Table.ItemKey start = t.key(esk, "ExclusiveStartKey");
      int i = 0;
      while (i < matches.size() && Table.ORDER.compare(matches.get(i).getKey(), start) != 0) {
        i++;
      }
      matches = i < matches.size() ? matches.subList(i + 1, matches.size()) : List.of();
    }
    return page(req, t, matches);
  }

  /** Cuts one page (Limit, 1 MB) from candidate items, then filters and projects it. */
  private static ObjectNode page(
      JsonNode req, Table t, List<Map.Entry<Table.ItemKey, ObjectNode>> candidates) {
    Integer limit = Json.optionalInt(req, "Limit");
    if (limit != null && limit < 1) {
      throw ApiError.validation(
          "1 validation error detected: Value '"
              + limit
              + "' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1");
    }
    String filterText = Json.optionalString(req, "FilterExpression");
    Condition filter =
        filterText == null
            ? null
            : ExpressionParser.condition(
                filterText,
                req.get("ExpressionAttributeNames"),
                req.get("ExpressionAttributeValues"),
                "FilterExpression");
    boolean countOnly = "COUNT".equals(Json.optionalString(req, "Select"));
    ObjectNode out = Json.object();
    ArrayNode items = Json.array();
    int scanned = 0;
    long bytes = 0;
    @Nullable ObjectNode last = null;
    boolean more = false;
    for (Map.Entry<Table.ItemKey, ObjectNode> e : candidates) {
      if ((limit != null && scanned == limit) || bytes >= PAGE_BYTES) {
        more = true;
        break;
      }
      ObjectNode item = e.getValue();
      scanned++;
      bytes += Attributes.itemSize(item);
      last = item;
      if (filter == null || ExpressionEvaluator.test(filter, item)) {
        items.add(ItemOps.project(req, item));
      }
    }
    if (!more && limit != null && scanned == limit && last != null) {
      more = true; // DynamoDB answers a page cut by Limit with a LastEvaluatedKey
    }
    if (!countOnly) {
      out.set("Items", items);
    }
    out.put("Count", items.size());
    out.put("ScannedCount", scanned);
    if (more && last != null) {
      out.set("LastEvaluatedKey", t.keyAttributes(last));
    }
    String rcc = Json.optionalString(req, "ReturnConsumedCapacity");
    if (rcc != null && !rcc.equals("NONE")) {
      ObjectNode cc = out.putObject("ConsumedCapacity");
      cc.put("TableName", t.name);
      cc.put("CapacityUnits", Math.max(0.5, Math.ceil(bytes / 4096.0) / 2));
    }
    return out;
  }
}
