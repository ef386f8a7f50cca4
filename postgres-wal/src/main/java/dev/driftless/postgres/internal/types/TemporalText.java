package dev.driftless.postgres.internal.types;

import java.time.LocalDate;

/**
 * Normalises date and time values printed with {@code DateStyle = ISO} to ISO-8601.
 *
 * <p>Years use astronomical numbering as {@link LocalDate#toString()} does: 1 BC is {@code 0000},
 * 44 BC is {@code -0043}, and years after 9999 carry a {@code +}. Fractional seconds are kept with
 * exactly the digits PostgreSQL printed. {@code infinity} and {@code -infinity} stay as they are.
 *
 * <p>Parsed by hand rather than with regular expressions or {@code java.time} formatters: these are
 * the most common column types of change streams, and this is several times faster.
 */
final class TemporalText {

  private static final int SECONDS_PER_DAY = 86_400;

  private final String text;
  private int pos;

  private TemporalText(String text) {
    this.text = text;
  }

  static String date(String text) {
    if (isInfinity(text)) {
      return text;
    }
    TemporalText t = new TemporalText(text);
    int[] ymd = t.date();
    t.era(ymd);
    t.end();
    return appendDate(new StringBuilder(10), ymd).toString();
  }

  static String time(String text) {
    TemporalText t = new TemporalText(text);
    StringBuilder out = new StringBuilder(15);
    t.clock(true, out);
    t.end();
    return out.toString();
  }

  static String timetz(String text) {
    TemporalText t = new TemporalText(text);
    StringBuilder out = new StringBuilder(21);
    t.clock(true, out);
    appendOffset(out, t.offset());
    t.end();
    return out.toString();
  }

  static String timestamp(String text) {
    if (isInfinity(text)) {
      return text;
    }
    TemporalText t = new TemporalText(text);
    int[] ymd = t.date();
    t.expect(' ');
    StringBuilder clock = new StringBuilder(15);
    t.clock(false, clock);
    t.era(ymd);
    t.end();
    return appendDate(new StringBuilder(26), ymd).append('T').append(clock).toString();
  }

  static String timestamptz(String text) {
    if (isInfinity(text)) {
      return text;
    }
    TemporalText t = new TemporalText(text);
    int[] ymd = t.date();
    t.expect(' ');
    int clockStart = t.pos;
    t.clock(false, new StringBuilder(15));
    int fractionStart = clockStart + 8;
    String fraction = text.substring(fractionStart, t.pos);
    int hour = twoDigits(text, clockStart);
    int minute = twoDigits(text, clockStart + 3);
    int second = twoDigits(text, clockStart + 6);
    int offset = t.offset();
    t.era(ymd);
    t.end();

    int utcSeconds = hour * 3600 + minute * 60 + second - offset;
    if (utcSeconds < 0 || utcSeconds >= SECONDS_PER_DAY) {
      // The offset moves the instant to the previous or next day: rare, so java.time is fine.
      LocalDate day = LocalDate.of(ymd[0], ymd[1], ymd[2]).plusDays(utcSeconds < 0 ? -1 : 1);
      ymd = new int[] {day.getYear(), day.getMonthValue(), day.getDayOfMonth()};
      utcSeconds = Math.floorMod(utcSeconds, SECONDS_PER_DAY);
    }
    StringBuilder out = appendDate(new StringBuilder(28), ymd).append('T');
    appendTwo(out, utcSeconds / 3600).append(':');
    appendTwo(out, utcSeconds / 60 % 60).append(':');
    appendTwo(out, utcSeconds % 60);
    return out.append(fraction).append('Z').toString();
  }

  private static boolean isInfinity(String text) {
    return text.equals("infinity") || text.equals("-infinity");
  }

  /** {@code YYYY[Y...]-MM-DD} as year, month, day; the year as printed (not yet BC-adjusted). */
  private int[] date() {
    int start = pos;
    int year = number(4, 9);
    expect('-');
    int month = number(2, 2);
    expect('-');
    int day = number(2, 2);
    if (year == 0) {
      pos = start;
      throw error("year 0 does not exist");
    }
    if (month < 1 || month > 12 || day < 1 || (day > 28 && day > monthLength(month))) {
      pos = start;
      throw error("date field out of range");
    }
    return new int[] {year, month, day};
  }

  /**
   * An optional {@code " BC"}, which turns the printed year into an astronomical one; then the
   * check of February 29, which needs the astronomical year.
   */
  private void era(int[] ymd) {
    if (text.startsWith(" BC", pos)) {
      pos += 3;
      ymd[0] = 1 - ymd[0];
    }
    if (ymd[1] == 2 && ymd[2] == 29 && !isLeap(ymd[0])) {
      throw error("date field out of range");
    }
  }

