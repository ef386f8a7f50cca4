package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.And;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.Arithmetic;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.Between;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.Compare;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.Condition;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.Function;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.IfNotExists;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.In;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.ListAppend;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.Not;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.Operand;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.Or;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.Path;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.PathOperand;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.SetAction;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.SizeOperand;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.Update;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.ValueAction;
import dev.driftless.testinfra.dynamodb.internal.ExpressionParser.ValueOperand;
import java.math.BigDecimal;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Evaluates parsed expressions against an item (a map of attribute values). */
final class ExpressionEvaluator {
  private ExpressionEvaluator() {}

  static boolean test(Condition c, @Nullable JsonNode item) {
    JsonNode it = item == null ? Json.object() : item;
    if (c instanceof And a) {
      return test(a.left(), it) && test(a.right(), it);
    }
    if (c instanceof Or o) {
      return test(o.left(), it) || test(o.right(), it);
    }
    if (c instanceof Not n) {
      return !test(n.inner(), it);
    }
    if (c instanceof Compare cmp) {
      JsonNode l = value(cmp.left(), it);
      JsonNode r = value(cmp.right(), it);
      return switch (cmp.op()) {
        case "=" -> l != null && r != null && Attributes.equal(l, r);
        case "<>" -> l != null && r != null && !Attributes.equal(l, r);
        default -> {
          Integer o = Attributes.compare(l, r);
          yield o != null
              && switch (cmp.op()) {
                case "<" -> o < 0;
                case "<=" -> o <= 0;
                case ">" -> o > 0;
                default -> o >= 0;
              };
        }
      };
    }
    if (c instanceof Between b) {
      JsonNode v = value(b.value(), it);
      Integer lo = Attributes.compare(v, value(b.low(), it));
      Integer hi = Attributes.compare(v, value(b.high(), it));
      return lo != null && hi != null && lo >= 0 && hi <= 0;
    }
    if (c instanceof In in) {
      JsonNode v = value(in.value(), it);
      return v != null && in.candidates().stream().anyMatch(x -> Attributes.equal(v, value(x, it)));
    }
    return function((Function) c, it);
  }

  private static boolean function(Function f, JsonNode it) {
    List<Operand> args = f.args();
    JsonNode first = value(args.get(0), it);
    return switch (f.name()) {
      case "attribute_exists" -> first != null;
      case "attribute_not_exists" -> first == null;
      case "attribute_type" -> {
        JsonNode t = value(args.get(1), it);
        yield first != null && t != null && Attributes.type(first).equals(t.path("S").asText());
      }
      case "begins_with" -> beginsWith(first, value(args.get(1), it));
      default -> contains(first, value(args.get(1), it));
    };
  }

  private static boolean beginsWith(@Nullable JsonNode value, @Nullable JsonNode prefix) {
    if (value == null
        || prefix == null
        || !Attributes.type(value).equals(Attributes.type(prefix))) {
      return false;
    }
    return switch (Attributes.type(value)) {
      case "S" -> value.get("S").asText().startsWith(prefix.get("S").asText());
      case "B" -> startsWith(Attributes.bytes(value), Attributes.bytes(prefix));
      default -> false;
    };
  }

  private static boolean contains(@Nullable JsonNode haystack, @Nullable JsonNode needle) {
    if (haystack == null || needle == null) {
      return false;
    }
    String type = Attributes.type(haystack);
    switch (type) {
      case "S" -> {
        return Attributes.type(needle).equals("S")
            && haystack.get("S").asText().contains(needle.get("S").asText());
      }
      case "SS", "NS", "BS" -> {
        String elementType = type.substring(0, 1);
        for (JsonNode el : haystack.get(type)) {
          ObjectNode av = Json.object();
          av.set(elementType, el);
          if (Attributes.equal(av, needle)) {
            return true;
          }
        }
        return false;
      }
      case "L" -> {
        for (JsonNode el : haystack.get("L")) {
          if (Attributes.equal(el, needle)) {
            return true;
          }
        }
        return false;
      }
      default -> {
        return false;
      }
    }
  }

