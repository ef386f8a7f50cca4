package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A table: its key schema, its items in scan order (by partition-key hash, then key), and its
 * partitions, each a range of the 32-bit key-hash space. Guarded by the emulator lock.
 */
final class Table {

  /** A partition: the hash range [lo, hi). */
  record Partition(int id, long lo, long hi) {
    boolean contains(long hash) {
      return hash >= lo && hash < hi;
    }
  }

  /** An item's position in the table: key hash first, so segments are hash ranges. */
  record ItemKey(long hash, String hashCanonical, @Nullable JsonNode range) {}

  static final Comparator<ItemKey> ORDER =
      Comparator.comparingLong(ItemKey::hash)
          .thenComparing(ItemKey::hashCanonical)
          .thenComparing(
              (a, b) -> {
                Integer c = Attributes.compare(a.range(), b.range());
                return c == null ? 0 : c;
              });

  final String name;
  final String arn;
  final String id;
  final Instant createdAt;
  final String hashKey;
  final String hashType;
  final @Nullable String rangeKey;
  final @Nullable String rangeType;
  final ArrayNode keySchema;
  final ArrayNode attributeDefinitions;
  final ObjectNode billing;
  final TreeMap<ItemKey, ObjectNode> items = new TreeMap<>(ORDER);
  final List<Partition> partitions = new ArrayList<>();
  int nextPartitionId;
  @Nullable Stream stream;
  @Nullable Stream latestStream;
  @Nullable String ttlAttribute;
  long itemBytes;

  Table(
      String name,
      String arn,
      String id,
      Instant createdAt,
      String hashKey,
      String hashType,
      @Nullable String rangeKey,
      @Nullable String rangeType,
      ArrayNode keySchema,
      ArrayNode attributeDefinitions,
      ObjectNode billing,
      int partitionCount) {
    this.name = name;
    this.arn = arn;
    this.id = id;
    this.createdAt = createdAt;
    this.hashKey = hashKey;
    this.hashType = hashType;
    this.rangeKey = rangeKey;
    this.rangeType = rangeType;
    this.keySchema = keySchema;
    this.attributeDefinitions = attributeDefinitions;
    this.billing = billing;
    long width = Attributes.HASH_SPACE / partitionCount;
    for (int i = 0; i < partitionCount; i++) {
      long hi = i == partitionCount - 1 ? Attributes.HASH_SPACE : (i + 1) * width;
      partitions.add(new Partition(nextPartitionId++, i * width, hi));
    }
  }

  Partition partitionOf(long hash) {
    for (Partition p : partitions) {
      if (p.contains(hash)) {
        return p;
      }
    }
    throw new IllegalStateException("no partition holds hash " + hash);
  }

  @Nullable Partition partition(int id) {
    for (Partition p : partitions) {
      if (p.id() == id) {
        return p;
      }
    }
    return null;
  }

  /** Checks a Key map (exactly the key attributes, of the declared types) and returns its key. */
  ItemKey key(JsonNode keyMap, String where) {
    ObjectNode k = Attributes.normaliseItem(keyMap, where);
    int expected = rangeKey == null ? 1 : 2;
    if (k.size() != expected) {
      throw ApiError.validation("The provided key element does not match the schema");
    }
    return keyOf(k);
  }

  /** The key of a full item, checking that the key attributes are present and well typed. */
  ItemKey keyOf(ObjectNode item) {
    JsonNode h = item.get(hashKey);
    if (h == null || !Attributes.type(h).equals(hashType)) {
      throw ApiError.validation(
          h == null
              ? "One or more parameter values were invalid: Missing the key "
                  + hashKey
                  + " in the item"
              : "One or more parameter values were invalid: Type mismatch for key " + hashKey);
    }
    checkNotEmpty(h, hashKey);
    JsonNode r = null;
    if (rangeKey != null) {
      r = item.get(rangeKey);
      if (r == null || !Attributes.type(r).equals(rangeType)) {
        throw ApiError.validation(
            r == null
                ? "One or more parameter values were invalid: Missing the key "
                    + rangeKey
                    + " in the item"
                : "One or more parameter values were invalid: Type mismatch for key " + rangeKey);
      }
      checkNotEmpty(r, rangeKey);
    }
    return new ItemKey(
        Attributes.hash(h), new String(Attributes.canonical(h), StandardCharsets.UTF_8), r);
  }

  private static void checkNotEmpty(JsonNode v, String name) {
    String t = Attributes.type(v);
    if ((t.equals("S") || t.equals("B")) && v.get(t).asText().isEmpty()) {
      throw ApiError.validation(
          "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: "
              + name);
    }
  }

  /** The key attributes of an item as a map. */
  ObjectNode keyAttributes(ObjectNode item) {
    ObjectNode k = Json.object();
    k.set(hashKey, item.get(hashKey));
    if (rangeKey != null) {
      k.set(rangeKey, item.get(rangeKey));
    }
    return k;
  }

  void put(ItemKey key, ObjectNode item) {
    ObjectNode old = items.put(key, item);
    itemBytes += Attributes.itemSize(item) - Attributes.itemSize(old);
  }

  void remove(ItemKey key) {
    ObjectNode old = items.remove(key);
    itemBytes -= Attributes.itemSize(old);
  }
}
