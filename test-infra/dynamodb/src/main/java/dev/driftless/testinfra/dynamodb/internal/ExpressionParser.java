package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Parses condition, filter, projection and update expressions into small trees, resolving {@code
 * #name} and {@code :value} placeholders on the way. Covers comparisons, BETWEEN, IN, AND/OR/NOT,
 * the functions attribute_exists, attribute_not_exists, attribute_type, begins_with, contains and
 * size, and update clauses SET (with +, -, if_not_exists, list_append), REMOVE, ADD and DELETE on
 * nested document paths.
 */
final class ExpressionParser {

  /** A document path: attribute names and list indexes. */
  record Path(List<Object> segments) {
    String top() {
      return (String) segments.get(0);
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder();
      for (Object s : segments) {
        if (s instanceof Integer i) {
          b.append('[').append(i).append(']');
        } else {
          b.append(b.length() == 0 ? "" : ".").append(s);
        }
      }
      return b.toString();
    }
  }

  sealed interface Operand {}

  record PathOperand(Path path) implements Operand {}

  record ValueOperand(JsonNode value) implements Operand {}

  record SizeOperand(Path path) implements Operand {}

  record IfNotExists(Path path, Operand fallback) implements Operand {}

  record ListAppend(Operand first, Operand second) implements Operand {}

  record Arithmetic(Operand left, char op, Operand right) implements Operand {}

  sealed interface Condition {}

  record And(Condition left, Condition right) implements Condition {}

  record Or(Condition left, Condition right) implements Condition {}

  record Not(Condition inner) implements Condition {}

  record Compare(String op, Operand left, Operand right) implements Condition {}

  record Between(Operand value, Operand low, Operand high) implements Condition {}

  record In(Operand value, List<Operand> candidates) implements Condition {}

  record Function(String name, List<Operand> args) implements Condition {}

  record SetAction(Path path, Operand value) {}

  record ValueAction(Path path, JsonNode value) {}

  record Update(
      List<SetAction> sets,
      List<Path> removes,
      List<ValueAction> adds,
      List<ValueAction> deletes) {}

  private final List<String> tokens;
  private final @Nullable JsonNode names;
  private final @Nullable JsonNode values;
  private final String what;
  private int pos;

  private ExpressionParser(
      String text, @Nullable JsonNode names, @Nullable JsonNode values, String what) {
    this.tokens = tokenize(text, what);
    this.names = names;
    this.values = values;
    this.what = what;
  }

  static Condition condition(
      String text, @Nullable JsonNode names, @Nullable JsonNode values, String what) {
    ExpressionParser p = new ExpressionParser(text, names, values, what);
    Condition c = p.or();
    p.expectEnd();
    return c;
  }

  static List<Path> projection(String text, @Nullable JsonNode names) {
    ExpressionParser p = new ExpressionParser(text, names, null, "ProjectionExpression");
    List<Path> paths = new ArrayList<>();
    paths.add(p.path());
    while (p.accept(",")) {
      paths.add(p.path());
    }
    p.expectEnd();
    return paths;
  }

  static Update update(String text, @Nullable JsonNode names, @Nullable JsonNode values) {
    ExpressionParser p = new ExpressionParser(text, names, values, "UpdateExpression");
    Update u =
        new Update(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    if (p.atEnd()) {
      throw p.error("the expression is empty");
    }
    while (!p.atEnd()) {
      String clause = p.next().toUpperCase(Locale.ROOT);
      switch (clause) {
        case "SET" -> {
          do {
            Path path = p.path();
            p.expect("=");
            u.sets.add(new SetAction(path, p.setValue()));
          } while (p.accept(","));
        }
        case "REMOVE" -> {
          do {
            u.removes.add(p.path());
          } while (p.accept(","));
        }
        case "ADD", "DELETE" -> {
          do {
            Path path = p.path();
            Operand v = p.operand();
            if (!(v instanceof ValueOperand value)) {
              throw p.error(clause + " needs an expression attribute value");
            }
            (clause.equals("ADD") ? u.adds : u.deletes).add(new ValueAction(path, value.value));
          } while (p.accept(","));
        }
        default -> throw p.error("unexpected token " + clause);
      }
    }
    return u;
  }

  // --- conditions ---

  private Condition or() {
    Condition c = and();
    while (acceptKeyword("OR")) {
      c = new Or(c, and());
    }
    return c;
  }

  private Condition and() {
    Condition c = not();
    while (acceptKeyword("AND")) {
      c = new And(c, not());
    }
    return c;
  }

  private Condition not() {
    if (acceptKeyword("NOT")) {
      return new Not(not());
    }
    return primary();
  }

  private Condition primary() {
    if (accept("(")) {
      Condition c = or();
      expect(")");
      return c;
    }
    String t = peek();
    String lower = t.toLowerCase(Locale.ROOT);
    if (List.of(
                "attribute_exists",
                "attribute_not_exists",
                "attribute_type",
                "begins_with",
                "contains")
            .contains(lower)
        && "(".equals(peekAt(pos + 1))) {
      next();
      expect("(");
      List<Operand> args = new ArrayList<>();
      args.add(operand());
      while (accept(",")) {
        args.add(operand());
      }
      expect(")");
      int arity = lower.startsWith("attribute_") && !lower.equals("attribute_type") ? 1 : 2;
      if (args.size() != arity) {
        throw error(lower + " takes " + arity + " operand(s)");
      }
      return new Function(lower, args);
    }
    Operand left = operand();
    if (acceptKeyword("BETWEEN")) {
      Operand low = operand();
      if (!acceptKeyword("AND")) {
        throw error("BETWEEN needs AND");
      }
      return new Between(left, low, operand());
    }
    if (acceptKeyword("IN")) {
      expect("(");
      List<Operand> candidates = new ArrayList<>();
      candidates.add(operand());
      while (accept(",")) {
        candidates.add(operand());
      }
      expect(")");
      return new In(left, candidates);
    }
    String op = next();
    if (!List.of("=", "<>", "<", "<=", ">", ">=").contains(op)) {
      throw error("expected a comparator, found " + op);
    }
    return new Compare(op, left, operand());
  }

  private Operand operand() {
    String t = peek();
    if (t.startsWith(":")) {
      next();
      return new ValueOperand(value(t));
    }
    if (t.equalsIgnoreCase("size") && "(".equals(peekAt(pos + 1))) {
      next();
      expect("(");
      Path p = path();
      expect(")");
      return new SizeOperand(p);
    }
    return new PathOperand(path());
  }

  private Operand setValue() {
    Operand left = setOperand();
    if (accept("+")) {
      return new Arithmetic(left, '+', setOperand());
    }
    if (accept("-")) {
      return new Arithmetic(left, '-', setOperand());
    }
    return left;
  }

  private Operand setOperand() {
    String t = peek().toLowerCase(Locale.ROOT);
    if (t.equals("if_not_exists") && "(".equals(peekAt(pos + 1))) {
      next();
      expect("(");
      Path p = path();
      expect(",");
      Operand fallback = setValue();
      expect(")");
      return new IfNotExists(p, fallback);
    }
    if (t.equals("list_append") && "(".equals(peekAt(pos + 1))) {
      next();
      expect("(");
      Operand a = setValue();
      expect(",");
      Operand b = setValue();
      expect(")");
      return new ListAppend(a, b);
    }
    return operand();
  }

  private Path path() {
    List<Object> segs = new ArrayList<>();
    segs.add(name(next()));
    while (true) {
      if (accept(".")) {
        segs.add(name(next()));
      } else if (accept("[")) {
        String n = next();
        try {
          segs.add(Integer.parseInt(n));
        } catch (NumberFormatException e) {
          throw error("a list index must be a number, found " + n);
        }
        expect("]");
      } else {
        return new Path(segs);
      }
    }
  }

  private String name(String token) {
    if (token.startsWith("#")) {
      JsonNode n = names == null ? null : names.get(token);
      if (n == null) {
        throw ApiError.validation(
            "Invalid "
                + what
                + ": An expression attribute name used in the document path is not defined; attribute name: "
                + token);
      }
      return n.asText();
    }
    if (!Character.isLetter(token.charAt(0)) && token.charAt(0) != '_') {
      throw error("expected an attribute name, found " + token);
    }
    return token;
  }

  private JsonNode value(String token) {
    JsonNode v = values == null ? null : values.get(token);
    if (v == null) {
      throw ApiError.validation(
          "Invalid "
              + what
              + ": An expression attribute value used in expression is not defined; attribute value: "
              + token);
    }
    return Attributes.normalise(v, token);
  }

  // --- tokens ---

  private static List<String> tokenize(String s, String what) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if ("()[],.=+-".indexOf(c) >= 0) {
        out.add(String.valueOf(c));
        i++;
      } else if (c == '<' || c == '>') {
        if (i + 1 < s.length()
            && (s.charAt(i + 1) == '=' || (c == '<' && s.charAt(i + 1) == '>'))) {
          out.add(s.substring(i, i + 2));
          i += 2;
        } else {
          out.add(String.valueOf(c));
          i++;
        }
      } else if (Character.isLetterOrDigit(c) || c == '_' || c == '#' || c == ':') {
        int j = i + 1;
        while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
          j++;
        }
        out.add(s.substring(i, j));
        i = j;
      } else {
        throw ApiError.validation("Invalid " + what + ": Syntax error; token: \"" + c + "\"");
      }
    }
    return out;
  }

  private boolean atEnd() {
    return pos >= tokens.size();
  }

  private String peek() {
    if (atEnd()) {
      throw error("unexpected end of expression");
    }
    return tokens.get(pos);
  }

  private @Nullable String peekAt(int i) {
    return i < tokens.size() ? tokens.get(i) : null;
  }

  private String next() {
    String t = peek();
    pos++;
    return t;
  }

  private boolean accept(String t) {
    if (!atEnd() && tokens.get(pos).equals(t)) {
      pos++;
      return true;
    }
    return false;
  }

  private boolean acceptKeyword(String k) {
    if (!atEnd() && tokens.get(pos).equalsIgnoreCase(k)) {
      pos++;
      return true;
    }
    return false;
  }

  private void expect(String t) {
    if (!accept(t)) {
      throw error("expected " + t + (atEnd() ? " at end" : ", found " + tokens.get(pos)));
    }
  }

  private void expectEnd() {
    if (!atEnd()) {
      throw error("unexpected token " + tokens.get(pos));
    }
  }

  private ApiError error(String detail) {
    return ApiError.validation("Invalid " + what + ": Syntax error; " + detail);
  }
}
