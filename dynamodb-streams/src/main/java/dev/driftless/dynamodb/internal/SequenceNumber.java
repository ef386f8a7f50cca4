package dev.driftless.dynamodb.internal;

import java.math.BigInteger;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A DynamoDB Streams sequence number: a string of 21 to 40 digits whose length varies, so it is
 * compared as a number, never as text ({@code "9" < "10"} only numerically).
 *
 * @param text the digits as the service sent them
 * @param value their numeric value
 */
public record SequenceNumber(String text, BigInteger value) implements Comparable<SequenceNumber> {

  public SequenceNumber {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(value, "value");
  }

  /**
   * Parses the service's digits.
   *
   * @throws IllegalArgumentException if {@code text} is empty or holds anything but ASCII digits
   */
  public static SequenceNumber of(String text) {
    Objects.requireNonNull(text, "text");
    if (text.isEmpty()) {
      throw new IllegalArgumentException("a sequence number must not be empty");
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        throw new IllegalArgumentException("a sequence number holds digits only, was: " + text);
      }
    }
    return new SequenceNumber(text, new BigInteger(text));
  }

  public boolean isAfter(SequenceNumber other) {
    return value.compareTo(other.value) > 0;
  }

  @Override
  public int compareTo(SequenceNumber other) {
    return value.compareTo(other.value);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof SequenceNumber s && value.equals(s.value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return text;
  }
}
