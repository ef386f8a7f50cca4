package dev.driftless.core.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentJson;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The Jackson side of {@link DocumentJson}: its streaming reader and writer, and the generator that
 * encoders inside Driftless (the search sinks' bulk encoder) use to write a document's fields and
 * fields of their own into one object. Internal, so that Jackson stays out of the public API.
 */
public final class JsonCodec {

  /**
   * How deeply this codec nests arrays and objects, reading and writing. Above what a document can
   * hold from our sources (a json column limited to {@value #MAX_VALUE_NESTING} levels, inside a
   * few levels of arrays and composites, inside a document, inside a dead letter), and low enough
   * that every recursive walk over the values (this codec, {@code equals}, {@code hashCode}) stays
   * far from a default thread stack's end.
   */
  public static final int MAX_NESTING_DEPTH = 2_000;

  // Documents may legitimately hold strings far beyond Jackson's default 20M-character guard
  // (a 100 MB text column), and object keys far beyond its 50,000-character one (a jsonb key may
  // have 268,435,455 bytes); the engines and the database bound sizes, not this codec.
  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxStringLength(Integer.MAX_VALUE)
                  .maxNameLength(Integer.MAX_VALUE)
                  .maxNumberLength(200_000) // PostgreSQL numeric: up to 147,455 digits
                  .maxNestingDepth(MAX_NESTING_DEPTH)
                  .build())
          .streamWriteConstraints(
              StreamWriteConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
          .build();

  private JsonCodec() {}

  /**
   * A generator writing this codec's JSON to {@code out}, which closing the generator leaves open:
   * for encoders that write a document's fields ({@link #writeFields}) and fields of their own into
   * one object.
   */
  public static JsonGenerator generator(OutputStream out) throws IOException {
    JsonGenerator gen = FACTORY.createGenerator(out);
    gen.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    return gen;
  }

  /**
   * Writes the fields of {@code document}, as names and values, into the object {@code gen} is in.
   */
  public static void writeFields(JsonGenerator gen, Document document) throws IOException {
    for (Map.Entry<String, @Nullable Object> e : document.fields().entrySet()) {
      gen.writeFieldName(e.getKey());
      writeValue(gen, e.getValue());
    }
  }

  /** A parser of this codec's JSON. */
  public static JsonParser parser(byte[] json) throws IOException {
    return FACTORY.createParser(json);
  }

  /** A parser of this codec's JSON. */
  public static JsonParser parser(String json) throws IOException {
    return FACTORY.createParser(json);
  }

  /** Reads the JSON object {@code parser} is before as a document. */
  public static Document parseObject(JsonParser parser) throws IOException {
    if (parser.nextToken() != JsonToken.START_OBJECT) {
      throw new IllegalArgumentException("expected a JSON object");
    }
    Object fields = readValue(parser, 0, MAX_NESTING_DEPTH);
    if (!(fields instanceof Map<?, ?> map)) {
      throw new IllegalArgumentException("expected a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, @Nullable Object> typed = (Map<String, @Nullable Object>) map;
    return Document.of(typed);
  }

  /**
   * Reads the value at {@code p}'s current token, refusing nesting deeper than {@code maxNesting}.
   */
  public static @Nullable Object readValue(JsonParser p, int depth, int maxNesting)
      throws IOException {
    JsonToken t = p.currentToken();
    if (t == null) {
      throw new IOException("unexpected end of input");
    }
    if ((t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) && depth >= maxNesting) {
      throw new IllegalArgumentException(
          "arrays and objects nested more than " + maxNesting + " levels deep");
    }
    switch (t) {
      case START_OBJECT:
        {
          Map<String, @Nullable Object> map = new LinkedHashMap<>();
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            map.put(name, readValue(p, depth + 1, maxNesting));
          }
          return map;
        }
      case START_ARRAY:
        {
          List<@Nullable Object> list = new ArrayList<>();
          while (p.nextToken() != JsonToken.END_ARRAY) {
            list.add(readValue(p, depth + 1, maxNesting));
          }
          return list;
        }
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
        return switch (p.getNumberType()) {
          case INT, LONG -> p.getLongValue();
          default -> p.getBigIntegerValue();
        };
      case VALUE_NUMBER_FLOAT:
        return p.getDecimalValue();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw new IOException("unexpected token " + t);
    }
  }

  /** Writes any value a {@link Document} may hold. */
  public static void writeValue(JsonGenerator gen, @Nullable Object value) throws IOException {
    if (value == null) {
      gen.writeNull();
    } else if (value instanceof String s) {
      gen.writeString(s);
    } else if (value instanceof Boolean b) {
      gen.writeBoolean(b);
    } else if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      gen.writeNumber(((Number) value).intValue());
    } else if (value instanceof Long l) {
      gen.writeNumber(l);
    } else if (value instanceof BigInteger bi) {
      gen.writeNumber(bi);
    } else if (value instanceof BigDecimal bd) {
      gen.writeNumber(bd);
    } else if (value instanceof Double d) {
      if (d.isNaN() || d.isInfinite()) {
        gen.writeString(d.toString());
      } else {
        gen.writeNumber(d);
      }
    } else if (value instanceof Float f) {
      if (f.isNaN() || f.isInfinite()) {
        gen.writeString(f.toString());
      } else {
        gen.writeNumber(f);
      }
    } else if (value instanceof Map<?, ?> map) {
      gen.writeStartObject();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        gen.writeFieldName(String.valueOf(e.getKey()));
        writeValue(gen, e.getValue());
      }
      gen.writeEndObject();
    } else if (value instanceof List<?> list) {
      gen.writeStartArray();
      for (Object item : list) {
        writeValue(gen, item);
      }
      gen.writeEndArray();
    } else {
      throw new IllegalArgumentException("not a document value: " + value.getClass().getName());
    }
  }
}
