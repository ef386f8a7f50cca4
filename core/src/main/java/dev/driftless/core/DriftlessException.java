package dev.driftless.core;

import org.jspecify.annotations.Nullable;

/** The root of every exception Driftless throws. Unchecked. */
public class DriftlessException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DriftlessException(String message) {
    super(message);
  }

  public DriftlessException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
