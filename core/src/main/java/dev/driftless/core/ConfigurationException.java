package dev.driftless.core;

import org.jspecify.annotations.Nullable;

/**
 * The pipeline cannot go on because something is set up wrong — a setting, or the target it points
 * at (an index whose mapping lacks Driftless's fields, routing that sends two collections to one
 * index, an index the engine refuses to create). Neither retrying nor dead-lettering can help, so
 * the runner stops the pipeline with this as its failure, committing nothing past what settled.
 */
public class ConfigurationException extends DriftlessException {
  private static final long serialVersionUID = 1L;

  public ConfigurationException(String message) {
    super(message);
  }

  public ConfigurationException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
