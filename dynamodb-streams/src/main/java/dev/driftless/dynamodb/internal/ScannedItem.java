package dev.driftless.dynamodb.internal;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * One item a backfill scanned, converted under the read version rule (docs/dynamodb.md,
 * "Backfill"): with a version attribute the item's own value, else the backfill's read version,
 * anchored before its scan began. An item that cannot be read (a value of unknown type, a missing
 * or invalid version attribute) keeps its reason for the dead-letter store.
 *
 * @param key the document key
 * @param version its version
 * @param document the item as a document, or {@code null} when unreadable
 * @param errorType the failure's class, when unreadable
 * @param error why it is unreadable
 */
record ScannedItem(
    DocumentKey key,
    long version,
    @Nullable Document document,
    @Nullable String errorType,
    @Nullable String error) {

  boolean unreadable() {
    return error != null;
  }

  /**
   * Converts a scanned {@code item} of a table keyed by {@code partitionKey} (and {@code sortKey}).
   *
   * @param versionAttribute the version attribute, or {@code null} for derived versions
   * @param readVersion the backfill's read version, used with derived versions
   */
  static ScannedItem of(
      Map<String, AttributeValue> item,
      String collection,
      String partitionKey,
      @Nullable String sortKey,
      @Nullable String versionAttribute,
      long readVersion) {
    DocumentKey key;
    try {
      key = AttributeValues.key(collection, partitionKey, sortKey, item);
    } catch (IllegalArgumentException e) {
      return new ScannedItem(
          DocumentKey.of(collection, "unreadable-key@" + item.hashCode()),
          0,
          null,
          e.getClass().getName(),
          e.getMessage());
    }
    long version = readVersion;
    try {
      if (versionAttribute != null) {
        version = versionOf(item, versionAttribute);
      }
      return new ScannedItem(key, version, AttributeValues.document(item), null, null);
    } catch (IllegalArgumentException e) {
      return new ScannedItem(
          key, Math.max(0, version), null, e.getClass().getName(), String.valueOf(e.getMessage()));
    }
  }

  private static long versionOf(Map<String, AttributeValue> item, String name) {
    AttributeValue value = item.get(name);
    if (value == null || value.n() == null) {
      throw new IllegalArgumentException(
          "the item has no numeric version attribute '" + name + "'");
    }
    try {
      long v = Long.parseLong(value.n());
      if (v < 0 || v == Long.MAX_VALUE) {
        throw new IllegalArgumentException(
            "version attribute '" + name + "' out of range [0, 2^63-2]: " + value.n());
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "version attribute '" + name + "' is not an integer that fits a long: " + value.n(), e);
    }
  }
}
