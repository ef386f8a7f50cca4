package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * The {@code UNPROCESSED_KEYS} fault on a {@code BatchGetItem}: the request is cut to the first
 * half (rounded down) of each table's keys, and the answer lists the other keys under {@code
 * UnprocessedKeys} with the table's read parameters, as DynamoDB returns them.
 */
final class PartialBatchGet {
  private final ObjectNode processed;
  private final ObjectNode unprocessed;

  private PartialBatchGet(ObjectNode processed, ObjectNode unprocessed) {
    this.processed = processed;
    this.unprocessed = unprocessed;
  }

  /** Splits a BatchGetItem request (left as it is when it has no {@code RequestItems}). */
  static PartialBatchGet of(JsonNode request) {
    ObjectNode processed = request.deepCopy();
    ObjectNode unprocessed = Json.object();
    JsonNode items = processed.get("RequestItems");
    if (items instanceof ObjectNode tables) {
      for (Map.Entry<String, JsonNode> e : tables.properties()) {
        if (!(e.getValue() instanceof ObjectNode table)
            || !(table.get("Keys") instanceof ArrayNode keys)) {
          continue;
        }
        int keep = keys.size() / 2;
        ObjectNode rest = table.deepCopy();
        ArrayNode restKeys = rest.putArray("Keys");
        for (int i = keep; i < keys.size(); i++) {
          restKeys.add(keys.get(i));
        }
        while (keys.size() > keep) {
          keys.remove(keys.size() - 1);
        }
        if (!restKeys.isEmpty()) {
          unprocessed.set(e.getKey(), rest);
        }
      }
    }
    return new PartialBatchGet(processed, unprocessed);
  }

  /** The request to run. */
  JsonNode processed() {
    return processed;
  }

  /** The answer to the cut request, with the cut keys as unprocessed. */
  ObjectNode answer(ObjectNode response) {
    response.set("UnprocessedKeys", unprocessed);
    return response;
  }
}
