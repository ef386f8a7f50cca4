package dev.driftless.postgres;

import dev.driftless.core.SourcePosition;
import java.util.Locale;
import java.util.Objects;

/**
 * A position in a PostgreSQL logical replication stream: the commit LSN of the change's transaction
 * and the change's sequence number inside it. Positions order first by commit LSN, then by
 * sequence, which is the order the source returns changes in.
 *
 * <p>Committing a position that is not the last of its transaction confirms only the transactions
 * before it to the server: after a restart the whole transaction is received again (changes at or
 * before the position come twice, none is lost).
 *
 * @param commitLsn the commit LSN of the change's transaction (its version), never negative
 * @param sequence the change's index inside its transaction, never negative
 */
public record LsnPosition(long commitLsn, long sequence)
    implements SourcePosition, Comparable<LsnPosition> {

  /** The position before every change; what repair reads carry (committing it confirms nothing). */
  public static final LsnPosition ZERO = new LsnPosition(0, 0);

  public LsnPosition {
    if (commitLsn < 0) {
      throw new IllegalArgumentException("commitLsn must not be negative, was " + commitLsn);
    }
    if (sequence < 0) {
      throw new IllegalArgumentException("sequence must not be negative, was " + sequence);
    }
  }

  /** Parses what {@link #asString()} wrote, e.g. {@code 0/16B3748#12}. */
  public static LsnPosition parse(String text) {
    Objects.requireNonNull(text, "text");
    int hash = text.indexOf('#');
    if (hash < 0) {
      throw new IllegalArgumentException("not an LSN position (expected LSN#sequence): " + text);
    }
    try {
      return new LsnPosition(
          parseLsn(text.substring(0, hash)), Long.parseLong(text.substring(hash + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not an LSN position: " + text, e);
    }
  }

  /** An LSN in PostgreSQL's text form, {@code XXXXXXXX/XXXXXXXX} (hexadecimal halves). */
  public static String formatLsn(long lsn) {
    return String.format(Locale.ROOT, "%X/%X", lsn >>> 32, lsn & 0xFFFFFFFFL);
  }

  /** Parses PostgreSQL's text form of an LSN. */
  public static long parseLsn(String text) {
    Objects.requireNonNull(text, "text");
    int slash = text.indexOf('/');
    if (slash <= 0 || slash == text.length() - 1) {
      throw new IllegalArgumentException("not an LSN: " + text);
    }
    try {
      long high = Long.parseLong(text.substring(0, slash), 16);
      long low = Long.parseLong(text.substring(slash + 1), 16);
      if (high > 0xFFFFFFFFL || low > 0xFFFFFFFFL || high < 0 || low < 0) {
        throw new IllegalArgumentException("not an LSN: " + text);
      }
      return (high << 32) | low;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not an LSN: " + text, e);
    }
  }

  @Override
  public String asString() {
    return formatLsn(commitLsn) + "#" + sequence;
  }

  @Override
  public int compareTo(LsnPosition other) {
    int byLsn = Long.compareUnsigned(commitLsn, other.commitLsn);
    return byLsn != 0 ? byLsn : Long.compare(sequence, other.sequence);
  }

  @Override
  public String toString() {
    return asString();
  }
}
