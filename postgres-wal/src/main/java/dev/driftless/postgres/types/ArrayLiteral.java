package dev.driftless.postgres.types;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Parses the text form of an array ({@code array_out}): nested braces, elements separated by the
 * element type's delimiter, double-quoted elements with backslash escapes, unquoted {@code NULL}
 * for null elements, and an optional dimension decoration such as {@code [2:3]=} for non-default
 * lower bounds, which is dropped: the result is a nested list indexed from zero.
 */
final class ArrayLiteral extends LiteralCursor {

  private final char delimiter;
  private final Function<String, @Nullable Object> element;

  private ArrayLiteral(String text, char delimiter, Function<String, @Nullable Object> element) {
    super(text, "array");
    this.delimiter = delimiter;
    this.element = element;
  }

  /**
   * The array as nested lists, each non-null element text passed through {@code element}.
   *
   * @throws IllegalArgumentException if the text is not an array literal
   */
  static List<@Nullable Object> parse(
      String text, char delimiter, Function<String, @Nullable Object> element) {
    ArrayLiteral parser = new ArrayLiteral(text, delimiter, element);
    parser.skipDimensions();
    List<@Nullable Object> result = parser.array();
    parser.skipSpaces();
    if (parser.pos != text.length()) {
      throw parser.error("unexpected text after the array");
    }
    return result;
  }

  private void skipDimensions() {
    skipSpaces();
    if (pos < text.length() && text.charAt(pos) == '[') {
      int eq = text.indexOf('=', pos);
      if (eq < 0 || !text.substring(pos, eq).trim().matches("(\\[-?\\d+:-?\\d+\\])+")) {
        throw error("malformed dimension decoration");
      }
      pos = eq + 1;
      skipSpaces();
    }
  }

  private List<@Nullable Object> array() {
    expect('{');
    List<@Nullable Object> items = new ArrayList<>();
    skipSpaces();
    if (peek() == '}') {
      pos++;
      return items;
    }
    while (true) {
      skipSpaces();
      if (peek() == '{') {
        items.add(array());
      } else {
        items.add(item());
      }
      skipSpaces();
      char c = peek();
      pos++;
      if (c == '}') {
        return items;
      }
      if (c != delimiter) {
        throw error("expected '" + delimiter + "' or '}'");
      }
    }
  }

  private @Nullable Object item() {
    StringBuilder value = new StringBuilder();
    if (peek() == '"') {
      pos++;
      while (true) {
        char c = next();
        if (c == '"') {
          return element.apply(value.toString());
        }
        value.append(c == '\\' ? next() : c);
      }
    }
    int trailingSpaces = 0;
    while (true) {
      char c = peek();
      if (c == delimiter || c == '}') {
        break;
      }
      if (c == '{' || c == '"') {
        throw error("unexpected '" + c + "' in an unquoted element");
      }
      pos++;
      if (c == '\\') {
        value.append(next());
        trailingSpaces = 0;
      } else {
        value.append(c);
        trailingSpaces = Character.isWhitespace(c) ? trailingSpaces + 1 : 0;
      }
    }
    String raw = value.substring(0, value.length() - trailingSpaces);
    if (raw.isEmpty()) {
      throw error("empty unquoted element");
    }
    return raw.equalsIgnoreCase("NULL") ? null : element.apply(raw);
  }
}
