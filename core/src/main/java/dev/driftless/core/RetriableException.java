package dev.driftless.core;

import org.jspecify.annotations.Nullable;

/**
 * A transient failure: the same operation may succeed if tried again later (connection refused or
 * reset, timeout, HTTP 5xx, 429, a cluster block). The runner retries it with exponential backoff
 * and never dead-letters because of it.
 *
 * <p>{@link #throttled()} marks the subset of outages that mean "the other side is overloaded"
 * (429, rejected execution): the runner reacts to those by lowering its concurrency and batch size.
 */
public class RetriableException extends DriftlessException {
  private static final long serialVersionUID = 1L;

  private final boolean throttled;

  public RetriableException(String message) {
    this(message, null, false);
  }

  public RetriableException(String message, @Nullable Throwable cause) {
    this(message, cause, false);
  }

  public RetriableException(String message, @Nullable Throwable cause, boolean throttled) {
    super(message, cause);
    this.throttled = throttled;
  }

  /** Whether the failure signals overload of the other side (HTTP 429, rejected execution). */
  public boolean throttled() {
    return throttled;
  }
}
