package dev.driftless.core;

import java.util.List;
import java.util.Objects;

/**
 * Identifies one document: the logical collection (a table, or the index it is routed to) and the
 * primary key rendered canonically.
 *
 * <p>A single-column key is its own text. A composite key joins its parts with {@code ','}, each
 * part escaped so that {@code '\\'} becomes {@code "\\\\"} and {@code ','} becomes {@code "\\,"}:
 * two different part lists of one length never render the same id.
 *
 * <p>Every key a database accepts is a key here: the id may be empty (PostgreSQL accepts {@code ''}
 * as a text primary key), as may any part of a composite (two empty parts render {@code ","}), and
 * it has no length limit. Where a store cannot take an id as it is (the search engines refuse an
 * empty {@code _id} or one over 512 bytes), the store maps it, never the key.
 *
 * @param collection the logical type, never blank
 * @param id the canonical key text, possibly empty
 */
public record DocumentKey(String collection, String id) implements Comparable<DocumentKey> {

  public DocumentKey {
    Objects.requireNonNull(collection, "collection");
    Objects.requireNonNull(id, "id");
    if (collection.isBlank()) {
      throw new IllegalArgumentException("collection must not be blank");
    }
  }

  /** A key with a single-part id. */
  public static DocumentKey of(String collection, String id) {
    return new DocumentKey(collection, id);
  }

  /** A key whose id is composed of several parts, joined unambiguously. */
  public static DocumentKey composite(String collection, List<String> parts) {
    Objects.requireNonNull(parts, "parts");
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("parts must not be empty");
    }
    if (parts.size() == 1) {
      return new DocumentKey(collection, Objects.requireNonNull(parts.get(0), "parts[0]"));
    }
    StringBuilder id = new StringBuilder();
    for (int i = 0; i < parts.size(); i++) {
      String part = parts.get(i);
      if (part == null) {
        throw new NullPointerException("parts[" + i + "]");
      }
      if (i > 0) {
        id.append(',');
      }
      for (int c = 0; c < part.length(); c++) {
        char ch = part.charAt(c);
        if (ch == '\\' || ch == ',') {
          id.append('\\');
        }
        id.append(ch);
      }
    }
    return new DocumentKey(collection, id.toString());
  }

  /**
   * The parts this id was built from by {@link #composite}, for a key of {@code expected} parts:
   * the id itself when {@code expected} is 1; otherwise the id split at unescaped commas and
   * unescaped, which yields a list of another size when the id was not built from {@code expected}
   * parts. An empty id is one empty part; {@code ","} is two.
   *
   * @throws IllegalArgumentException if {@code expected} is less than 1
   */
  public List<String> parts(int expected) {
    if (expected < 1) {
      throw new IllegalArgumentException("expected must be at least 1, was " + expected);
    }
    if (expected == 1) {
      return List.of(id);
    }
    List<String> parts = new java.util.ArrayList<>(expected);
    StringBuilder current = new StringBuilder();
    for (int i = 0; i < id.length(); i++) {
      char ch = id.charAt(i);
      if (ch == '\\' && i + 1 < id.length()) {
        current.append(id.charAt(++i));
      } else if (ch == ',') {
        parts.add(current.toString());
        current.setLength(0);
      } else {
        current.append(ch);
      }
    }
    parts.add(current.toString());
    return List.copyOf(parts);
  }

  @Override
  public int compareTo(DocumentKey other) {
    int byCollection = collection.compareTo(other.collection);
    return byCollection != 0 ? byCollection : id.compareTo(other.id);
  }

  @Override
  public String toString() {
    return collection + "/" + id;
  }
}
