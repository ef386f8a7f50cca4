package dev.driftless.postgres.types;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Normalises date and time values printed with {@code DateStyle = ISO} to ISO-8601.
 *
 * <p>Years use astronomical numbering as {@link LocalDate#toString()} does: 1 BC is {@code 0000},
 * 44 BC is {@code -0043}, and years after 9999 carry a {@code +}. Fractional seconds are kept with
 * exactly the digits PostgreSQL printed. {@code infinity} and {@code -infinity} stay as they are.
 */
final class TemporalText {

  private static final String DATE = "(\\d{4,})-(\\d{2})-(\\d{2})";
  private static final String TIME = "(\\d{2}):(\\d{2}):(\\d{2})(\\.\\d{1,9})?";
  private static final String OFFSET = "([-+])(\\d{2})(?::(\\d{2}))?(?::(\\d{2}))?";
  private static final String BC = "( BC)?";

  private static final Pattern DATE_P = Pattern.compile(DATE + BC);
  private static final Pattern TIME_P = Pattern.compile(TIME);
  private static final Pattern TIMETZ_P = Pattern.compile(TIME + OFFSET);
  private static final Pattern TIMESTAMP_P = Pattern.compile(DATE + " " + TIME + BC);
  private static final Pattern TIMESTAMPTZ_P = Pattern.compile(DATE + " " + TIME + OFFSET + BC);

  private TemporalText() {}

  static String date(String text) {
    if (isInfinity(text)) {
      return text;
    }
    Matcher m = match(DATE_P, text, "a date (DateStyle ISO)");
    return localDate(m, 1, m.group(4) != null).toString();
  }

  static String time(String text) {
    Matcher m = match(TIME_P, text, "a time");
    return clock(m, 1, 24);
  }

  static String timetz(String text) {
    Matcher m = match(TIMETZ_P, text, "a time with time zone");
    return clock(m, 1, 24) + offset(offsetSeconds(m, 5));
  }

  static String timestamp(String text) {
    if (isInfinity(text)) {
      return text;
    }
    Matcher m = match(TIMESTAMP_P, text, "a timestamp (DateStyle ISO)");
    return localDate(m, 1, m.group(8) != null) + "T" + clock(m, 4, 23);
  }

  static String timestamptz(String text) {
    if (isInfinity(text)) {
      return text;
    }
    Matcher m = match(TIMESTAMPTZ_P, text, "a timestamp with time zone (DateStyle ISO)");
    LocalDate date = localDate(m, 1, m.group(12) != null);
    clock(m, 4, 23); // validates the ranges
    LocalDateTime local =
        date.atTime(
            Integer.parseInt(m.group(4)),
            Integer.parseInt(m.group(5)),
            Integer.parseInt(m.group(6)));
    LocalDateTime utc = local.minusSeconds(offsetSeconds(m, 8));
    String fraction = m.group(7) == null ? "" : m.group(7);
    return utc.toLocalDate()
        + "T"
        + two(utc.getHour())
        + ":"
        + two(utc.getMinute())
        + ":"
        + two(utc.getSecond())
        + fraction
        + "Z";
  }

  private static boolean isInfinity(String text) {
    return text.equals("infinity") || text.equals("-infinity");
  }

  private static Matcher match(Pattern pattern, String text, String what) {
    Matcher m = pattern.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("not " + what);
    }
    return m;
  }

  private static LocalDate localDate(Matcher m, int group, boolean bc) {
    int year = Integer.parseInt(m.group(group));
    if (year == 0) {
      throw new IllegalArgumentException("year 0 does not exist");
    }
    try {
      return LocalDate.of(
          bc ? 1 - year : year,
          Integer.parseInt(m.group(group + 1)),
          Integer.parseInt(m.group(group + 2)));
    } catch (DateTimeException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** HH:MM:SS[.fraction] checked against the ranges, fraction as printed. */
  private static String clock(Matcher m, int group, int maxHour) {
    int hour = Integer.parseInt(m.group(group));
    int minute = Integer.parseInt(m.group(group + 1));
    int second = Integer.parseInt(m.group(group + 2));
    String fraction = m.group(group + 3) == null ? "" : m.group(group + 3);
    // time and timetz allow 24:00:00 exactly, which ISO-8601 allows as the end of a day.
    boolean endOfDay = hour == 24 && minute == 0 && second == 0 && fraction.matches("\\.?0*");
    if ((hour > maxHour || (hour == 24 && !endOfDay)) || minute > 59 || second > 60) {
      throw new IllegalArgumentException("time field out of range");
    }
    return m.group(group) + ":" + m.group(group + 1) + ":" + m.group(group + 2) + fraction;
  }

  private static int offsetSeconds(Matcher m, int group) {
    int sign = m.group(group).equals("-") ? -1 : 1;
    int hours = Integer.parseInt(m.group(group + 1));
    int minutes = m.group(group + 2) == null ? 0 : Integer.parseInt(m.group(group + 2));
    int seconds = m.group(group + 3) == null ? 0 : Integer.parseInt(m.group(group + 3));
    if (minutes > 59 || seconds > 59) {
      throw new IllegalArgumentException("time zone offset out of range");
    }
    return sign * (hours * 3600 + minutes * 60 + seconds);
  }

  private static String offset(int totalSeconds) {
    if (totalSeconds == 0) {
      return "Z";
    }
    int abs = Math.abs(totalSeconds);
    String text = (totalSeconds < 0 ? "-" : "+") + two(abs / 3600) + ":" + two(abs / 60 % 60);
    return abs % 60 == 0 ? text : text + ":" + two(abs % 60);
  }

  private static String two(int value) {
    return value < 10 ? "0" + value : Integer.toString(value);
  }
}
