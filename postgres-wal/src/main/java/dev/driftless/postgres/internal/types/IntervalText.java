package dev.driftless.postgres.internal.types;

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

  private static final Pattern ISO =
      Pattern.compile(
          "P(?=.)(-?\\d+Y)?(-?\\d+M)?(-?\\d+D)?(T(?=.)(-?\\d+H)?(-?\\d+M)?(-?\\d+(\\.\\d+)?S)?)?");

  private IntervalText() {}

  static String toIso(String text) {
    if (text.startsWith("P")) {
      if (ISO.matcher(text).matches()) {
        return text; // a walsender whose IntervalStyle is iso_8601 already prints the target form
      }
      throw malformed();
    }
    long years = 0;
    long months = 0;
    long days = 0;
    int seen = 0;
    boolean negativeTime = false;
    boolean timeSeen = false;
    long hours = 0;
    long minutes = 0;
    long seconds = 0;
    String fraction = "";
    int n = text.length();
    int pos = 0;
    while (pos < n) {
      if (timeSeen) {
        throw malformed();
      }
      boolean negative = false;
      char c = text.charAt(pos);
      if (c == '-' || c == '+') {
        negative = c == '-';
        pos++;
      }
      int digitsStart = pos;
      long value = 0;
      while (pos < n && isDigit(text.charAt(pos)) && pos - digitsStart < 18) {
        value = value * 10 + (text.charAt(pos++) - '0');
      }
      if (pos == digitsStart || (pos < n && isDigit(text.charAt(pos)))) {
        throw malformed();
      }
      if (pos < n && text.charAt(pos) == ':') {
        // [-+]H+:MM:SS[.ffffff], always last
        timeSeen = true;
        negativeTime = negative;
        hours = value;
        minutes = twoDigits(text, pos + 1);
        if (pos + 3 >= n || text.charAt(pos + 3) != ':') {
          throw malformed();
        }
        seconds = twoDigits(text, pos + 4);
        pos += 6;
        if (pos < n && text.charAt(pos) == '.') {
          int fractionStart = ++pos;
          while (pos < n && isDigit(text.charAt(pos))) {
            pos++;
          }
          if (pos == fractionStart) {
            throw malformed();
          }
          fraction = stripZeros(text.substring(fractionStart, pos));
        }
        if (minutes > 59 || seconds > 59) {
          throw new IllegalArgumentException("interval time field out of range");
        }
        continue;
      }
      if (pos >= n || text.charAt(pos) != ' ') {
        throw malformed();
      }
      int wordStart = ++pos;
      while (pos < n && text.charAt(pos) != ' ') {
        pos++;
      }
      int unit =
          switch (text.substring(wordStart, pos)) {
            case "year", "years" -> 1;
            case "mon", "mons" -> 2;
            case "day", "days" -> 3;
            default -> throw malformed();
          };
      if (unit <= seen) {
        throw new IllegalArgumentException("interval fields out of order");
      }
      seen = unit;
      long signed = negative ? -value : value;
      switch (unit) {
        case 1 -> years = signed;
        case 2 -> months = signed;
        default -> days = signed;
      }
      if (pos < n) {
        pos++; // the blank before the next field
        if (pos == n) {
          throw malformed();
        }
      }
    }
    if (!timeSeen && seen == 0) {
      throw malformed();
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

  private static IllegalArgumentException malformed() {
    return new IllegalArgumentException("not an interval (IntervalStyle postgres)");
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static int twoDigits(String text, int at) {
    if (at + 2 > text.length() || !isDigit(text.charAt(at)) || !isDigit(text.charAt(at + 1))) {
      throw malformed();
    }
    return (text.charAt(at) - '0') * 10 + (text.charAt(at + 1) - '0');
  }

  private static String stripZeros(String digits) {
    int end = digits.length();
    while (end > 0 && digits.charAt(end - 1) == '0') {
      end--;
    }
    return digits.substring(0, end);
  }
}
