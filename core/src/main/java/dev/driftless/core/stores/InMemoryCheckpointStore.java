package dev.driftless.core.stores;

import dev.driftless.core.spi.CheckpointStore;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** A checkpoint store that lives as long as the object: for tests and ephemeral pipelines. */
public final class InMemoryCheckpointStore implements CheckpointStore {
  private final ConcurrentMap<String, String> positions = new ConcurrentHashMap<>();

  /** An empty store. */
  public InMemoryCheckpointStore() {}

  @Override
  public Optional<String> load(String name) {
    return Optional.ofNullable(positions.get(Objects.requireNonNull(name, "name")));
  }

  @Override
  public void save(String name, String position) {
    positions.put(
        Objects.requireNonNull(name, "name"), Objects.requireNonNull(position, "position"));
  }
}
