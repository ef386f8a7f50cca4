package dev.driftless.postgres.internal.types;

import dev.driftless.core.DriftlessException;
import org.jspecify.annotations.Nullable;

/**
 * A column value whose text does not parse as its type says it should. This is a <em>poison</em>
 * failure in the sense of the design guide: retrying cannot help, so the source dead-letters the
 * event and moves on. The message names the type and quotes (a prefix of) the value.
 */
public final class ValueDecodingException extends DriftlessException {
  private static final long serialVersionUID = 1L;

  private static final int MAX_QUOTED = 200;

  private final String typeName;

  ValueDecodingException(String typeName, String text, String problem, @Nullable Throwable cause) {
    super("cannot decode " + typeName + " value '" + abbreviate(text) + "': " + problem, cause);
    this.typeName = typeName;
  }

  /** The name of the PostgreSQL type whose value did not parse, e.g. {@code timestamptz}. */
  public String typeName() {
    return typeName;
  }

  private static String abbreviate(String text) {
    return text.length() <= MAX_QUOTED ? text : text.substring(0, MAX_QUOTED) + "...";
  }
}