  /** {@code HH:MM:SS[.fraction]} checked and copied to {@code out}. */
  private void clock(boolean endOfDayAllowed, StringBuilder out) {
    int start = pos;
    int hour = number(2, 2);
    expect(':');
    int minute = number(2, 2);
    expect(':');
    int second = number(2, 2);
    boolean zeroFraction = true;
    if (pos < text.length() && text.charAt(pos) == '.') {
      pos++;
      int digitsStart = pos;
      while (pos < text.length() && isDigit(text.charAt(pos))) {
        zeroFraction &= text.charAt(pos) == '0';
        pos++;
      }
      if (pos == digitsStart) {
        throw error("expected fractional digits");
      }
    }
    // time and timetz allow 24:00:00 exactly, which ISO-8601 allows as the end of a day.
    boolean endOfDay = hour == 24 && minute == 0 && second == 0 && zeroFraction;
    if (hour > 24 || (hour == 24 && !(endOfDay && endOfDayAllowed)) || minute > 59 || second > 60) {
      pos = start;
      throw error("time field out of range");
    }
    out.append(text, start, pos);
  }

  /** {@code ±HH[:MM[:SS]]} in seconds east of UTC. */
  private int offset() {
    if (pos >= text.length() || (text.charAt(pos) != '+' && text.charAt(pos) != '-')) {
      throw error("expected a time zone offset");
    }
    int sign = text.charAt(pos++) == '-' ? -1 : 1;
    int hours = number(2, 2);
    int minutes = 0;
    int seconds = 0;
    if (pos < text.length() && text.charAt(pos) == ':') {
      pos++;
      minutes = number(2, 2);
      if (pos < text.length() && text.charAt(pos) == ':') {
        pos++;
        seconds = number(2, 2);
      }
    }
    if (minutes > 59 || seconds > 59) {
      throw error("time zone offset out of range");
    }
    return sign * (hours * 3600 + minutes * 60 + seconds);
  }

  private int number(int minDigits, int maxDigits) {
    int start = pos;
    int value = 0;
    while (pos < text.length() && pos - start < maxDigits && isDigit(text.charAt(pos))) {
      value = value * 10 + (text.charAt(pos) - '0');
      pos++;
    }
    if (pos - start < minDigits) {
      pos = start;
      throw error("expected " + minDigits + " digits");
    }
    return value;
  }

  private void expect(char c) {
    if (pos >= text.length() || text.charAt(pos) != c) {
      throw error("expected '" + c + "'");
    }
    pos++;
  }

  private void end() {
    if (pos != text.length()) {
      throw error("unexpected text");
    }
  }

  private IllegalArgumentException error(String problem) {
    return new IllegalArgumentException(problem + " at position " + pos + " (DateStyle ISO)");
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static int twoDigits(String s, int at) {
    return (s.charAt(at) - '0') * 10 + (s.charAt(at + 1) - '0');
  }

  private static boolean isLeap(int year) {
    return (year & 3) == 0 && (year % 100 != 0 || year % 400 == 0);
  }

  /** The most days {@code month} has; {@link #era} checks February 29 against the year. */
  private static int monthLength(int month) {
    return switch (month) {
      case 2 -> 29;
      case 4, 6, 9, 11 -> 30;
      default -> 31;
    };
  }

  /** The date as {@link LocalDate#toString()} prints it. */
  private static StringBuilder appendDate(StringBuilder out, int[] ymd) {
    int year = ymd[0];
    int abs = Math.abs(year);
    if (year < 0) {
      out.append('-');
    } else if (year > 9999) {
      out.append('+');
    }
    if (abs < 1000) {
      out.append(abs < 10 ? "000" : abs < 100 ? "00" : "0");
    }
    out.append(abs).append('-');
    appendTwo(out, ymd[1]).append('-');
    return appendTwo(out, ymd[2]);
  }

  private static void appendOffset(StringBuilder out, int totalSeconds) {
    if (totalSeconds == 0) {
      out.append('Z');
      return;
    }
    int abs = Math.abs(totalSeconds);
    out.append(totalSeconds < 0 ? '-' : '+');
    appendTwo(out, abs / 3600).append(':');
    appendTwo(out, abs / 60 % 60);
    if (abs % 60 != 0) {
      appendTwo(out.append(':'), abs % 60);
    }
  }

  private static StringBuilder appendTwo(StringBuilder out, int value) {
    return value < 10 ? out.append('0').append(value) : out.append(value);
  }
}
