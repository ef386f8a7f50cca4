package dev.driftless.core.stores;

import dev.driftless.core.spi.CheckpointStore;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;

/**
 * Checkpoints as small files in a directory, one per name, replaced atomically (written to a
 * temporary file, forced to disk, then moved over the old one), so a crash leaves either the old or
 * the new position. Thread-safe.
 */
public final class FileCheckpointStore implements CheckpointStore {
  private final Path directory;

  private FileCheckpointStore(Path directory) {
    this.directory = directory;
  }

  /** A store in {@code directory}, created if absent. */
  public static FileCheckpointStore in(Path directory) throws IOException {
    Objects.requireNonNull(directory, "directory");
    Files.createDirectories(directory);
    return new FileCheckpointStore(directory);
  }

  @Override
  public Optional<String> load(String name) throws IOException {
    Path file = fileFor(name);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
  }

  @Override
  public synchronized void save(String name, String position) throws IOException {
    Objects.requireNonNull(position, "position");
    Path file = fileFor(name);
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, position, StandardCharsets.UTF_8);
    try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private Path fileFor(String name) {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[A-Za-z0-9_.-]{1,128}") || name.startsWith(".")) {
      throw new IllegalArgumentException(
          "checkpoint name must be 1 to 128 characters of [A-Za-z0-9_.-], was '" + name + "'");
    }
    return directory.resolve(name + ".checkpoint");
  }
}
