package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.Path;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.SetAction;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.Update;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.ValueAction;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Item operations: Put/Get/Update/Delete, BatchWrite, BatchGet, TransactWrite, TTL expiry. */
final class ItemOps {
  private final EmulatorState state;
  private final ScanOps scans;

  ItemOps(EmulatorState state) {
    this.state = state;
    this.scans = new ScanOps(state);
  }

  /** One item change, decided but not yet applied. */
  private record Write(
      Table table,
      Table.ItemKey key,
      @Nullable ObjectNode oldItem,
      @Nullable ObjectNode newItem,
      boolean ttl) {}

  ObjectNode handle(String op, JsonNode req) {
    return switch (op) {
      case "PutItem" -> put(req);
      case "GetItem" -> get(req);
      case "UpdateItem" -> update(req);
      case "DeleteItem" -> delete(req);
      case "BatchWriteItem" -> batchWrite(req);
      case "BatchGetItem" -> batchGet(req);
      case "TransactWriteItems" -> transactWrite(req);
      case "Scan" -> scans.scan(req);
      case "Query" -> scans.query(req);
      default -> throw ApiError.unknownOperation("Unknown operation: " + op);
    };
  }

  private void apply(List<Write> writes) {
    Instant now = state.now();
    List<Write> ordered = new ArrayList<>(writes);
    switch (state.streams.multiItemOrder) {
      case "REVERSED" -> Collections.reverse(ordered);
      case "SHUFFLED" -> Collections.shuffle(ordered, state.streams.random());
      default -> {}
    }
    for (Write w : ordered) {
      if (Attributes.itemsEqual(w.oldItem, w.newItem)) {
        continue;
      }
      if (w.newItem == null) {
        w.table.remove(w.key);
      } else {
        w.table.put(w.key, w.newItem);
      }
      state.streams.record(w.table, w.key, w.oldItem, w.newItem, w.ttl, now);
    }
  }

  private static void rejectLegacy(JsonNode req, String... members) {
    for (String m : members) {
      if (req.has(m)) {
        throw ApiError.validation("The emulator does not support the legacy parameter " + m);
      }
    }
  }

  private static void checkSize(ObjectNode item) {
    if (Attributes.itemSize(item) > Attributes.MAX_ITEM_BYTES) {
      throw ApiError.validation("Item size has exceeded the maximum allowed size");
    }
  }

  /** Evaluates the request's ConditionExpression against the current item; null when it holds. */
  private static boolean conditionHolds(JsonNode req, @Nullable ObjectNode current) {
    String text = Json.optionalString(req, "ConditionExpression");
    if (text == null) {
      return true;
    }
    return ExpressionEvaluator.test(
        ExpressionParser.condition(
            text,
            req.get("ExpressionAttributeNames"),
            req.get("ExpressionAttributeValues"),
            "ConditionExpression"),
        current);
  }

  private static ApiError conditionFailure(JsonNode req, @Nullable ObjectNode current) {
    boolean withItem =
        "ALL_OLD".equals(Json.optionalString(req, "ReturnValuesOnConditionCheckFailure"));
    return ApiError.conditionFailed(withItem ? current : null);
  }

  private Write putWrite(JsonNode req, Table t) {
    rejectLegacy(req, "Expected", "ConditionalOperator");
    ObjectNode item = Attributes.normaliseItem(Json.requiredObject(req, "Item"), "Item");
    Table.ItemKey key = t.keyOf(item);
    checkSize(item);
    ObjectNode old = t.items.get(key);
    if (!conditionHolds(req, old)) {
      throw conditionFailure(req, old);
    }
    return new Write(t, key, old, item, false);
  }

  private ObjectNode put(JsonNode req) {
    Table t = state.table(Json.requiredString(req, "TableName"));
    String rv = returnValues(req, Set.of("NONE", "ALL_OLD"));
    Write w = putWrite(req, t);
    apply(List.of(w));
    ObjectNode out = Json.object();
    if (rv.equals("ALL_OLD") && w.oldItem != null) {
      out.set("Attributes", w.oldItem);
    }
    return out;
  }

