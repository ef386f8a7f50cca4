package dev.driftless.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The DynamoDB suite's verdict without any Driftless reader: the table by a consistent Scan through
 * the SDK, the index by plain HTTP ({@link IndexDocuments}), the dead-letter file by its JSON lines
 * ({@link IndependentComparison#liveLetters(Path)}).
 *
 * <p>Expected: every valid item has a document with exactly its attributes (strings equal, numbers
 * numerically equal, no other field but the sink's {@code driftless_*} ones); no other document (no
 * phantom, no poison item); the dead-letter file's live letters are exactly the poison items, each
 * one's the refusal of the item's last write (its error message names the item's current {@code
 * name}).
 */
final class DynamoDbComparison {

  private final DynamoDbWorkload table;
  private final IndexDocuments index;
  private final Path deadLetters;

  DynamoDbComparison(DynamoDbWorkload table, String indexUrl, String index, Path deadLetters) {
    this.table = table;
    this.index = new IndexDocuments(indexUrl, index);
    this.deadLetters = deadLetters;
  }

  IndependentComparison.Result compare() throws Exception {
    Map<String, Map<String, AttributeValue>> items = table.scan();
    Map<String, JsonNode> docs = index.documents();
    Map<String, JsonNode> letters = IndependentComparison.liveLetterLines(deadLetters);
    List<String> missing = new ArrayList<>();
    List<String> stale = new ArrayList<>();
    List<String> phantom = new ArrayList<>();
    List<String> letterProblems = new ArrayList<>();
    int poison = 0;
    for (Map.Entry<String, Map<String, AttributeValue>> e : items.entrySet()) {
      String id = e.getKey();
      if (DynamoDbWorkload.isPoison(id)) {
        poison++;
        JsonNode letter = letters.get(id);
        String name = e.getValue().get("name").s();
        if (letter == null) {
          letterProblems.add(id + ": poison item without a dead letter");
        } else if (!letter.path("errorMessage").asText().endsWith(": " + name)) {
          // The live letter (the highest version) must be the item's last write: any read of the
          // item before that write is versioned below it (derived versions, docs/dynamodb.md).
          letterProblems.add(
              id
                  + ": the letter ("
                  + letter.path("errorMessage").asText()
                  + ") is not for the item's last write (name "
                  + name
                  + ")");
        }
        if (docs.containsKey(id)) {
          phantom.add(id + " (a poison item indexed)");
        }
        continue;
      }
      if (letters.containsKey(id)) {
        letterProblems.add(id + ": a valid item has a dead letter");
      }
      JsonNode hit = docs.get(id);
      if (hit == null) {
        missing.add(id);
        continue;
      }
      List<String> differences = differences(e.getValue(), hit);
      if (!differences.isEmpty()) {
        stale.add(id + " " + differences);
      }
    }
    for (String id : docs.keySet()) {
      if (!items.containsKey(id)) {
        phantom.add(id);
      }
    }
    for (String id : letters.keySet()) {
      if (!items.containsKey(id)) {
        letterProblems.add(id + ": a letter for a key the table does not hold");
      }
    }
    return new IndependentComparison.Result(
        items.size(), poison, docs.size(), missing, stale, phantom, letters.size(), letterProblems);
  }

  private static List<String> differences(Map<String, AttributeValue> item, JsonNode hit) {
    List<String> out = new ArrayList<>();
    JsonNode source = hit.get("_source");
    Set<String> fields = new TreeSet<>();
    source.fieldNames().forEachRemaining(fields::add);
    fields.removeIf(f -> f.startsWith("driftless_"));
    if (!fields.equals(item.keySet())) {
      out.add("fields " + fields + " instead of " + new TreeSet<>(item.keySet()));
    }
    for (Map.Entry<String, AttributeValue> a : item.entrySet()) {
      JsonNode actual = source.get(a.getKey());
      AttributeValue expected = a.getValue();
      boolean same;
      if (actual == null || actual.isNull()) {
        same = false;
      } else if (expected.n() != null) {
        same =
            actual.isNumber() && actual.decimalValue().compareTo(new BigDecimal(expected.n())) == 0;
      } else {
        same = Objects.equals(expected.s(), actual.asText());
      }
      if (!same) {
        out.add(a.getKey() + " " + actual + " instead of " + expected);
      }
    }
    return out;
  }
}
