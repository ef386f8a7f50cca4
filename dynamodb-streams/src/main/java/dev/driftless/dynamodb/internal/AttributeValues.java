package dev.driftless.dynamodb.internal;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * DynamoDB attribute values as the JDK values a {@link Document} holds (the table is in {@code
 * docs/dynamodb-types.md}). Numbers stay exact: an integer that fits a {@code long} becomes a
 * {@link Long}, any other number a {@link BigDecimal} of the very digits DynamoDB sent. Sets are
 * sorted, so that one item always gives one document whatever order the wire used. Stateless.
 */
public final class AttributeValues {

  private AttributeValues() {}

  /**
   * The document of an item (an image): its attributes ordered by name.
   *
   * @throws IllegalArgumentException naming the attribute, for a value this library cannot map
   */
  public static Document document(Map<String, AttributeValue> item) {
    Map<String, @Nullable Object> fields = new TreeMap<>();
    for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
      fields.put(e.getKey(), toJava(e.getValue(), e.getKey()));
    }
    return Document.of(fields);
  }

  /**
   * One attribute value as a JDK value.
   *
   * @throws IllegalArgumentException naming {@code path}, for a value of an unknown type or a
   *     malformed number
   */
  public static @Nullable Object toJava(AttributeValue value, String path) {
    switch (value.type()) {
      case S:
        return value.s();
      case N:
        return number(value.n(), path);
      case B:
        return base64(value.b());
      case BOOL:
        return value.bool();
      case NUL:
        return null;
      case SS:
        {
          List<String> sorted = new ArrayList<>(value.ss());
          sorted.sort(Comparator.naturalOrder());
          return sorted;
        }
      case NS:
        {
          List<Object> numbers = new ArrayList<>(value.ns().size());
          List<BigDecimal> exact = new ArrayList<>(value.ns().size());
          for (String n : value.ns()) {
            exact.add(parse(n, path));
          }
          exact.sort(Comparator.naturalOrder());
          for (BigDecimal n : exact) {
            numbers.add(narrow(n));
          }
          return numbers;
        }
      case BS:
        {
          List<SdkBytes> sorted = new ArrayList<>(value.bs());
          sorted.sort((a, b) -> java.util.Arrays.compareUnsigned(a.asByteArray(), b.asByteArray()));
          List<String> encoded = new ArrayList<>(sorted.size());
          for (SdkBytes b : sorted) {
            encoded.add(base64(b));
          }
          return encoded;
        }
      case L:
        {
          List<@Nullable Object> list = new ArrayList<>(value.l().size());
          int i = 0;
          for (AttributeValue element : value.l()) {
            list.add(toJava(element, path + "[" + i++ + "]"));
          }
          return list;
        }
      case M:
        {
          Map<String, @Nullable Object> map = new LinkedHashMap<>();
          for (Map.Entry<String, AttributeValue> e : new TreeMap<>(value.m()).entrySet()) {
            map.put(e.getKey(), toJava(e.getValue(), path + "." + e.getKey()));
          }
          return map;
        }
      default:
        throw new IllegalArgumentException(
            "attribute '" + path + "' has a type this library does not know: " + value);
    }
  }

  /**
   * The canonical text of one key attribute (S, N or B; DynamoDB allows no other key type): a
   * string as it is, a number in plain notation without trailing zeros (DynamoDB treats {@code 1}
   * and {@code 1.0} as one key), binary as base64.
   */
  public static String keyText(AttributeValue value, String attribute) {
    switch (value.type()) {
      case S:
        return value.s();
      case N:
        {
          BigDecimal n = parse(value.n(), attribute);
          return n.signum() == 0 ? "0" : n.stripTrailingZeros().toPlainString();
        }
      case B:
        return base64(value.b());
      default:
        throw new IllegalArgumentException(
            "key attribute '" + attribute + "' is of type " + value.type() + ", not S, N or B");
    }
  }

  /**
   * The document key of an item's key attributes: the partition key's text, or for a composite key
   * the partition and sort key joined by {@link DocumentKey#composite}.
   *
   * @throws IllegalArgumentException if a key attribute is missing or of a wrong type
   */
  public static DocumentKey key(
      String collection,
      String partitionKey,
      @Nullable String sortKey,
      Map<String, AttributeValue> keys) {
    AttributeValue partition = keys.get(partitionKey);
    if (partition == null) {
      throw new IllegalArgumentException("the record lacks partition key '" + partitionKey + "'");
    }
    String first = keyText(partition, partitionKey);
    if (sortKey == null) {
      return DocumentKey.of(collection, first);
    }
    AttributeValue sort = keys.get(sortKey);
    if (sort == null) {
      throw new IllegalArgumentException("the record lacks sort key '" + sortKey + "'");
    }
    return DocumentKey.composite(collection, List.of(first, keyText(sort, sortKey)));
  }

  /** An exact number: {@link Long} for an integer in range, otherwise {@link BigDecimal}. */
  static Object number(String text, String path) {
    return narrow(parse(text, path));
  }

  private static Object narrow(BigDecimal n) {
    if (n.scale() <= 0 && n.precision() - n.scale() <= 19) {
      try {
        return n.longValueExact();
      } catch (ArithmeticException outOfRange) {
        return n;
      }
    }
    return n;
  }

  private static BigDecimal parse(String text, String path) {
    try {
      return new BigDecimal(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "attribute '" + path + "' is not a number: '" + text + "'", e);
    }
  }

  private static String base64(SdkBytes bytes) {
    return Base64.getEncoder().encodeToString(bytes.asByteArray());
  }
}
