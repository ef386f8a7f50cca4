package dev.driftless.dynamodb.internal;

import dev.driftless.core.Fingerprints;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The row fingerprint (core {@link Fingerprints}, definition 1) of a DynamoDB item: what the stream
 * source stores with each document and what reconciliation recomputes from a scanned item, so one
 * item gives one fingerprint whether it came as a stream record's {@code NewImage}, from {@code
 * GetItem}/{@code BatchGetItem} or from {@code Scan}. The definition (with golden values) is in
 * {@code docs/reconciliation.md}:
 *
 * <ul>
 *   <li>the covered attributes present in the item, sorted by name in code-point order, give the
 *       column texts {@code name1, value1, name2, value2, ...} to {@link Fingerprints#row}, so the
 *       item's fingerprint is the first 8 bytes of the MD5 of {@code len(name1):name1,
 *       len(value1):value1,...} (lengths in UTF-8 bytes);
 *   <li>a value's text is its type tag followed by a length-prefixed payload: {@code
 *       S<n>:<string>}, {@code N<n>:<number>} (the number in plain notation without trailing zeros,
 *       {@code 0} for zero: DynamoDB treats {@code 1} and {@code 1.0} as one value), {@code
 *       B<n>:<base64>}, {@code BOOL<n>:true|false}, {@code NULL0:}, a list {@code L<count>:}
 *       followed by its elements' texts in order, a map {@code M<count>:} followed by {@code
 *       <n>:<name>} and the value's text for each entry by name in code-point order, and the sets
 *       {@code SS/NS/BS<count>:} followed by {@code <n>:<element>} for each element (string,
 *       canonical number, base64) with the elements sorted by that text in code-point order, so a
 *       set's wire order never matters. {@code <n>} is always the payload's length in UTF-8 bytes.
 * </ul>
 *
 * <p>An attribute absent from the item is left out; an attribute holding {@code NULL} is not. By
 * default every attribute is covered, key attributes included ({@link #allAttributes()}); {@link
 * #of(Collection)} covers only the given names (for a table whose large attributes the index does
 * not hold, so that a reconciliation scan projects only these). Immutable and thread-safe.
 */
public final class ItemFingerprint {
  private static final ItemFingerprint ALL = new ItemFingerprint(null);

  private final @Nullable SortedSet<String> attributes;

  private ItemFingerprint(@Nullable SortedSet<String> attributes) {
    this.attributes = attributes;
  }

  /** Covers every attribute of the item. */
  public static ItemFingerprint allAttributes() {
    return ALL;
  }

  /**
   * Covers only {@code names} (an item's other attributes do not change its fingerprint).
   *
   * @throws IllegalArgumentException if {@code names} is empty or holds a blank name
   */
  public static ItemFingerprint of(Collection<String> names) {
    Objects.requireNonNull(names, "names");
    if (names.isEmpty()) {
      throw new IllegalArgumentException("the fingerprint's attributes must not be empty");
    }
    SortedSet<String> sorted = new TreeSet<>(ItemFingerprint::compareCodePoints);
    for (String name : names) {
      if (Objects.requireNonNull(name, "attribute name").isEmpty()) {
        throw new IllegalArgumentException("a fingerprint attribute's name must not be empty");
      }
      sorted.add(name);
    }
    return new ItemFingerprint(sorted);
  }

  /** The covered attributes, or empty for all of them. */
  public Optional<Set<String>> attributes() {
    return attributes == null ? Optional.empty() : Optional.of(Set.copyOf(attributes));
  }

  /**
   * The attributes a read must fetch to fingerprint an item, given the key attributes it needs too
   * (for a projection); empty when every attribute is covered (no projection).
   */
  public Optional<SortedSet<String>> projection(Collection<String> keyAttributes) {
    if (attributes == null) {
      return Optional.empty();
    }
    SortedSet<String> all = new TreeSet<>(ItemFingerprint::compareCodePoints);
    all.addAll(attributes);
    all.addAll(keyAttributes);
    return Optional.of(all);
  }

  /**
   * The item's fingerprint.
   *
   * @throws IllegalArgumentException naming the attribute, for a value of an unknown type or a
   *     malformed number
   */
  public long of(Map<String, AttributeValue> item) {
    return Fingerprints.row(texts(item));
  }

  /**
   * The column texts the fingerprint hashes ({@code name, value} pairs by name); for tests and for
   * checking another implementation against this one.
   */
  public List<String> texts(Map<String, AttributeValue> item) {
    Map<String, AttributeValue> sorted = new TreeMap<>(ItemFingerprint::compareCodePoints);
    for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
      if (attributes == null || attributes.contains(e.getKey())) {
        sorted.put(e.getKey(), e.getValue());
      }
    }
    List<String> texts = new ArrayList<>(sorted.size() * 2);
    StringBuilder value = new StringBuilder(64);
    for (Map.Entry<String, AttributeValue> e : sorted.entrySet()) {
      texts.add(e.getKey());
      value.setLength(0);
      render(e.getValue(), e.getKey(), value);
      texts.add(value.toString());
    }
    return texts;
  }

  private static void render(AttributeValue value, String path, StringBuilder out) {
    switch (value.type()) {
      case S:
        tagged("S", value.s(), out);
        return;
      case N:
        tagged("N", number(value.n(), path), out);
        return;
      case B:
        tagged("B", base64(value.b()), out);
        return;
      case BOOL:
        tagged("BOOL", Boolean.toString(value.bool()), out);
        return;
      case NUL:
        out.append("NULL0:");
        return;
      case SS:
        set("SS", value.ss(), out);
        return;
      case NS:
        {
          List<String> numbers = new ArrayList<>(value.ns().size());
          for (String n : value.ns()) {
            numbers.add(number(n, path));
          }
          set("NS", numbers, out);
          return;
        }
      case BS:
        {
          List<String> encoded = new ArrayList<>(value.bs().size());
          for (SdkBytes b : value.bs()) {
            encoded.add(base64(b));
          }
          set("BS", encoded, out);
          return;
        }
      case L:
        {
          out.append('L').append(value.l().size()).append(':');
          int i = 0;
          for (AttributeValue element : value.l()) {
            render(element, path + "[" + i++ + "]", out);
          }
          return;
        }
      case M:
        {
          Map<String, AttributeValue> sorted = new TreeMap<>(ItemFingerprint::compareCodePoints);
          sorted.putAll(value.m());
          out.append('M').append(sorted.size()).append(':');
          for (Map.Entry<String, AttributeValue> e : sorted.entrySet()) {
            prefixed(e.getKey(), out);
            render(e.getValue(), path + "." + e.getKey(), out);
          }
          return;
        }
      default:
        throw new IllegalArgumentException(
            "attribute '" + path + "' has a type this library does not know: " + value);
    }
  }

  private static void tagged(String tag, String payload, StringBuilder out) {
    out.append(tag);
    prefixed(payload, out);
  }

  private static void prefixed(String payload, StringBuilder out) {
    out.append(payload.getBytes(StandardCharsets.UTF_8).length).append(':').append(payload);
  }

  private static void set(String tag, Collection<String> elements, StringBuilder out) {
    List<String> sorted = new ArrayList<>(elements);
    sorted.sort(ItemFingerprint::compareCodePoints);
    out.append(tag).append(sorted.size()).append(':');
    for (String element : sorted) {
      prefixed(element, out);
    }
  }

  /** A number's canonical text: plain notation, no trailing zeros, {@code 0} for zero. */
  static String number(String text, String path) {
    BigDecimal n;
    try {
      n = new BigDecimal(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "attribute '" + path + "' is not a number: '" + text + "'", e);
    }
    return n.signum() == 0 ? "0" : n.stripTrailingZeros().toPlainString();
  }

  private static String base64(SdkBytes bytes) {
    return Base64.getEncoder().encodeToString(bytes.asByteArray());
  }

  /** Code-point order, which is UTF-8 byte order (not String.compareTo's UTF-16 order). */
  static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int x = a.codePointAt(i);
      int y = b.codePointAt(j);
      if (x != y) {
        return Integer.compare(x, y);
      }
      i += Character.charCount(x);
      j += Character.charCount(y);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }
}
