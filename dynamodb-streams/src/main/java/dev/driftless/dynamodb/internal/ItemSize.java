package dev.driftless.dynamodb.internal;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * An item's size as DynamoDB counts it for capacity units (approximately: names and values in UTF-8
 * bytes, numbers about one byte per two digits plus one, 1 byte for BOOL and NULL, 3 bytes of
 * overhead per list or map and 1 per element). What reads of the table are charged for. Stateless.
 */
public final class ItemSize {
  private ItemSize() {}

  /** The item's size in bytes. */
  public static long of(Map<String, AttributeValue> item) {
    long size = 0;
    for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
      size += utf8(e.getKey()) + value(e.getValue());
    }
    return size;
  }

  private static long value(AttributeValue v) {
    switch (v.type()) {
      case S:
        return utf8(v.s());
      case N:
        return number(v.n());
      case B:
        return v.b().asByteArray().length;
      case BOOL:
      case NUL:
        return 1;
      case SS:
        {
          long n = 0;
          for (String s : v.ss()) {
            n += utf8(s);
          }
          return n;
        }
      case NS:
        {
          long n = 0;
          for (String s : v.ns()) {
            n += number(s);
          }
          return n;
        }
      case BS:
        {
          long n = 0;
          for (SdkBytes b : v.bs()) {
            n += b.asByteArray().length;
          }
          return n;
        }
      case L:
        {
          long n = 3;
          for (AttributeValue e : v.l()) {
            n += 1 + value(e);
          }
          return n;
        }
      case M:
        {
          long n = 3;
          for (Map.Entry<String, AttributeValue> e : v.m().entrySet()) {
            n += 1 + utf8(e.getKey()) + value(e.getValue());
          }
          return n;
        }
      default:
        return 0;
    }
  }

  private static long number(String text) {
    int digits = 0;
    for (int i = 0; i < text.length(); i++) {
      if (Character.isDigit(text.charAt(i))) {
        digits++;
      }
    }
    return (digits + 1) / 2 + 1;
  }

  private static long utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
