package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * DynamoDB attribute values as JSON trees ({@code {"S": "x"}}, {@code {"N": "1"}}, ...): validation
 * and normalisation on the way in, semantic equality (numbers by value, sets unordered), ordering
 * of scalars, the item-size rule, and the stable key hash that picks a partition.
 */
final class Attributes {
  static final long HASH_SPACE = 1L << 32;
  static final int MAX_ITEM_BYTES = 400 * 1024;

  private static final Set<String> TYPES =
      Set.of("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL");

  private Attributes() {}

  /** The single type tag of a value ({@code S}, {@code N}, ...). */
  static String type(JsonNode av) {
    Iterator<String> it = av.fieldNames();
    return it.hasNext() ? it.next() : "";
  }

  /** Checks an item or key map and returns a normalised copy (numbers in canonical form). */
  static ObjectNode normaliseItem(JsonNode item, String where) {
    if (!item.isObject()) {
      throw ApiError.serialization(where + " must be a map of attribute values");
    }
    ObjectNode out = Json.object();
    for (Map.Entry<String, JsonNode> e : item.properties()) {
      if (e.getKey().isEmpty()) {
        throw ApiError.validation(where + ": an attribute name is empty");
      }
      out.set(e.getKey(), normalise(e.getValue(), where + "." + e.getKey()));
    }
    return out;
  }

  /** Checks one attribute value and returns a normalised copy. */
  static JsonNode normalise(JsonNode av, String where) {
    if (!av.isObject() || av.size() != 1 || !TYPES.contains(type(av))) {
      throw ApiError.validation(
          "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes ("
              + where
              + ")");
    }
    String t = type(av);
    JsonNode v = av.get(t);
    ObjectNode out = Json.object();
    switch (t) {
      case "S" -> out.put("S", text(v, where));
      case "N" -> out.put("N", number(text(v, where), where));
      case "B" -> out.put("B", binary(v, where));
      case "BOOL" -> {
        if (!v.isBoolean()) {
          throw ApiError.serialization(where + ": BOOL must be a boolean");
        }
        out.put("BOOL", v.asBoolean());
      }
      case "NULL" -> {
        if (!v.isBoolean() || !v.asBoolean()) {
          throw ApiError.validation(where + ": NULL must be true");
        }
        out.put("NULL", true);
      }
      case "SS", "NS", "BS" -> {
        if (!v.isArray() || v.isEmpty()) {
          throw ApiError.validation(
              "One or more parameter values were invalid: An string set  may not be empty ("
                  + where
                  + ")");
        }
        ArrayNode arr = out.putArray(t);
        Set<String> seen = new HashSet<>();
        for (JsonNode el : v) {
          String s =
              switch (t) {
                case "SS" -> text(el, where);
                case "NS" -> number(text(el, where), where);
                default -> binary(el, where);
              };
          if (!seen.add(s)) {
            throw ApiError.validation(
                "One or more parameter values were invalid: Input collection contains duplicates ("
                    + where
                    + ")");
          }
          arr.add(s);
        }
      }
      case "L" -> {
        if (!v.isArray()) {
          throw ApiError.serialization(where + ": L must be a list");
        }
        ArrayNode arr = out.putArray("L");
        int i = 0;
        for (JsonNode el : v) {
          arr.add(normalise(el, where + "[" + i++ + "]"));
        }
      }
      default -> out.set("M", normaliseItem(v, where));
    }
    return out;
  }

  private static String text(JsonNode v, String where) {
    if (!v.isTextual()) {
      throw ApiError.serialization(where + ": expected a string");
    }
    return v.asText();
  }

  private static String binary(JsonNode v, String where) {
    String s = text(v, where);
    try {
      Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw ApiError.serialization(where + ": binary value is not base64");
    }
    return s;
  }

  /** The canonical text of a DynamoDB number (38 digits of precision, magnitude 1E-130..1E126). */
  static String number(String s, String where) {
    BigDecimal d;
    try {
      d = new BigDecimal(s.trim());
    } catch (NumberFormatException e) {
      throw ApiError.validation(
          "A value provided cannot be converted into a number (" + where + ": " + s + ")");
    }
    if (d.signum() == 0) {
      return "0";
    }
    d = d.stripTrailingZeros();
    if (d.precision() > 38) {
      throw ApiError.validation(
          "Attempting to store more than 38 significant digits in a Number (" + where + ")");
    }
    int exponent = d.precision() - d.scale() - 1;
    if (exponent > 125 || exponent < -130) {
      throw ApiError.validation(
          "Number overflow. Attempting to store a number with magnitude larger than supported range ("
              + where
              + ")");
    }
    return d.scale() < 0 && d.precision() - d.scale() > 40 ? d.toString() : d.toPlainString();
  }

