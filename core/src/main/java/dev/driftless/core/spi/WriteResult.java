package dev.driftless.core.spi;

import java.util.Objects;

/**
 * What a {@link VersionedSink} did with one event of a batch.
 *
 * <ul>
 *   <li>{@link Applied}: the index now holds this version.
 *   <li>{@link Stale}: the index already held this version or a newer one; nothing changed. A
 *       success.
 *   <li>{@link Rejected}: the event can never be applied as it is (mapping error, document too
 *       large, illegal argument): it is poison and goes to the dead-letter store.
 *   <li>{@link Retry}: this item hit a transient failure (429, rejected execution, 5xx, cluster
 *       block): try it again later. Never dead-lettered.
 * </ul>
 */
public sealed interface WriteResult
    permits WriteResult.Applied, WriteResult.Stale, WriteResult.Rejected, WriteResult.Retry {

  static Applied applied() {
    return Applied.INSTANCE;
  }

  static Stale stale() {
    return Stale.INSTANCE;
  }

  static Rejected rejected(String errorType, String reason) {
    return new Rejected(errorType, reason);
  }

  static Retry retry(String reason, boolean throttled) {
    return new Retry(reason, throttled);
  }

  /** The index now holds this event's version. */
  enum Applied implements WriteResult {
    INSTANCE
  }

  /** The index already held this version or a newer one. */
  enum Stale implements WriteResult {
    INSTANCE
  }

  /**
   * A permanent, item-level failure.
   *
   * @param errorType a short machine-readable class, such as the engine's error type
   * @param reason the engine's own explanation
   */
  record Rejected(String errorType, String reason) implements WriteResult {
    public Rejected {
      Objects.requireNonNull(errorType, "errorType");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * A transient, item-level failure.
   *
   * @param reason what happened
   * @param throttled whether it signals overload (429, rejected execution)
   */
  record Retry(String reason, boolean throttled) implements WriteResult {
    public Retry {
      Objects.requireNonNull(reason, "reason");
    }
  }
}
