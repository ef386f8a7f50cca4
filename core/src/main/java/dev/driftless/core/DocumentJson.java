package dev.driftless.core;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import dev.driftless.core.internal.JsonCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Writes {@link Document}s as JSON and reads them back, streaming, without an intermediate tree.
 *
 * <p>Numbers keep their exact value: {@link BigDecimal} is written as a JSON number with all its
 * digits, and JSON numbers read back as {@link Long}, {@link BigInteger} or {@link BigDecimal}.
 * JSON has no NaN or infinities, so non-finite doubles and floats are written as the strings {@code
 * "NaN"}, {@code "Infinity"} and {@code "-Infinity"}.
 *
 * <p>Thread-safe.
 */
public final class DocumentJson {

  /**
   * The nesting limit {@link #parseValue(String, int)} callers use for a value embedded in a
   * document (a json column): Jackson's and the search engines' own default parsing limit.
   */
  public static final int MAX_VALUE_NESTING = 1_000;

  private DocumentJson() {}

  /**
   * Writes {@code document} as one JSON object, followed by {@code extraFields}, to {@code out}.
   */
  public static void write(
      Document document, Map<String, ? extends @Nullable Object> extraFields, OutputStream out)
      throws IOException {
    try (JsonGenerator gen = JsonCodec.generator(out)) {
      gen.writeStartObject();
      JsonCodec.writeFields(gen, document);
      for (Map.Entry<String, ? extends @Nullable Object> e : extraFields.entrySet()) {
        gen.writeFieldName(e.getKey());
        JsonCodec.writeValue(gen, e.getValue());
      }
      gen.writeEndObject();
    }
  }

  /** Writes any value a {@link Document} may hold as JSON to {@code out}. */
  public static void writeValue(@Nullable Object value, OutputStream out) throws IOException {
    try (JsonGenerator gen = JsonCodec.generator(out)) {
      JsonCodec.writeValue(gen, value);
    }
  }

  /** {@code document} as JSON bytes (UTF-8). */
  public static byte[] toBytes(Document document) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try {
      write(document, Map.of(), out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** {@code document} as a JSON string. */
  public static String toJson(Document document) {
    return new String(toBytes(document), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Parses a JSON object into a document. */
  public static Document parse(byte[] json) {
    try (JsonParser parser = JsonCodec.parser(json)) {
      return JsonCodec.parseObject(parser);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a JSON object: " + e.getMessage(), e);
    }
  }

  /** Parses a JSON object into a document. */
  public static Document parse(String json) {
    try (JsonParser parser = JsonCodec.parser(json)) {
      return JsonCodec.parseObject(parser);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a JSON object: " + e.getMessage(), e);
    }
  }

  /** Parses any JSON value into the JDK values a {@link Document} holds. */
  public static @Nullable Object parseValue(String json) {
    return parseValue(json, JsonCodec.MAX_NESTING_DEPTH);
  }

  /**
   * Parses any JSON value into the JDK values a {@link Document} holds, refusing arrays and objects
   * nested more than {@code maxNesting} levels deep (at most this codec's own limit, 2,000).
   *
   * @throws IllegalArgumentException if {@code json} is not JSON or is nested deeper; the message
   *     says which
   */
  public static @Nullable Object parseValue(String json, int maxNesting) {
    if (maxNesting < 1 || maxNesting > JsonCodec.MAX_NESTING_DEPTH) {
      throw new IllegalArgumentException(
          "maxNesting must be between 1 and "
              + JsonCodec.MAX_NESTING_DEPTH
              + ", was "
              + maxNesting);
    }
    try (JsonParser parser = JsonCodec.parser(json)) {
      parser.nextToken();
      return JsonCodec.readValue(parser, 0, maxNesting);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
    }
  }
}