  private static String returnValues(JsonNode req, Set<String> allowed) {
    String rv = Json.optionalString(req, "ReturnValues");
    if (rv == null) {
      return "NONE";
    }
    if (!allowed.contains(rv)) {
      throw ApiError.validation(
          "ReturnValues can only be one of " + allowed + " for this operation");
    }
    return rv;
  }

  private ObjectNode get(JsonNode req) {
    Table t = state.table(Json.requiredString(req, "TableName"));
    Table.ItemKey key = t.key(Json.requiredObject(req, "Key"), "Key");
    if (Json.optionalBoolean(req, "ConsistentRead", false)) {
      state.countConsistentRead();
    }
    ObjectNode item = t.items.get(key);
    ObjectNode out = Json.object();
    if (item != null) {
      out.set("Item", project(req, item));
    }
    return out;
  }

  static ObjectNode project(JsonNode req, ObjectNode item) {
    String text = Json.optionalString(req, "ProjectionExpression");
    if (text != null) {
      return ExpressionEvaluator.project(
          item, ExpressionParser.projection(text, req.get("ExpressionAttributeNames")));
    }
    JsonNode legacy = req.get("AttributesToGet");
    if (legacy != null && legacy.isArray()) {
      ObjectNode out = Json.object();
      for (JsonNode n : legacy) {
        JsonNode v = item.get(n.asText());
        if (v != null) {
          out.set(n.asText(), v);
        }
      }
      return out;
    }
    return item;
  }

  private Write updateWrite(JsonNode req, Table t) {
    rejectLegacy(req, "Expected", "AttributeUpdates", "ConditionalOperator");
    ObjectNode keyMap = Attributes.normaliseItem(Json.requiredObject(req, "Key"), "Key");
    Table.ItemKey key = t.key(keyMap, "Key");
    ObjectNode old = t.items.get(key);
    if (!conditionHolds(req, old)) {
      throw conditionFailure(req, old);
    }
    String text = Json.optionalString(req, "UpdateExpression");
    ObjectNode base = old != null ? old : keyMap;
    ObjectNode updated =
        text == null
            ? base.deepCopy()
            : ExpressionEvaluator.apply(
                ExpressionParser.update(
                    text,
                    req.get("ExpressionAttributeNames"),
                    req.get("ExpressionAttributeValues")),
                base);
    for (String k : keyNames(t)) {
      if (!Attributes.equal(updated.get(k), keyMap.get(k))) {
        throw ApiError.validation(
            "One or more parameter values were invalid: Cannot update attribute "
                + k
                + ". This attribute is part of the key");
      }
    }
    checkSize(updated);
    return new Write(t, key, old, updated, false);
  }

  private static List<String> keyNames(Table t) {
    return t.rangeKey == null ? List.of(t.hashKey) : List.of(t.hashKey, t.rangeKey);
  }

  private ObjectNode update(JsonNode req) {
    Table t = state.table(Json.requiredString(req, "TableName"));
    String rv =
        returnValues(req, Set.of("NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"));
    Write w = updateWrite(req, t);
    apply(List.of(w));
    ObjectNode out = Json.object();
    ObjectNode newItem = w.newItem;
    ObjectNode oldItem = w.oldItem;
    switch (rv) {
      case "ALL_OLD" -> {
        if (oldItem != null) {
          out.set("Attributes", oldItem);
        }
      }
      case "ALL_NEW" -> out.set("Attributes", newItem);
      case "UPDATED_OLD", "UPDATED_NEW" -> {
        ObjectNode source = rv.equals("UPDATED_OLD") ? oldItem : newItem;
        if (source != null) {
          ObjectNode touched = Json.object();
          for (String name : touchedNames(req)) {
            JsonNode v = source.get(name);
            if (v != null) {
              touched.set(name, v);
            }
          }
          if (touched.size() > 0) {
            out.set("Attributes", touched);
          }
        }
      }
      default -> {}
    }
    return out;
  }

