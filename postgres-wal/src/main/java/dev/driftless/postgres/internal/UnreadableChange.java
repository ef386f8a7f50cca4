package dev.driftless.postgres.internal;

import dev.driftless.core.DriftlessException;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A row change the source cannot turn into an event although the stream itself is sound: a value
 * that does not decode as its type, a key the change does not carry. Isolated, not fatal: the
 * source dead-letters the change (with the raw text of the columns concerned, never the whole row)
 * and the stream moves on; replaying the letter re-reads the row. A structural failure (a protocol
 * error) is a plain {@link DriftlessException} and stops the pipeline instead.
 */
final class UnreadableChange extends DriftlessException {
  private static final long serialVersionUID = 1L;

  private final String errorType;
  private final transient Map<String, @Nullable String> columns;

  /**
   * @param errorType a short machine-readable class, e.g. {@code unreadable:value}
   * @param message what is wrong, naming the table and column
   * @param columns the raw text of the columns concerned (null for SQL NULL)
   */
  UnreadableChange(
      String errorType,
      String message,
      Map<String, @Nullable String> columns,
      @Nullable Throwable cause) {
    super(message, cause);
    this.errorType = errorType;
    this.columns = columns;
  }

  String errorType() {
    return errorType;
  }

  Map<String, @Nullable String> columns() {
    return columns;
  }
}
