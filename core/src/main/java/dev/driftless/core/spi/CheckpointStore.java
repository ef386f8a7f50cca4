package dev.driftless.core.spi;

import java.util.Optional;

/**
 * Where a source that does not keep its own position (unlike a PostgreSQL replication slot) stores
 * the pipeline's committed position.
 *
 * <p>Thread-safe. {@link #save} is durable when it returns. Positions are opaque strings written by
 * the source ({@link dev.driftless.core.SourcePosition#asString()}).
 */
public interface CheckpointStore {

  /** The last position saved under {@code name}. */
  Optional<String> load(String name) throws Exception;

  /** Saves {@code position} under {@code name}, replacing what was there. */
  void save(String name, String position) throws Exception;
}
