package dev.driftless.postgres.internal.types;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Parses the text form of a composite value ({@code record_out}): {@code (a,"b c",,"")}. An empty
 * field is null; a quoted empty field is the empty string; inside quotes a doubled quote stands for
 * one, and a backslash escapes the next character anywhere.
 */
final class RowLiteral {

  private RowLiteral() {}

  /**
   * The raw text of each field, null for a null field.
   *
   * @throws IllegalArgumentException if the text is not a row literal
   */
  static List<@Nullable String> parse(String text) {
    if (text.length() < 2 || text.charAt(0) != '(' || text.charAt(text.length() - 1) != ')') {
      throw new IllegalArgumentException("a row literal starts with '(' and ends with ')'");
    }
    List<@Nullable String> fields = new ArrayList<>();
    int pos = 1;
    int end = text.length() - 1;
    while (true) {
      StringBuilder value = new StringBuilder();
      boolean quoted = false;
      boolean sawAny = false;
      while (pos < end) {
        char c = text.charAt(pos);
        if (!quoted && c == ',') {
          break;
        }
        sawAny = true;
        pos++;
        if (c == '\\') {
          if (pos >= end) {
            throw new IllegalArgumentException("backslash at the end of the row");
          }
          value.append(text.charAt(pos++));
        } else if (c == '"') {
          if (quoted && pos < end && text.charAt(pos) == '"') {
            value.append('"');
            pos++;
          } else {
            quoted = !quoted;
          }
        } else {
          value.append(c);
        }
      }
      if (quoted) {
        throw new IllegalArgumentException("unterminated quoted field in the row");
      }
      fields.add(sawAny ? value.toString() : null);
      if (pos >= end) {
        return fields;
      }
      pos++; // the comma
    }
  }
}
