package dev.driftless.postgres.internal.types;

import dev.driftless.core.RetriableException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Turns a column value in PostgreSQL's text format, as pgoutput sends it, into a JDK value that a
 * {@link dev.driftless.core.Document} accepts and that {@link dev.driftless.core.DocumentJson}
 * writes faithfully. {@code docs/postgres-types.md} lists the form of every type; in short:
 *
 * <ul>
 *   <li>int2/int4 to {@link Integer}; int8, oid to {@link Long}; numeric to an exact {@link
 *       java.math.BigDecimal} (its {@code NaN}, {@code Infinity}, {@code -Infinity} to those
 *       strings); float4/float8 to {@link Float}/{@link Double}, NaN and infinities included;
 *       boolean to {@link Boolean};
 *   <li>date, time, timetz, timestamp to ISO-8601 strings; timestamptz to an ISO-8601 UTC instant
 *       ending in {@code Z}; interval to an ISO-8601 duration; {@code infinity} stays a string;
 *   <li>bytea to base64; json/jsonb to nested {@link Map}/{@link List}/values;
 *   <li>arrays to (nested) lists; composites to a map of attribute name to value; ranges to a map
 *       with {@code lower}, {@code upper}, {@code lowerInclusive}, {@code upperInclusive} (or
 *       {@code {"empty": true}}); multiranges to a list of those; domains as their base type;
 *   <li>everything else (text types, uuid, enums, money, network and bit-string types, geometric
 *       types, xml, tsvector, types of extensions, unknown oids) as the text PostgreSQL printed.
 * </ul>
 *
 * <p><b>Session settings assumed</b> (those of the walsender that runs pgoutput): {@code DateStyle
 * = ISO} (PostgreSQL's default; the only style whose output this decoder reads), {@code
 * IntervalStyle = postgres} (the default), {@code extra_float_digits} of at least 1 (the default
 * since PostgreSQL 12, which prints the shortest text that reads back exactly) and {@code
 * bytea_output = hex} (the default; {@code escape} is read too). {@code TimeZone} may be anything:
 * offsets are printed with each value and timestamptz is converted to UTC. {@code lc_monetary}
 * shapes money's text, which is why money stays a string.
 *
 * <p><b>Threading.</b> Thread-safe if its {@link TypeRegistry} is (the registry is). Called from
 * the source's poll thread; decoding a value of a type not seen before may block on a catalog
 * query.
 *
 * <p><b>Failures.</b> Text that is malformed for a known type throws {@link ValueDecodingException}
 * naming the type and the value: a poison failure, the event is dead-lettered. A catalog lookup
 * that fails throws {@link RetriableException}: an outage. Values of unknown types never fail: they
 * are kept as text.
 */
public final class ValueDecoder {

  private static final int MAX_NESTING = 64;

  private final TypeRegistry registry;

  public ValueDecoder(TypeRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  /** The registry this decoder resolves oids with. */
  public TypeRegistry registry() {
    return registry;
  }

  /**
   * Decodes one column value.
   *
   * @param typeOid the column's type oid (pgoutput's RELATION message)
   * @param typmod the column's type modifier, -1 if none; the text already reflects it, so it is
   *     not needed by any type decoded today
   * @param text the value's text, or {@code null} for SQL NULL
   * @return the value, {@code null} for SQL NULL (and for a JSON {@code null} in json/jsonb)
   * @throws ValueDecodingException if {@code text} is malformed for its type
   * @throws RetriableException if the type had to be looked up and the catalog query failed
   */
  public @Nullable Object decode(int typeOid, int typmod, @Nullable String text) {
    if (text == null) {
      return null;
    }
    return decode(typeOid, text, 0);
  }

  private @Nullable Object decode(int oid, String text, int depth) {
    PgType type = registry.resolve(oid);
    if (depth > MAX_NESTING) {
      throw new ValueDecodingException(
          type.name(), text, "nested more than " + MAX_NESTING + " levels", null);
    }
    try {
      if (type instanceof PgType.Scalar scalar) {
        return ScalarText.decode(scalar.kind(), text);
      } else if (type instanceof PgType.Domain domain) {
        return decode(domain.baseOid(), text, depth + 1);
      } else if (type instanceof PgType.Array array) {
        return ArrayLiteral.parse(
            text, array.delimiter(), element -> decode(array.elementOid(), element, depth + 1));
      } else if (type instanceof PgType.Composite composite) {
        return composite(composite, text, depth, true);
      } else if (type instanceof PgType.Range range) {
        return range(RangeLiteral.parseRange(text), range.subtypeOid(), depth);
      } else if (type instanceof PgType.Multirange multirange) {
        int subtype = subtypeOf(multirange);
        List<@Nullable Object> ranges = new ArrayList<>();
        for (RangeLiteral.Parts parts : RangeLiteral.parseMultirange(text)) {
          ranges.add(range(parts, subtype, depth));
        }
        return Collections.unmodifiableList(ranges);
      }
      throw new AssertionError("unhandled type " + type);
    } catch (ValueDecodingException e) {
      if (depth > 0 || e.typeName().equals(type.name())) {
        throw e;
      }
      // Name the column's own type too: "cannot decode _int4 value '{1,x}': cannot decode int4".
      throw new ValueDecodingException(type.name(), text, String.valueOf(e.getMessage()), e);
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new ValueDecodingException(type.name(), text, String.valueOf(e.getMessage()), e);
    }
  }

  private Map<String, @Nullable Object> composite(
      PgType.Composite composite, String text, int depth, boolean mayRefresh) {
    List<PgType.Attribute> attributes = composite.attributes();
    List<@Nullable String> fields = RowLiteral.parse(text);
    if (attributes.isEmpty() && fields.size() == 1 && fields.get(0) == null) {
      return Map.of(); // "()" of a type without attributes
    }
    if (fields.size() != attributes.size()) {
      if (mayRefresh) {
        // The type may have changed since it was cached: read it again, once.
        registry.invalidate(composite.oid());
        if (registry.resolve(composite.oid()) instanceof PgType.Composite fresh) {
          return composite(fresh, text, depth, false);
        }
      }
      throw new IllegalArgumentException(
          "the row has "
              + fields.size()
              + " fields but the type has "
              + attributes.size()
              + " attributes");
    }
    Map<String, @Nullable Object> map = new LinkedHashMap<>();
    for (int i = 0; i < fields.size(); i++) {
      String field = fields.get(i);
      PgType.Attribute attribute = attributes.get(i);
      map.put(
          attribute.name(), field == null ? null : decode(attribute.typeOid(), field, depth + 1));
    }
    return Collections.unmodifiableMap(map);
  }

  private int subtypeOf(PgType.Multirange multirange) {
    PgType range = registry.resolve(multirange.rangeOid());
    if (range instanceof PgType.Range r) {
      return r.subtypeOid();
    }
    throw new IllegalArgumentException(
        "the multirange's range type " + range.name() + " is not a range");
  }

  private Map<String, @Nullable Object> range(RangeLiteral.Parts parts, int subtype, int depth) {
    if (parts.empty()) {
      return Map.of("empty", true);
    }
    Map<String, @Nullable Object> map = new LinkedHashMap<>();
    String lower = parts.lower();
    String upper = parts.upper();
    map.put("lower", lower == null ? null : decode(subtype, lower, depth + 1));
    map.put("upper", upper == null ? null : decode(subtype, upper, depth + 1));
    map.put("lowerInclusive", parts.lowerInclusive());
    map.put("upperInclusive", parts.upperInclusive());
    return Collections.unmodifiableMap(map);
  }
}
