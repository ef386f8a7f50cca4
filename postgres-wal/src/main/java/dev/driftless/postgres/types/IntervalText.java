package dev.driftless.postgres.types;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Converts an interval printed with {@code IntervalStyle = postgres} (for example {@code 1 year 2
 * mons -3 days +04:05:06.5}) to the ISO-8601 duration that PostgreSQL itself prints with {@code
 * IntervalStyle = iso_8601} ({@code P1Y2M-3DT4H5M6.5S}). Like PostgreSQL's, the output may carry a
 * sign on each field, since an interval's months, days and time do not convert into each other.
 * Text already in that form is returned as it is; {@code sql_standard} and {@code postgres_verbose}
 * output is not read.
 */
final class IntervalText {

  private static final Pattern UNIT = Pattern.compile("([-+]?\\d+) (years?|mons?|days?)");
  private static final Pattern TIME =
      Pattern.compile("([-+])?(\\d+):(\\d{2}):(\\d{2})(?:\\.(\\d+))?");

  private static final Pattern ISO =
      Pattern.compile(
          "P(?=.)(-?\\d+Y)?(-?\\d+M)?(-?\\d+D)?(T(?=.)(-?\\d+H)?(-?\\d+M)?(-?\\d+(\\.\\d+)?S)?)?");

  private IntervalText() {}

  static String toIso(String text) {
    if (ISO.matcher(text).matches()) {
      return text; // a walsender whose IntervalStyle is iso_8601 already prints the target form
    }
    long years = 0;
    long months = 0;
    long days = 0;
    String[] tokens = text.split(" ", -1);
    int i = 0;
    int seen = 0;
    while (i + 1 < tokens.length && !tokens[i].contains(":")) {
      Matcher m = UNIT.matcher(tokens[i] + " " + tokens[i + 1]);
      if (!m.matches()) {
        throw new IllegalArgumentException("not an interval (IntervalStyle postgres)");
      }
      long value = Long.parseLong(m.group(1));
      int unit = m.group(2).startsWith("year") ? 1 : m.group(2).startsWith("mon") ? 2 : 3;
      if (unit <= seen) {
        throw new IllegalArgumentException("interval fields out of order");
      }
      seen = unit;
      switch (unit) {
        case 1 -> years = value;
        case 2 -> months = value;
        default -> days = value;
      }
      i += 2;
    }
    boolean negativeTime = false;
    long hours = 0;
    long minutes = 0;
    long seconds = 0;
    String fraction = "";
    if (i < tokens.length) {
      Matcher m = TIME.matcher(tokens[i]);
      if (i != tokens.length - 1 || !m.matches()) {
        throw new IllegalArgumentException("not an interval (IntervalStyle postgres)");
      }
      negativeTime = "-".equals(m.group(1));
      hours = Long.parseLong(m.group(2));
      minutes = Long.parseLong(m.group(3));
      seconds = Long.parseLong(m.group(4));
      fraction = m.group(5) == null ? "" : stripZeros(m.group(5));
      if (minutes > 59 || seconds > 59) {
        throw new IllegalArgumentException("interval time field out of range");
      }
    } else if (seen == 0) {
      throw new IllegalArgumentException("not an interval (IntervalStyle postgres)");
    }

    boolean hasTime = hours != 0 || minutes != 0 || seconds != 0 || !fraction.isEmpty();
    if (years == 0 && months == 0 && days == 0 && !hasTime) {
      return "PT0S";
    }
    StringBuilder iso = new StringBuilder("P");
    field(iso, years, 'Y');
    field(iso, months, 'M');
    field(iso, days, 'D');
    if (hasTime) {
      iso.append('T');
      String sign = negativeTime ? "-" : "";
      if (hours != 0) {
        iso.append(sign).append(hours).append('H');
      }
      if (minutes != 0) {
        iso.append(sign).append(minutes).append('M');
      }
      if (seconds != 0 || !fraction.isEmpty()) {
        iso.append(sign).append(seconds);
        if (!fraction.isEmpty()) {
          iso.append('.').append(fraction);
        }
        iso.append('S');
      }
    }
    return iso.toString();
  }

  private static void field(StringBuilder iso, long value, char unit) {
    if (value != 0) {
      iso.append(value).append(unit);
    }
  }

  private static String stripZeros(String digits) {
    int end = digits.length();
    while (end > 0 && digits.charAt(end - 1) == '0') {
      end--;
    }
    return digits.substring(0, end);
  }
}
