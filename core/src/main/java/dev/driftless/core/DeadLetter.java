package dev.driftless.core;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An event that could not be applied for a reason that retrying will not fix (a poison event), kept
 * with everything needed to understand and replay it.
 *
 * <p>Replaying never re-sends {@link #payload()}: it re-reads the key's current state from the
 * source, so a replay can never resurrect an old state. An event's {@link ChangeEvent#metadata()}
 * is not kept: it describes the change that failed, and a replay sends the source's current state
 * with the metadata the source gives that read.
 *
 * @param id unique id within its store
 * @param key the event's key
 * @param version the event's version
 * @param position the event's source position, as {@link SourcePosition#asString()}
 * @param operation {@code "upsert"}, {@code "delete"}, {@code "truncate"}, or {@code "unreadable"}
 *     for a change the source could not turn into an event ({@link #unreadable})
 * @param payload the document the event carried, when there was one and it may be kept: the mapped
 *     document a sink refused; never the source's raw row (a mapper failure keeps none); for an
 *     unreadable change, the raw text of the columns the failure concerns (never the whole row)
 * @param errorType a short machine-readable class of the error, e.g. the engine's error type or an
 *     exception class name
 * @param errorMessage the error's message, as the failing component gave it
 * @param attempts how many times the event was tried
 * @param firstFailedAt when it first failed
 * @param lastFailedAt when it last failed
 */
public record DeadLetter(
    String id,
    DocumentKey key,
    Version version,
    String position,
    String operation,
    @Nullable Document payload,
    String errorType,
    String errorMessage,
    int attempts,
    Instant firstFailedAt,
    Instant lastFailedAt) {

  public DeadLetter {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(position, "position");
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(errorType, "errorType");
    Objects.requireNonNull(errorMessage, "errorMessage");
    Objects.requireNonNull(firstFailedAt, "firstFailedAt");
    Objects.requireNonNull(lastFailedAt, "lastFailedAt");
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1, was " + attempts);
    }
  }

  /** A dead letter for {@code event}, failed now for the first time. */
  public static DeadLetter of(
      String id,
      ChangeEvent event,
      String errorType,
      String errorMessage,
      int attempts,
      Instant at) {
    Document payload = event instanceof ChangeEvent.Upsert u ? u.document() : null;
    return new DeadLetter(
        id,
        event.key(),
        event.version(),
        event.position().asString(),
        operation(event),
        payload,
        errorType,
        errorMessage,
        attempts,
        at,
        at);
  }

  /**
   * A dead letter for a change the source could not turn into an event (a value it cannot decode, a
   * key it cannot derive), failed now. Replaying it re-reads {@code key} like any other letter.
   *
   * @param key the change's key; when the source could not derive it, a key whose id names the
   *     change's position (see the source's documentation): replaying such a letter changes
   *     nothing, and reconciliation finds the row instead
   * @param columns the raw text of the columns the failure concerns, as the source received it
   *     (null for SQL NULL); the source keeps this to what is needed to diagnose the failure
   */
  public static DeadLetter unreadable(
      String id,
      DocumentKey key,
      Version version,
      SourcePosition position,
      Map<String, @Nullable String> columns,
      String errorType,
      String errorMessage,
      Instant at) {
    Objects.requireNonNull(position, "position");
    Objects.requireNonNull(columns, "columns");
    return new DeadLetter(
        id,
        key,
        version,
        position.asString(),
        "unreadable",
        columns.isEmpty() ? null : Document.of(columns),
        errorType,
        errorMessage,
        1,
        at,
        at);
  }

  private static String operation(ChangeEvent event) {
    if (event instanceof ChangeEvent.Upsert) {
      return "upsert";
    }
    return event instanceof ChangeEvent.Truncate ? "truncate" : "delete";
  }

  /** This dead letter without its payload (for a failure whose payload must not be kept). */
  public DeadLetter withoutPayload() {
    return new DeadLetter(
        id,
        key,
        version,
        position,
        operation,
        null,
        errorType,
        errorMessage,
        attempts,
        firstFailedAt,
        lastFailedAt);
  }

  /** This dead letter after one more failed attempt. */
  public DeadLetter failedAgain(String newErrorType, String newErrorMessage, Instant at) {
    return new DeadLetter(
        id,
        key,
        version,
        position,
        operation,
        payload,
        newErrorType,
        newErrorMessage,
        attempts + 1,
        firstFailedAt,
        at);
  }
}
