package dev.driftless.postgres.types;

/**
 * A position in the text of a composite literal (an array or a range) being parsed, with the few
 * moves the parsers share. Errors name the position and what was being read.
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
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
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