  /** Semantic equality: numbers by value, sets as sets, maps by entries. */
  static boolean equal(@Nullable JsonNode a, @Nullable JsonNode b) {
    if (a == null || b == null) {
      return a == null && b == null;
    }
    String t = type(a);
    if (!t.equals(type(b))) {
      return false;
    }
    JsonNode x = a.get(t);
    JsonNode y = b.get(t);
    return switch (t) {
      case "N" -> new BigDecimal(x.asText()).compareTo(new BigDecimal(y.asText())) == 0;
      case "SS", "BS" -> x.size() == y.size() && textSet(x).equals(textSet(y));
      case "NS" -> x.size() == y.size() && numberSet(x).equals(numberSet(y));
      case "L" -> listsEqual(x, y);
      case "M" -> itemsEqual(x, y);
      default -> x.equals(y);
    };
  }

  private static boolean listsEqual(JsonNode x, JsonNode y) {
    if (x.size() != y.size()) {
      return false;
    }
    for (int i = 0; i < x.size(); i++) {
      if (!equal(x.get(i), y.get(i))) {
        return false;
      }
    }
    return true;
  }

  static boolean itemsEqual(@Nullable JsonNode a, @Nullable JsonNode b) {
    if (a == null || b == null) {
      return a == null && b == null;
    }
    if (a.size() != b.size()) {
      return false;
    }
    for (Map.Entry<String, JsonNode> e : a.properties()) {
      if (!equal(e.getValue(), b.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  static Set<String> textSet(JsonNode arr) {
    Set<String> s = new HashSet<>();
    arr.forEach(n -> s.add(n.asText()));
    return s;
  }

  static Set<BigDecimal> numberSet(JsonNode arr) {
    Set<BigDecimal> s = new HashSet<>();
    arr.forEach(n -> s.add(new BigDecimal(n.asText()).stripTrailingZeros()));
    return s;
  }

  /**
   * Orders two scalars of the same type (S by code point, N by value, B as unsigned bytes); returns
   * null when they are not comparable.
   */
  static @Nullable Integer compare(@Nullable JsonNode a, @Nullable JsonNode b) {
    if (a == null || b == null) {
      return null;
    }
    String t = type(a);
    if (!t.equals(type(b))) {
      return null;
    }
    return switch (t) {
      case "S" -> Integer.signum(a.get("S").asText().compareTo(b.get("S").asText()));
      case "N" ->
          new BigDecimal(a.get("N").asText()).compareTo(new BigDecimal(b.get("N").asText()));
      case "B" -> Integer.signum(Arrays.compareUnsigned(bytes(a), bytes(b)));
      default -> null;
    };
  }

  static byte[] bytes(JsonNode av) {
    return Base64.getDecoder().decode(av.get("B").asText());
  }

  /** The size DynamoDB charges for a named attribute (name bytes plus value bytes). */
  static long size(String name, JsonNode av) {
    return utf8(name) + valueSize(av);
  }

  static long itemSize(@Nullable JsonNode item) {
    if (item == null) {
      return 0;
    }
    long total = 0;
    for (Map.Entry<String, JsonNode> e : item.properties()) {
      total += size(e.getKey(), e.getValue());
    }
    return total;
  }

  private static long valueSize(JsonNode av) {
    String t = type(av);
    JsonNode v = av.get(t);
    return switch (t) {
      case "S" -> utf8(v.asText());
      case "N" -> numberSize(v.asText());
      case "B" -> Base64.getDecoder().decode(v.asText()).length;
      case "BOOL", "NULL" -> 1;
      case "SS" -> sum(v, n -> utf8(n.asText()));
      case "NS" -> sum(v, n -> numberSize(n.asText()));
      case "BS" -> sum(v, n -> Base64.getDecoder().decode(n.asText()).length);
      case "L" -> 3 + v.size() + sum(v, Attributes::valueSize);
      default -> 3 + v.size() + itemSize(v);
    };
  }

  private static long sum(JsonNode arr, java.util.function.ToLongFunction<JsonNode> f) {
    long s = 0;
    for (JsonNode n : arr) {
      s += f.applyAsLong(n);
    }
    return s;
  }

  private static long numberSize(String n) {
    long digits = n.chars().filter(Character::isDigit).count();
    return (digits + 1) / 2 + 1;
  }

  private static long utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  /** Canonical bytes of a key value, equal for equal values (numbers by value). */
  static byte[] canonical(JsonNode av) {
    String t = type(av);
    String v =
        t.equals("N")
            ? new BigDecimal(av.get("N").asText()).stripTrailingZeros().toString()
            : av.get(t).asText();
    return (t + ":" + v).getBytes(StandardCharsets.UTF_8);
  }

  /** A stable 32-bit hash (as a non-negative long) of a partition-key value. */
  static long hash(JsonNode av) {
    try {
      byte[] d = MessageDigest.getInstance("MD5").digest(canonical(av));
      return ((d[0] & 0xFFL) << 24)
          | ((d[1] & 0xFFL) << 16)
          | ((d[2] & 0xFFL) << 8)
          | (d[3] & 0xFFL);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is part of every JDK", e);
    }
  }

  static ObjectNode copy(JsonNode item) {
    return ((ObjectNode) item).deepCopy();
  }
}