  private static Set<String> touchedNames(JsonNode req) {
    Set<String> names = new LinkedHashSet<>();
    String text = Json.optionalString(req, "UpdateExpression");
    if (text == null) {
      return names;
    }
    Update u =
        ExpressionParser.update(
            text, req.get("ExpressionAttributeNames"), req.get("ExpressionAttributeValues"));
    for (SetAction s : u.sets()) {
      names.add(s.path().top());
    }
    for (Path p : u.removes()) {
      names.add(p.top());
    }
    for (ValueAction a : u.adds()) {
      names.add(a.path().top());
    }
    for (ValueAction a : u.deletes()) {
      names.add(a.path().top());
    }
    return names;
  }

  private Write deleteWrite(JsonNode req, Table t) {
    rejectLegacy(req, "Expected", "ConditionalOperator");
    Table.ItemKey key = t.key(Json.requiredObject(req, "Key"), "Key");
    ObjectNode old = t.items.get(key);
    if (!conditionHolds(req, old)) {
      throw conditionFailure(req, old);
    }
    return new Write(t, key, old, null, false);
  }

  private ObjectNode delete(JsonNode req) {
    Table t = state.table(Json.requiredString(req, "TableName"));
    String rv = returnValues(req, Set.of("NONE", "ALL_OLD"));
    Write w = deleteWrite(req, t);
    apply(List.of(w));
    ObjectNode out = Json.object();
    if (rv.equals("ALL_OLD") && w.oldItem != null) {
      out.set("Attributes", w.oldItem);
    }
    return out;
  }

  private ObjectNode batchWrite(JsonNode req) {
    ObjectNode items = Json.requiredObject(req, "RequestItems");
    List<Write> writes = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    int count = 0;
    for (Map.Entry<String, JsonNode> e : items.properties()) {
      Table t = state.table(e.getKey());
      for (JsonNode r : e.getValue()) {
        count++;
        Write w;
        if (r.has("PutRequest")) {
          ObjectNode item =
              Attributes.normaliseItem(Json.requiredObject(r.get("PutRequest"), "Item"), "Item");
          Table.ItemKey key = t.keyOf(item);
          checkSize(item);
          w = new Write(t, key, t.items.get(key), item, false);
        } else if (r.has("DeleteRequest")) {
          Table.ItemKey key = t.key(Json.requiredObject(r.get("DeleteRequest"), "Key"), "Key");
          w = new Write(t, key, t.items.get(key), null, false);
        } else {
          throw ApiError.validation("A WriteRequest needs a PutRequest or a DeleteRequest");
        }
        if (!seen.add(t.name + "|" + w.key)) {
          throw ApiError.validation("Provided list of item keys contains duplicates");
        }
        writes.add(w);
      }
    }
    if (count == 0 || count > 25) {
      throw ApiError.validation(
          "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Member must have length less than or equal to 25 and greater than 0");
    }
    apply(writes);
    ObjectNode out = Json.object();
    out.putObject("UnprocessedItems");
    return out;
  }

