package dev.driftless.core;

/**
 * Where in its change log a source is. Opaque to the core: only the source that produced a position
 * interprets it. It is what the pipeline commits back to the source (or to a {@link
 * dev.driftless.core.spi.CheckpointStore}) once every event at or before it is settled.
 *
 * <p>Implementations are immutable values with {@code equals} and {@code hashCode}, and {@link
 * #asString()} is a stable serialisation from which the source can restore the position.
 */
public interface SourcePosition {

  /** A stable text form, suitable for persisting and for logs. */
  String asString();

  /** A position that is just a monotonically increasing offset within one source. */
  static SourcePosition ofOffset(long offset) {
    return new OffsetPosition(offset);
  }

  /**
   * A position that is a non-negative offset, e.g. an index into a log.
   *
   * @param offset the offset, never negative
   */
  record OffsetPosition(long offset) implements SourcePosition, Comparable<OffsetPosition> {
    public OffsetPosition {
      if (offset < 0) {
        throw new IllegalArgumentException("offset must not be negative, was " + offset);
      }
    }

    /** Parses what {@link #asString()} wrote. */
    public static OffsetPosition parse(String text) {
      return new OffsetPosition(Long.parseLong(text));
    }

    @Override
    public String asString() {
      return Long.toString(offset);
    }

    @Override
    public int compareTo(OffsetPosition other) {
      return Long.compare(offset, other.offset);
    }
  }
}
