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
import java.util.regex.Pattern;

/**
 * Checkpoints as small files in a directory, one per name, replaced atomically (written to a
 * temporary file, forced to disk, then moved over the old one, and the directory forced), so a
 * crash leaves either the old or the new position. Thread-safe.
 *
 * <p>Any non-empty name is accepted (a PostgreSQL source's backfill progress is named {@code
 * postgres-backfill/<pipeline>/<slot>}). A name of up to 128 characters of {@code [A-Za-z0-9_.-]}
 * not starting with a dot is stored as {@code <name>.checkpoint}; any other name is percent-encoded
 * (its UTF-8 bytes outside {@code [A-Za-z0-9_.-]} and a leading dot become {@code %XX}), which is
 * injective and, since such a name either holds a {@code %} or is longer than 128 characters, never
 * yields a simple name's file. An encoded name longer than {@value #SEGMENT} characters is cut into
 * folders of {@value #SEGMENT} characters (each ending in {@code +}), so that no file name exceeds
 * the file system's limit. Two names never share a file.
 */
public final class FileCheckpointStore implements CheckpointStore {
  private static final Pattern SIMPLE = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}");
  private static final int SEGMENT = 200;
  private static final String SUFFIX = ".checkpoint";

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
    Path parent = Objects.requireNonNull(file.getParent(), "parent");
    Files.createDirectories(parent);
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, position, StandardCharsets.UTF_8);
    try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    forceDirectory(parent);
  }

  /** Makes the rename durable; a file system that cannot open a directory already made it so. */
  private static void forceDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Windows cannot open a directory as a channel; its rename is durable on its own.
    }
  }

  /** The file of {@code name}: see the class comment. */
  Path fileFor(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("checkpoint name must not be empty");
    }
    if (SIMPLE.matcher(name).matches()) {
      return directory.resolve(name + SUFFIX);
    }
    String encoded = encode(name);
    Path path = directory;
    int start = 0;
    while (encoded.length() - start > SEGMENT) {
      // "+" is always escaped in an encoded name and never ends a file name: a folder cannot
      // meet a file of another name.
      path = path.resolve(encoded.substring(start, start + SEGMENT) + "+");
      start += SEGMENT;
    }
    return path.resolve(encoded.substring(start) + SUFFIX);
  }

  private static String encode(String name) {
    StringBuilder b = new StringBuilder(name.length() + 16);
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int c = bytes[i] & 0xFF;
      boolean plain =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '-'
              || (c == '.' && i > 0);
      if (plain) {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
        b.append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
      }
    }
    return b.toString();
  }
}
