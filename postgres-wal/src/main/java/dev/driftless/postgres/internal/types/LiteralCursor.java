package dev.driftless.postgres.internal.types;

/**
 * A position in the text of a composite literal (an array or a range) being parsed, with the few
 * moves the parsers share. Errors name the position and what was being read.
 *
 * <p>Blanks are PostgreSQL's, not Java's: its array and range parsers skip only the six ASCII
 * blanks (array_isspace: space, tab, line feed, carriage return, vertical tab, form feed), and its
 * output functions quote an element only for those. Anything else Java counts as whitespace (the
 * separators U+001C to U+001F, U+2028, U+3000, ...) is part of a value.
 */
abstract class LiteralCursor {
  final String text;
  int pos;
  private final String what;

  LiteralCursor(String text, String what) {
    this.text = text;
    this.what = what;
  }

  final void skipSpaces() {
    while (pos < text.length() && isBlank(text.charAt(pos))) {
      pos++;
    }
  }

  /** Whether PostgreSQL's array and range parsers skip {@code c} around values. */
  static boolean isBlank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\u000B' || c == '\f';
  }

  final void expect(char c) {
    if (next() != c) {
      pos--;
      throw error("expected '" + c + "'");
    }
  }

  final char peek() {
    if (pos >= text.length()) {
      throw error("unexpected end of the " + what);
    }
    return text.charAt(pos);
  }

  final char next() {
    char c = peek();
    pos++;
    return c;
  }

  final IllegalArgumentException error(String problem) {
    return new IllegalArgumentException(problem + " at position " + pos);
  }
}