  private static boolean startsWith(byte[] a, byte[] prefix) {
    if (prefix.length > a.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (a[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  static @Nullable JsonNode value(Operand o, JsonNode item) {
    if (o instanceof ValueOperand v) {
      return v.value();
    }
    if (o instanceof PathOperand p) {
      return resolve(item, p.path());
    }
    if (o instanceof SizeOperand s) {
      JsonNode v = resolve(item, s.path());
      if (v == null) {
        return null;
      }
      String t = Attributes.type(v);
      long size =
          switch (t) {
            case "S" -> v.get("S").asText().length();
            case "B" -> Attributes.bytes(v).length;
            case "SS", "NS", "BS", "L", "M" -> v.get(t).size();
            default -> -1;
          };
      return size < 0 ? null : number(BigDecimal.valueOf(size));
    }
    if (o instanceof IfNotExists i) {
      JsonNode v = resolve(item, i.path());
      return v != null ? v : value(i.fallback(), item);
    }
    if (o instanceof ListAppend la) {
      JsonNode a = value(la.first(), item);
      JsonNode b = value(la.second(), item);
      if (a == null || b == null || !a.has("L") || !b.has("L")) {
        throw ApiError.validation(
            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append");
      }
      ObjectNode out = Json.object();
      ArrayNode arr = out.putArray("L");
      a.get("L").forEach(arr::add);
      b.get("L").forEach(arr::add);
      return out;
    }
    Arithmetic ar = (Arithmetic) o;
    JsonNode l = value(ar.left(), item);
    JsonNode r = value(ar.right(), item);
    if (l == null || r == null) {
      throw ApiError.validation(
          "The provided expression refers to an attribute that does not exist in the item");
    }
    if (!l.has("N") || !r.has("N")) {
      throw ApiError.validation(
          "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: "
              + ar.op());
    }
    BigDecimal x = new BigDecimal(l.get("N").asText());
    BigDecimal y = new BigDecimal(r.get("N").asText());
    return number(ar.op() == '+' ? x.add(y) : x.subtract(y));
  }

  private static JsonNode number(BigDecimal d) {
    ObjectNode n = Json.object();
    n.put("N", Attributes.number(d.toPlainString(), "result"));
    return n;
  }

  /** The value at a document path, or null when absent. */
  static @Nullable JsonNode resolve(JsonNode item, Path path) {
    JsonNode cur = item.get(path.top());
    for (int i = 1; i < path.segments().size() && cur != null; i++) {
      Object seg = path.segments().get(i);
      if (seg instanceof Integer idx) {
        JsonNode l = cur.get("L");
        cur = l == null || idx >= l.size() ? null : l.get(idx);
      } else {
        JsonNode m = cur.get("M");
        cur = m == null ? null : m.get((String) seg);
      }
    }
    return cur;
  }

  /** Applies an update to a copy of the item (the key attributes may not change). */
  static ObjectNode apply(Update u, @Nullable ObjectNode item) {
    ObjectNode base = item == null ? Json.object() : item;
    ObjectNode out = base.deepCopy();
    for (SetAction s : u.sets()) {
      JsonNode v = value(s.value(), base);
      if (v == null) {
        throw ApiError.validation(
            "The provided expression refers to an attribute that does not exist in the item");
      }
      put(out, s.path(), v.deepCopy());
    }
    for (Path p : u.removes()) {
      remove(out, p);
    }
    for (ValueAction a : u.adds()) {
      JsonNode cur = resolve(out, a.path());
      String t = Attributes.type(a.value());
      if (t.equals("N")) {
        BigDecimal base2 = BigDecimal.ZERO;
        if (cur != null) {
          if (!cur.has("N")) {
            throw typeMismatch("ADD");
          }
          base2 = new BigDecimal(cur.get("N").asText());
        }
        put(out, a.path(), number(base2.add(new BigDecimal(a.value().get("N").asText()))));
      } else if (t.equals("SS") || t.equals("NS") || t.equals("BS")) {
        Set<String> set = new LinkedHashSet<>();
        if (cur != null) {
          if (!cur.has(t)) {
            throw typeMismatch("ADD");
          }
          cur.get(t).forEach(n -> set.add(n.asText()));
        }
        a.value().get(t).forEach(n -> set.add(n.asText()));
        put(out, a.path(), setValue(t, set));
      } else {
        throw typeMismatch("ADD");
      }
    }
    for (ValueAction d : u.deletes()) {
      JsonNode cur = resolve(out, d.path());
      String t = Attributes.type(d.value());
      if (cur == null) {
        continue;
      }
      if (!cur.has(t) || !(t.equals("SS") || t.equals("NS") || t.equals("BS"))) {
        throw typeMismatch("DELETE");
      }
      Set<String> set = new LinkedHashSet<>();
      cur.get(t).forEach(n -> set.add(n.asText()));
      if (t.equals("NS")) {
        Set<BigDecimal> gone = Attributes.numberSet(d.value().get(t));
        set.removeIf(n -> gone.contains(new BigDecimal(n).stripTrailingZeros()));
      } else {
        set.removeAll(Attributes.textSet(d.value().get(t)));
      }
      if (set.isEmpty()) {
        remove(out, d.path());
      } else {
        put(out, d.path(), setValue(t, set));
      }
    }
    return out;
  }

  private static JsonNode setValue(String type, Set<String> elements) {
    ObjectNode n = Json.object();
    ArrayNode arr = n.putArray(type);
    elements.forEach(arr::add);
    return n;
  }

  private static ApiError typeMismatch(String op) {
    return ApiError.validation(
        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: "
            + op);
  }

  private static void put(ObjectNode item, Path path, JsonNode v) {
    List<Object> segs = path.segments();
    if (segs.size() == 1) {
      item.set(path.top(), v);
      return;
    }
    JsonNode parent = resolve(item, new Path(segs.subList(0, segs.size() - 1)));
    Object last = segs.get(segs.size() - 1);
    if (parent == null) {
      throw ApiError.validation(
          "The document path provided in the update expression is invalid for update");
    }
    if (last instanceof Integer idx && parent.has("L")) {
      ArrayNode l = (ArrayNode) parent.get("L");
      if (idx < l.size()) {
        l.set(idx, v);
      } else {
        l.add(v);
      }
    } else if (last instanceof String name && parent.has("M")) {
      ((ObjectNode) parent.get("M")).set(name, v);
    } else {
      throw ApiError.validation(
          "The document path provided in the update expression is invalid for update");
    }
  }

  private static void remove(ObjectNode item, Path path) {
    List<Object> segs = path.segments();
    if (segs.size() == 1) {
      item.remove(path.top());
      return;
    }
    JsonNode parent = resolve(item, new Path(segs.subList(0, segs.size() - 1)));
    Object last = segs.get(segs.size() - 1);
    if (parent == null) {
      return;
    }
    if (last instanceof Integer idx && parent.has("L")) {
      ArrayNode l = (ArrayNode) parent.get("L");
      if (idx < l.size()) {
        l.remove(idx);
      }
    } else if (last instanceof String name && parent.has("M")) {
      ((ObjectNode) parent.get("M")).remove(name);
    }
  }

  /** Keeps only the projected paths of an item (top-level granularity for nested paths). */
  static ObjectNode project(ObjectNode item, List<Path> paths) {
    ObjectNode out = Json.object();
    for (Path p : paths) {
      JsonNode v = item.get(p.top());
      if (v != null) {
        out.set(p.top(), v);
      }
    }
    return out;
  }
}
