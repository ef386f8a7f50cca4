package dev.driftless.core;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * An immutable JSON-like document built from JDK values only.
 *
 * <p>Allowed values are {@code null}, {@link String}, {@link Boolean}, {@link Integer}, {@link
 * Long}, {@link Short}, {@link Byte}, {@link BigInteger}, {@link BigDecimal}, {@link Double},
 * {@link Float} (including NaN and the infinities, which sinks render as strings), {@link List} of
 * allowed values and {@link Map} with {@link String} keys and allowed values. Anything else is
 * refused when the document is built, so a document can always be serialised.
 *
 * <p>Field order is kept. Nested lists and maps are copied and made unmodifiable.
 *
 * <p>A document may carry a row <em>fingerprint</em>: a 64-bit hash of the source row that the
 * source computes and reconciliation compares against the database (see {@code docs/}).
 */
public final class Document {

  private static final Document EMPTY = new Document(Map.of(), OptionalLong.empty(), 2);

  private final Map<String, @Nullable Object> fields;
  private final OptionalLong fingerprint;
  private final long estimatedBytes;

  private Document(Map<String, @Nullable Object> fields, OptionalLong fingerprint, long bytes) {
    this.fields = fields;
    this.fingerprint = fingerprint;
    this.estimatedBytes = bytes;
  }

  /** The document without fields. */
  public static Document empty() {
    return EMPTY;
  }

  /**
   * A document with a deep, validated copy of {@code fields}.
   *
   * @throws IllegalArgumentException if a value (at any depth) is not an allowed type, naming its
   *     path
   */
  public static Document of(Map<String, ? extends @Nullable Object> fields) {
    Objects.requireNonNull(fields, "fields");
    long[] size = {2};
    Map<String, @Nullable Object> copy = copyMap(fields, "", size);
    return new Document(copy, OptionalLong.empty(), size[0]);
  }

  /** A document of alternating field names and values: {@code of("id", 1, "name", "x")}. */
  public static Document of(@Nullable Object... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("namesAndValues must alternate names and values");
    }
    Map<String, @Nullable Object> map = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      if (!(namesAndValues[i] instanceof String name)) {
        throw new IllegalArgumentException("field name at position " + i + " is not a String");
      }
      map.put(name, namesAndValues[i + 1]);
    }
    return of(map);
  }

  /** The fields, in insertion order. Unmodifiable; nested values are unmodifiable too. */
  public Map<String, @Nullable Object> fields() {
    return fields;
  }

  /** The value of a top-level field, or {@code null} when absent or null. */
  public @Nullable Object get(String field) {
    return fields.get(field);
  }

  public boolean has(String field) {
    return fields.containsKey(field);
  }

  /** The row fingerprint the source computed, if any. */
  public OptionalLong fingerprint() {
    return fingerprint;
  }

  /** This document carrying the given row fingerprint. */
  public Document withFingerprint(long rowFingerprint) {
    return new Document(fields, OptionalLong.of(rowFingerprint), estimatedBytes);
  }

  /** This document without a fingerprint. */
  public Document withoutFingerprint() {
    return fingerprint.isEmpty()
        ? this
        : new Document(fields, OptionalLong.empty(), estimatedBytes);
  }

  /**
   * A cheap estimate of the document's size as JSON, in bytes; what the pipeline's byte bounds
   * count. It is computed once, when the document is built.
   */
  public long estimatedSizeBytes() {
    return estimatedBytes;
  }

  private static Map<String, @Nullable Object> copyMap(
      Map<?, ? extends @Nullable Object> source, String path, long[] size) {
    Map<String, @Nullable Object> copy = new LinkedHashMap<>(Math.max(4, source.size() * 2));
    for (Map.Entry<?, ? extends @Nullable Object> e : source.entrySet()) {
      if (!(e.getKey() instanceof String name)) {
        throw new IllegalArgumentException(
            "field names must be strings, found " + describe(e.getKey()) + " at '" + path + "'");
      }
      String childPath = path.isEmpty() ? name : path + "." + name;
      size[0] += name.length() + 4;
      copy.put(name, copyValue(e.getValue(), childPath, size));
    }
    return Collections.unmodifiableMap(copy);
  }

  private static @Nullable Object copyValue(@Nullable Object value, String path, long[] size) {
    if (value == null) {
      size[0] += 4;
      return null;
    }
    if (value instanceof String s) {
      size[0] += s.length() + 2L;
      return s;
    }
    if (value instanceof Boolean
        || value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte
        || value instanceof Double
        || value instanceof Float) {
      size[0] += 8;
      return value;
    }
    if (value instanceof BigDecimal || value instanceof BigInteger) {
      size[0] += value.toString().length();
      return value;
    }
    if (value instanceof Map<?, ?> map) {
      size[0] += 2;
      return copyMap(map, path, size);
    }
    if (value instanceof List<?> list) {
      size[0] += 2;
      List<@Nullable Object> copy = new ArrayList<>(list.size());
      for (int i = 0; i < list.size(); i++) {
        copy.add(copyValue(list.get(i), path + "[" + i + "]", size));
        size[0] += 1;
      }
      return Collections.unmodifiableList(copy);
    }
    throw new IllegalArgumentException(
        "unsupported value type " + describe(value) + " at '" + path + "'");
  }

  private static String describe(@Nullable Object o) {
    return o == null ? "null" : o.getClass().getName();
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Document other
        && fields.equals(other.fields)
        && fingerprint.equals(other.fingerprint);
  }

  @Override
  public int hashCode() {
    return fields.hashCode() * 31 + fingerprint.hashCode();
  }

  @Override
  public String toString() {
    return "Document" + fields;
  }
}
