package dev.driftless.postgres.internal.types;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Parses the text form of an array ({@code array_out}): nested braces, elements separated by the
 * element type's delimiter, double-quoted elements with backslash escapes, unquoted {@code NULL}
 * for null elements, and an optional dimension decoration such as {@code [2:3]=} for non-default
 * lower bounds, which is dropped: the result is a nested list indexed from zero.
 */
final class ArrayLiteral extends LiteralCursor {

  private static final Pattern DIMENSIONS = Pattern.compile("(\\[-?\\d+:-?\\d+\\])+");

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
      int end = eq;
      while (end > pos && isBlank(text.charAt(end - 1))) {
        end--;
      }
      if (eq < 0 || !DIMENSIONS.matcher(text.substring(pos, end)).matches()) {
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
    // Trailing blanks are dropped, escaped ones kept; array_in's blanks, not Java's whitespace.
    int trailingBlanks = 0;
    boolean escaped = false;
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
        trailingBlanks = 0;
        escaped = true;
      } else {
        value.append(c);
        trailingBlanks = isBlank(c) ? trailingBlanks + 1 : 0;
      }
    }
    String raw = value.substring(0, value.length() - trailingBlanks);
    if (raw.isEmpty()) {
      throw error("empty unquoted element");
    }
    // Like array_in: an unquoted, unescaped NULL in any ASCII case is a null element.
    return !escaped && isNullWord(raw) ? null : element.apply(raw);
  }

  private static boolean isNullWord(String raw) {
    if (raw.length() != 4) {
      return false;
    }
    for (int i = 0; i < 4; i++) {
      char c = raw.charAt(i);
      char lower = c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
      if (lower != "null".charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
