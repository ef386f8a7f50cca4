package dev.driftless.dynamodb.internal;

import dev.driftless.core.DocumentKey;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;

/**
 * A table's key schema, and the way back from a {@link DocumentKey} id to the item's DynamoDB key:
 * the inverse of {@link AttributeValues#key}. Immutable.
 *
 * @param table the table (and collection) name
 * @param partitionKey the partition key attribute
 * @param partitionType its type (S, N or B)
 * @param sortKey the sort key attribute, if any
 * @param sortType its type, if any
 */
public record TableKeys(
    String table,
    String partitionKey,
    ScalarAttributeType partitionType,
    @Nullable String sortKey,
    @Nullable ScalarAttributeType sortType) {

  /** DynamoDB's largest partition key value, in bytes. */
  static final int MAX_PARTITION_BYTES = 2048;

  /** DynamoDB's largest sort key value, in bytes. */
  static final int MAX_SORT_BYTES = 1024;

  public TableKeys {
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(partitionKey, "partitionKey");
    Objects.requireNonNull(partitionType, "partitionType");
    if ((sortKey == null) != (sortType == null)) {
      throw new IllegalArgumentException("a sort key needs its type and the other way round");
    }
  }

  /** The key schema of {@code table}, from {@code DescribeTable}. */
  public static TableKeys describe(DynamoDbClient dynamoDb, String table) {
    TableDescription d = dynamoDb.describeTable(b -> b.tableName(table)).table();
    String partition = null;
    String sort = null;
    for (KeySchemaElement k : d.keySchema()) {
      if (k.keyType() == KeyType.HASH) {
        partition = k.attributeName();
      } else if (k.keyType() == KeyType.RANGE) {
        sort = k.attributeName();
      }
    }
    if (partition == null) {
      throw new IllegalStateException(
          "table " + table + " has no partition key in its description");
    }
    return new TableKeys(
        table, partition, typeOf(d, partition), sort, sort == null ? null : typeOf(d, sort));
  }

  private static ScalarAttributeType typeOf(TableDescription d, String attribute) {
    for (AttributeDefinition a : d.attributeDefinitions()) {
      if (a.attributeName().equals(attribute)) {
        return a.attributeType();
      }
    }
    throw new IllegalStateException(
        "table " + d.tableName() + " does not define the type of key attribute " + attribute);
  }

  /** The key attributes' names. */
  public List<String> attributes() {
    return sortKey == null ? List.of(partitionKey) : List.of(partitionKey, sortKey);
  }

  /** What the stream converter needs of the table. */
  public RecordConverter.TableInfo info(boolean newImages) {
    return new RecordConverter.TableInfo(table, table, partitionKey, sortKey, newImages);
  }

  /**
   * The DynamoDB key of the item whose document key has {@code id}, or empty when no item of this
   * table can have that id (a part that is not the canonical text of a value of the key's type, or
   * too long for DynamoDB, or the wrong number of parts).
   */
  public Optional<Map<String, AttributeValue>> keyOf(String id) {
    if (sortKey == null) {
      return valueOf(id, partitionType, MAX_PARTITION_BYTES).map(v -> Map.of(partitionKey, v));
    }
    List<String> parts = DocumentKey.of(table, id).parts(2);
    if (parts.size() != 2) {
      return Optional.empty();
    }
    Optional<AttributeValue> p = valueOf(parts.get(0), partitionType, MAX_PARTITION_BYTES);
    Optional<AttributeValue> s =
        valueOf(parts.get(1), Objects.requireNonNull(sortType), MAX_SORT_BYTES);
    if (p.isEmpty() || s.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Map.of(partitionKey, p.get(), sortKey, s.get()));
  }

  private static Optional<AttributeValue> valueOf(
      String text, ScalarAttributeType type, int maxBytes) {
    AttributeValue value;
    int bytes;
    switch (type) {
      case S:
        value = AttributeValue.fromS(text);
        bytes = text.getBytes(StandardCharsets.UTF_8).length;
        break;
      case N:
        if (!dynamoDbNumber(text)) {
          return Optional.empty();
        }
        value = AttributeValue.fromN(text);
        bytes = 0;
        break;
      case B:
        try {
          byte[] raw = Base64.getDecoder().decode(text);
          value = AttributeValue.fromB(SdkBytes.fromByteArray(raw));
          bytes = raw.length;
        } catch (IllegalArgumentException notBase64) {
          return Optional.empty();
        }
        break;
      default:
        return Optional.empty();
    }
    if (bytes > maxBytes || (type != ScalarAttributeType.N && bytes == 0)) {
      return Optional.empty();
    }
    try {
      // Only the canonical text of a value is an id the source produces for it.
      return AttributeValues.keyText(value, "key").equals(text)
          ? Optional.of(value)
          : Optional.empty();
    } catch (IllegalArgumentException notANumber) {
      return Optional.empty();
    }
  }

  /** Whether DynamoDB can hold {@code text} as a number: 38 significant digits, 1E-130..1E126. */
  private static boolean dynamoDbNumber(String text) {
    try {
      java.math.BigDecimal n = new java.math.BigDecimal(text);
      if (n.signum() == 0) {
        return true;
      }
      java.math.BigDecimal stripped = n.stripTrailingZeros();
      int exponent = stripped.precision() - stripped.scale() - 1;
      return stripped.precision() <= 38 && exponent >= -130 && exponent <= 125;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
