package dev.driftless.core.internal;

import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import java.util.Optional;

/**
 * The checkpoint store of a pipeline whose user configured none: in memory, and recognisable, so
 * that the runner can tell a source ({@link
 * dev.driftless.core.spi.SourceContext#checkpointStoreConfigured()}) that it may keep its progress
 * durable elsewhere.
 */
public final class DefaultCheckpointStore implements CheckpointStore {
  private final InMemoryCheckpointStore positions = new InMemoryCheckpointStore();

  @Override
  public Optional<String> load(String name) {
    return positions.load(name);
  }

  @Override
  public void save(String name, String position) {
    positions.save(name, position);
  }
}
