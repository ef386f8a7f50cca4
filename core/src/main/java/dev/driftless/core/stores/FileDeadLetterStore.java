package dev.driftless.core.stores;

import dev.driftless.core.DeadLetter;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentJson;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Version;
import dev.driftless.core.spi.DeadLetterStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable dead-letter store in one JSON-lines file that a person can read with {@code less} or
 * {@code jq}.
 *
 * <p>Every change is one appended line, {@code {"op":"put", ...letter...}} or {@code
 * {"op":"remove","id":...}}, and the file is forced to disk ({@code fsync}) before {@link #put} or
 * {@link #remove} returns. Opening the file replays it, applying the one-letter-per-key rule of
 * {@link DeadLetterStore} to the puts in order (so a file written before that rule collapses to one
 * letter per key); a torn last line (a crash in the middle of a write) is ignored, because its
 * write never returned. When superseded and removed letters make up most of the file, it is
 * rewritten compactly (to a temporary file, forced, then atomically moved over).
 *
 * <h2>Permissions</h2>
 *
 * <p>Letters hold user data (the document a sink refused), so on a POSIX file system the file is
 * created readable and writable by its owner only (0600), and an existing file that others may read
 * or write is tightened to 0600 when opened (with a warning naming its old mode). On a file system
 * without POSIX permissions (Windows) nothing is changed: the file inherits the access rules of its
 * directory, so keep it in a directory only the service's account can read.
 *
 * <h2>Exclusive use</h2>
 *
 * <p>One file serves one open store. While open, the store holds an exclusive lock on a sibling
 * file, {@code <file>.lock} (not on the data file itself, which compaction replaces); a second
 * store opened on the same file, in this JVM or in another process, fails at once with an {@link
 * IllegalStateException} saying so. The operating system releases the lock when the process dies,
 * however it dies; the lock file itself stays, empty, and is reused.
 *
 * <p>Thread-safe.
 */
public final class FileDeadLetterStore implements DeadLetterStore {
  private static final Logger LOG = LoggerFactory.getLogger(FileDeadLetterStore.class);

  private final Path file;
  private final FileChannel lockChannel;

  /** What the file holds, replayed on open; the file is the durable log of its changes. */
  private final InMemoryDeadLetterStore letters = new InMemoryDeadLetterStore();

  private FileChannel channel;
  private long linesInFile;
  private boolean closed;

  private FileDeadLetterStore(Path file, FileChannel lockChannel) throws IOException {
    this.file = file;
    this.lockChannel = lockChannel;
    this.channel = openForAppend(file);
    replay();
  }

  /**
   * Opens (creating if absent) the store in {@code file}, and locks it for this store. The parent
   * directory must exist.
   *
   * @throws IllegalStateException if another open store, in this process or another, holds the file
   * @throws UncheckedIOException if the file cannot be created, read, locked or made owner-only
   */
  public static FileDeadLetterStore open(Path file) {
    Objects.requireNonNull(file, "file");
    Path absolute = file.toAbsolutePath();
    FileChannel lock;
    try {
      lock = PrivateFiles.lockExclusively(lockFile(absolute), "dead-letter file " + absolute);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock dead-letter file " + absolute, e);
    }
    try {
      return new FileDeadLetterStore(absolute, lock);
    } catch (IOException | RuntimeException e) {
      PrivateFiles.closeQuietly(lock);
      if (e instanceof IOException io) {
        throw new UncheckedIOException("cannot open dead-letter file " + absolute, io);
      }
      throw (RuntimeException) e;
    }
  }

  /** The sibling file whose lock marks the store as open. */
  static Path lockFile(Path file) {
    return file.resolveSibling(file.getFileName() + ".lock");
  }

  /** The file this store writes. */
  public Path file() {
    return file;
  }

  @Override
  public synchronized void put(DeadLetter letter) throws IOException {
    Objects.requireNonNull(letter, "letter");
    ensureOpen();
    if (letters.resolve(letter) == null) {
      return; // the key holds a newer letter: nothing changes, nothing to write
    }
    // The line holds the letter as put; replaying the file applies the same rule to it again.
    append(encode(letter));
    letters.put(letter);
    compactIfMostlyObsolete();
  }

  @Override
  public synchronized List<DeadLetter> list(int max) {
    return letters.list(max);
  }

  @Override
  public synchronized Optional<DeadLetter> get(String id) {
    return letters.get(id);
  }

  @Override
  public synchronized boolean remove(String id) throws IOException {
    Objects.requireNonNull(id, "id");
    ensureOpen();
    if (letters.get(id).isEmpty()) {
      return false;
    }
    Map<String, @Nullable Object> line = new LinkedHashMap<>();
    line.put("op", "remove");
    line.put("id", id);
    append(line);
    letters.remove(id);
    compactIfMostlyObsolete();
    return true;
  }

  @Override
  public synchronized long count() {
    return letters.count();
  }

  @Override
  public synchronized void close() throws IOException {
    if (!closed) {
      closed = true;
      try {
        channel.close();
      } finally {
        PrivateFiles.closeQuietly(lockChannel); // closing the channel releases the lock
      }
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("dead-letter store " + file + " is closed");
    }
  }

  private static FileChannel openForAppend(Path file) throws IOException {
    PrivateFiles.createOwnerOnly(file);
    return FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  private void compactIfMostlyObsolete() throws IOException {
    if (linesInFile > 64 && linesInFile > 4L * letters.count()) {
      compact();
    }
  }

  private void append(Map<String, @Nullable Object> line) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    DocumentJson.writeValue(line, out);
    out.write('\n');
    ByteBuffer buffer = ByteBuffer.wrap(out.toByteArray());
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    channel.force(false);
    linesInFile++;
  }

  private void replay() throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] != '\n') {
      end--;
    }
    if (end < bytes.length) {
      // A write that never returned (a crash mid-line): drop it, so the next line starts clean.
      LOG.warn(
          "Dropping a torn last line ({} bytes) of dead-letter file {}", bytes.length - end, file);
      channel.truncate(end);
      channel.force(false);
    }
    String[] lines = new String(bytes, 0, end, StandardCharsets.UTF_8).split("\n");
    for (int i = 0; i < lines.length; i++) {
      String text = lines[i];
      if (text.isBlank()) {
        continue;
      }
      linesInFile++;
      Map<?, ?> line;
      try {
        line = (Map<?, ?>) Objects.requireNonNull(DocumentJson.parseValue(text));
      } catch (RuntimeException e) {
        throw new IOException("dead-letter file " + file + " line " + (i + 1) + " is corrupt", e);
      }
      String op = String.valueOf(line.get("op"));
      String id = String.valueOf(line.get("id"));
      if ("remove".equals(op)) {
        letters.remove(id);
      } else if ("put".equals(op)) {
        letters.put(decode(line));
      } else {
        throw new IOException("dead-letter file " + file + " line " + (i + 1) + ": unknown op");
      }
    }
  }

  private void compact() throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".compact");
    Files.deleteIfExists(tmp);
    PrivateFiles.createOwnerOnly(tmp);
    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      for (DeadLetter letter : letters.list(Integer.MAX_VALUE)) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        DocumentJson.writeValue(encode(letter), bytes);
        bytes.write('\n');
        ByteBuffer buffer = ByteBuffer.wrap(bytes.toByteArray());
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
      }
      out.force(true);
    }
    channel.close();
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    channel = openForAppend(file);
    linesInFile = letters.count();
  }

  private static Map<String, @Nullable Object> encode(DeadLetter letter) {
    Map<String, @Nullable Object> line = new LinkedHashMap<>();
    line.put("op", "put");
    line.put("id", letter.id());
    line.put("collection", letter.key().collection());
    line.put("key", letter.key().id());
    line.put("version", letter.version().value());
    line.put("position", letter.position());
    line.put("operation", letter.operation());
    line.put("errorType", letter.errorType());
    line.put("errorMessage", letter.errorMessage());
    line.put("attempts", letter.attempts());
    line.put("firstFailedAt", letter.firstFailedAt().toString());
    line.put("lastFailedAt", letter.lastFailedAt().toString());
    Document payload = letter.payload();
    line.put("payload", payload == null ? null : payload.fields());
    return line;
  }

  private static DeadLetter decode(Map<?, ?> line) {
    Object payload = line.get("payload");
    @SuppressWarnings("unchecked")
    Document document =
        payload instanceof Map<?, ?> map ? Document.of((Map<String, Object>) map) : null;
    return new DeadLetter(
        text(line, "id"),
        DocumentKey.of(text(line, "collection"), text(line, "key")),
        Version.of(((Number) Objects.requireNonNull(line.get("version"))).longValue()),
        text(line, "position"),
        text(line, "operation"),
        document,
        text(line, "errorType"),
        text(line, "errorMessage"),
        ((Number) Objects.requireNonNull(line.get("attempts"))).intValue(),
        Instant.parse(text(line, "firstFailedAt")),
        Instant.parse(text(line, "lastFailedAt")));
  }

  private static String text(Map<?, ?> line, String field) {
    Object value = line.get(field);
    if (value == null) {
      throw new IllegalArgumentException("dead-letter line lacks '" + field + "'");
    }
    return value.toString();
  }
}
