package dev.driftless.postgres.internal.types;

import dev.driftless.core.DocumentJson;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Base64;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Decodes the output-function text of scalar types. Every method throws {@link
 * IllegalArgumentException} on malformed text; the caller adds the type name.
 */
final class ScalarText {

  private static final Pattern FLOAT =
      Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?|NaN|[-+]?Infinity");
  private static final Pattern INTEGER = Pattern.compile("[-+]?\\d+");
  private static final Pattern DECIMAL =
      Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?");

  private ScalarText() {}

  static @Nullable Object decode(ScalarKind kind, String text) {
    return switch (kind) {
      case BOOL -> bool(text);
      case INT -> Integer.valueOf(parseInt(text));
      case LONG -> Long.valueOf(parseLong(text));
      case BIG_INTEGER -> integer(text);
      case NUMERIC -> numeric(text);
      case FLOAT4 -> Float.valueOf(Float.parseFloat(floating(text)));
      case FLOAT8 -> Double.valueOf(Double.parseDouble(floating(text)));
      case DATE -> TemporalText.date(text);
      case TIME -> TemporalText.time(text);
      case TIMETZ -> TemporalText.timetz(text);
      case TIMESTAMP -> TemporalText.timestamp(text);
      case TIMESTAMPTZ -> TemporalText.timestamptz(text);
      case INTERVAL -> IntervalText.toIso(text);
      case BYTEA -> bytea(text);
      // Object keys of any length; at most 1,000 levels (see docs/postgres-types.md, Limits).
      case JSON -> DocumentJson.parseValue(text, DocumentJson.MAX_VALUE_NESTING);
      case BPCHAR -> stripTrailingBlanks(text);
      case TEXT -> text;
    };
  }

  private static String stripTrailingBlanks(String text) {
    int end = text.length();
    while (end > 0 && text.charAt(end - 1) == ' ') {
      end--;
    }
    return text.substring(0, end);
  }

  private static Boolean bool(String text) {
    return switch (text) {
      case "t", "true" -> Boolean.TRUE;
      case "f", "false" -> Boolean.FALSE;
      default -> throw new IllegalArgumentException("expected 't' or 'f'");
    };
  }

  private static int parseInt(String text) {
    long value = parseLong(text);
    if (value != (int) value) {
      throw new IllegalArgumentException("out of range for a 32-bit integer");
    }
    return (int) value;
  }

  private static long parseLong(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      // Long.parseLong accepts exactly the digits-with-optional-sign form PostgreSQL prints.
      throw new IllegalArgumentException(
          INTEGER.matcher(text).matches() ? "out of range for a 64-bit integer" : "not an integer",
          e);
    }
  }

  private static BigInteger integer(String text) {
    if (!INTEGER.matcher(text).matches()) {
      throw new IllegalArgumentException("not an integer");
    }
    return new BigInteger(text);
  }

  private static Object numeric(String text) {
    // PostgreSQL 14+ numeric has infinities; JSON cannot hold them (nor NaN) as numbers.
    if (text.equals("NaN") || text.equals("Infinity") || text.equals("-Infinity")) {
      return text;
    }
    if (!DECIMAL.matcher(text).matches()) {
      throw new IllegalArgumentException("not a decimal number");
    }
    return new BigDecimal(text);
  }

  private static String floating(String text) {
    // Double.parseDouble alone would also accept hex floats and suffixes such as "1d".
    if (!FLOAT.matcher(text).matches()) {
      throw new IllegalArgumentException("not a floating-point number");
    }
    return text;
  }

  /** bytea in either output format ({@code bytea_output} hex, the default, or escape) to base64. */
  static String bytea(String text) {
    byte[] bytes;
    if (text.startsWith("\\x")) {
      int digits = text.length() - 2;
      if (digits % 2 != 0) {
        throw new IllegalArgumentException("odd number of hex digits");
      }
      bytes = new byte[digits / 2];
      for (int i = 0; i < bytes.length; i++) {
        int hi = Character.digit(text.charAt(2 + 2 * i), 16);
        int lo = Character.digit(text.charAt(3 + 2 * i), 16);
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException("not a hex digit at position " + (2 + 2 * i));
        }
        bytes[i] = (byte) (hi << 4 | lo);
      }
    } else {
      bytes = byteaEscape(text);
    }
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static byte[] byteaEscape(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c > 0xff) {
        throw new IllegalArgumentException("character outside the escape format at " + i);
      }
      if (c != '\\') {
        out.write(c);
        i++;
      } else if (i + 1 < text.length() && text.charAt(i + 1) == '\\') {
        out.write('\\');
        i += 2;
      } else if (i + 3 < text.length() && isOctal(text, i + 1, 3)) {
        out.write(Integer.parseInt(text.substring(i + 1, i + 4), 8));
        i += 4;
      } else {
        throw new IllegalArgumentException("invalid escape at position " + i);
      }
    }
    return out.toByteArray();
  }

  private static boolean isOctal(String text, int from, int count) {
    for (int i = from; i < from + count; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '7') {
        return false;
      }
    }
    return true;
  }
}
