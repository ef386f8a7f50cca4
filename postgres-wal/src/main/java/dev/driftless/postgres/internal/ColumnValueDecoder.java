package dev.driftless.postgres.internal;

import org.jspecify.annotations.Nullable;

/**
 * Turns a column's text form (as pgoutput and {@code ::text} render it) into the JDK value a
 * document holds. Called from the poll thread and from repair reads, so implementations are
 * thread-safe.
 */
@FunctionalInterface
interface ColumnValueDecoder {

  /** Keeps every value as PostgreSQL's text. */
  ColumnValueDecoder TEXT = (typeOid, typmod, text) -> text;

  /**
   * The value of a column of type {@code typeOid}, or {@code null} for SQL NULL.
   *
   * @throws RuntimeException if the text is not a valid value of the type
   */
  @Nullable Object decode(int typeOid, int typmod, @Nullable String text);

  /** A type was (re)announced by the server: forget what is cached about it. */
  default void invalidate(int typeOid) {}
}