  private ObjectNode batchGet(JsonNode req) {
    ObjectNode items = Json.requiredObject(req, "RequestItems");
    int requested = 0;
    for (Map.Entry<String, JsonNode> e : items.properties()) {
      Table t = state.table(e.getKey());
      Set<Table.ItemKey> distinct = new HashSet<>();
      for (JsonNode k : Json.optionalArray(e.getValue(), "Keys")) {
        requested++;
        if (!distinct.add(t.key(k, "Keys"))) {
          throw ApiError.validation("Provided list of item keys contains duplicates");
        }
      }
    }
    if (requested > 100) {
      throw ApiError.validation("Too many items requested for the BatchGetItem call");
    }
    ObjectNode out = Json.object();
    ObjectNode responses = out.putObject("Responses");
    for (Map.Entry<String, JsonNode> e : items.properties()) {
      Table t = state.table(e.getKey());
      ArrayNode found = responses.putArray(t.name);
      if (Json.optionalBoolean(e.getValue(), "ConsistentRead", false)) {
        state.countConsistentRead();
      }
      for (JsonNode k : Json.optionalArray(e.getValue(), "Keys")) {
        ObjectNode item = t.items.get(t.key(k, "Keys"));
        if (item != null) {
          found.add(project(e.getValue(), item));
        }
      }
    }
    out.putObject("UnprocessedKeys");
    return out;
  }

  private ObjectNode transactWrite(JsonNode req) {
    ArrayNode ops = Json.optionalArray(req, "TransactItems");
    if (ops.isEmpty() || ops.size() > 100) {
      throw ApiError.validation("TransactItems must hold 1 to 100 actions");
    }
    List<Write> writes = new ArrayList<>();
    ArrayNode reasons = Json.array();
    boolean failed = false;
    Set<String> seen = new HashSet<>();
    for (JsonNode op : ops) {
      String kind = op.fieldNames().hasNext() ? op.fieldNames().next() : "";
      JsonNode body = op.path(kind);
      Table t = state.table(Json.requiredString(body, "TableName"));
      ObjectNode reason = reasons.addObject();
      try {
        Write w =
            switch (kind) {
              case "Put" -> putWrite(body, t);
              case "Update" -> updateWrite(body, t);
              case "Delete" -> deleteWrite(body, t);
              case "ConditionCheck" -> {
                Table.ItemKey key = t.key(Json.requiredObject(body, "Key"), "Key");
                ObjectNode cur = t.items.get(key);
                if (!conditionHolds(body, cur)) {
                  throw conditionFailure(body, cur);
                }
                yield new Write(t, key, cur, cur, false);
              }
              default -> throw ApiError.validation("Unknown transaction action " + kind);
            };
        if (!seen.add(t.name + "|" + w.key)) {
          throw ApiError.validation(
              "Transaction request cannot include multiple operations on one item");
        }
        writes.add(w);
        reason.put("Code", "None");
      } catch (ApiError e) {
        if (!e.type().endsWith("#ConditionalCheckFailedException")) {
          throw e;
        }
        failed = true;
        reason.put("Code", "ConditionalCheckFailed");
        reason.put("Message", "The conditional request failed");
        ObjectNode extra = e.extra();
        if (extra != null && extra.has("Item")) {
          reason.set("Item", extra.get("Item"));
        }
      }
    }
    if (failed) {
      List<String> codes = new ArrayList<>();
      reasons.forEach(r -> codes.add(r.path("Code").asText()));
      ObjectNode extra = Json.object();
      extra.set("CancellationReasons", reasons);
      throw new ApiError(
          400,
          "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
          "Transaction cancelled, please refer cancellation reasons for specific reasons " + codes,
          extra);
    }
    apply(writes);
    return Json.object();
  }

  int expireTtl() {
    long nowSeconds = state.now().getEpochSecond();
    List<Write> writes = new ArrayList<>();
    for (Table t : state.tables.values()) {
      String attr = t.ttlAttribute;
      if (attr == null) {
        continue;
      }
      for (Map.Entry<Table.ItemKey, ObjectNode> e : t.items.entrySet()) {
        JsonNode v = e.getValue().get(attr);
        if (v != null
            && v.has("N")
            && new BigDecimal(v.get("N").asText()).compareTo(BigDecimal.valueOf(nowSeconds)) < 0) {
          writes.add(new Write(t, e.getKey(), e.getValue(), null, true));
        }
      }
    }
    apply(writes);
    return writes.size();
  }
}
