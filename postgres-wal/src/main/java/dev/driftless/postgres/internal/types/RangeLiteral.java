package dev.driftless.postgres.internal.types;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Parses the text form of ranges ({@code range_out}: {@code [1,5)}, {@code (,"b c"]}, {@code
 * empty}) and multiranges ({@code multirange_out}: <code>{[1,3),[5,7)}</code>). A missing bound is
 * unbounded (null); bounds are quoted and escaped like row fields.
 */
final class RangeLiteral extends LiteralCursor {

  /** One parsed range; bounds are raw text, null when unbounded. */
  record Parts(
      boolean empty,
      @Nullable String lower,
      @Nullable String upper,
      boolean lowerInclusive,
      boolean upperInclusive) {}

  private static final Parts EMPTY = new Parts(true, null, null, false, false);

  private RangeLiteral(String text) {
    super(text, "range");
  }

  /**
   * @throws IllegalArgumentException if the text is not a range literal
   */
  static Parts parseRange(String text) {
    RangeLiteral parser = new RangeLiteral(text);
    Parts parts = parser.range();
    parser.skipSpaces();
    if (parser.pos != text.length()) {
      throw parser.error("unexpected text after the range");
    }
    return parts;
  }

  /**
   * @throws IllegalArgumentException if the text is not a multirange literal
   */
  static List<Parts> parseMultirange(String text) {
    RangeLiteral parser = new RangeLiteral(text);
    List<Parts> ranges = new ArrayList<>();
    parser.skipSpaces();
    parser.expect('{');
    parser.skipSpaces();
    if (parser.peek() == '}') {
      parser.pos++;
    } else {
      while (true) {
        parser.skipSpaces();
        ranges.add(parser.range());
        parser.skipSpaces();
        char c = parser.next();
        if (c == '}') {
          break;
        }
        if (c != ',') {
          parser.pos--;
          throw parser.error("expected ',' or '}'");
        }
      }
    }
    parser.skipSpaces();
    if (parser.pos != text.length()) {
      throw parser.error("unexpected text after the multirange");
    }
    return ranges;
  }

  private Parts range() {
    skipSpaces();
    if (text.regionMatches(true, pos, "empty", 0, 5)) {
      pos += 5;
      return EMPTY;
    }
    char open = next();
    if (open != '[' && open != '(') {
      pos--;
      throw error("expected '[', '(' or 'empty'");
    }
    String lower = bound();
    expect(',');
    String upper = bound();
    char close = next();
    if (close != ']' && close != ')') {
      pos--;
      throw error("expected ']' or ')'");
    }
    return new Parts(false, lower, upper, open == '[', close == ']');
  }

  private @Nullable String bound() {
    StringBuilder value = new StringBuilder();
    boolean quoted = false;
    boolean sawAny = false;
    while (true) {
      char c = peek();
      if (!quoted && (c == ',' || c == ']' || c == ')')) {
        return sawAny ? value.toString() : null;
      }
      sawAny = true;
      pos++;
      if (c == '\\') {
        value.append(next());
      } else if (c == '"') {
        if (quoted && pos < text.length() && text.charAt(pos) == '"') {
          value.append('"');
          pos++;
        } else {
          quoted = !quoted;
        }
      } else {
        value.append(c);
      }
    }
  }
}
