package dev.driftless.postgres.internal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The changes of one streamed (in-progress) transaction, kept on disk until its STREAM COMMIT so
 * that a transaction of any size costs a bounded amount of heap. Each record is the raw pgoutput
 * change message with the subtransaction that made it and the relation shape in effect.
 *
 * <p>A subtransaction abort cuts the file back to where that subtransaction's first change was:
 * everything after it belongs to it or to its own subtransactions (the server streams a
 * transaction's changes in order, and a rolled-back savepoint's changes all precede the abort).
 *
 * <p>Not thread-safe; used by the source's poll thread only.
 */
final class SpillFile implements Closeable {

  private static final String SUFFIX = ".spill";

  /** One spilled change. */
  record Record(long subXid, int relationIndex, ByteBuffer message) {}

  private final long topXid;
  private final Path path;
  private final FileChannel channel;
  private final DataOutputStream out;
  private final Map<Long, Long> subtransactionStarts = new LinkedHashMap<>();
  private long size;
  private long records;
  private boolean closed;

  /**
   * A new file in {@code directory}, named after {@code owner} (see {@link #deleteLeftovers}).
   *
   * @param owner who spills: the source's slot and database, {@code [a-z0-9_.]} only
   */
  SpillFile(Path directory, String owner, long topXid) throws IOException {
    this.topXid = topXid;
    Files.createDirectories(directory);
    this.path = Files.createTempFile(directory, prefix(owner) + topXid + "-", SUFFIX);
    this.channel =
        FileChannel.open(
            path,
            StandardOpenOption.WRITE,
            StandardOpenOption.READ,
            StandardOpenOption.TRUNCATE_EXISTING);
    this.out =
        new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
  }

  private static String prefix(String owner) {
    if (!owner.matches("[a-z0-9_.]{1,80}")) {
      throw new IllegalArgumentException("spill owner must be [a-z0-9_.], was " + owner);
    }
    // Owners never hold '-', so no owner's prefix is the start of another's.
    return "driftless-" + owner + "-xid-";
  }

  /**
   * Deletes the spill files {@code owner} left in {@code directory} when its process died without
   * closing them (a {@code kill -9}), and no other owner's. Call it only while no file of this
   * owner is in use: the source calls it at start, once it holds its replication slot (which only
   * one process at a time can).
   *
   * @return how many files were deleted
   */
  static int deleteLeftovers(Path directory, String owner) throws IOException {
    if (!Files.isDirectory(directory)) {
      return 0;
    }
    String prefix = prefix(owner);
    int deleted = 0;
    try (java.nio.file.DirectoryStream<Path> files =
        Files.newDirectoryStream(directory, prefix + "*" + SUFFIX)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        // <prefix><xid>-<random>.spill: the rest after the prefix starts with the xid's digits.
        if (name.length() > prefix.length()
            && Character.isDigit(name.charAt(prefix.length()))
            && Files.deleteIfExists(f)) {
          deleted++;
        }
      }
    }
    return deleted;
  }

  long topXid() {
    return topXid;
  }

  long records() {
    return records;
  }

  long sizeBytes() {
    return size;
  }

  void append(long subXid, int relationIndex, ByteBuffer message) throws IOException {
    if (subXid != topXid) {
      subtransactionStarts.putIfAbsent(subXid, size);
    }
    ByteBuffer m = message.slice();
    int length = m.remaining();
    out.writeInt(length);
    out.writeLong(subXid);
    out.writeInt(relationIndex);
    out.write(m.array(), m.arrayOffset() + m.position(), length);
    size += 16L + length;
    records++;
  }

  /** Drops the changes of {@code subXid} and of everything streamed after its first change. */
  void abortSubtransaction(long subXid) throws IOException {
    Long start = subtransactionStarts.get(subXid);
    if (start == null) {
      return;
    }
    out.flush();
    channel.truncate(start);
    channel.position(start);
    size = start;
    subtransactionStarts.values().removeIf(offset -> offset >= start);
    // The record count only feeds status; recount lazily is not worth it, so keep an upper bound.
  }

  /** Writes buffered records to the file (at the end of each streamed block). */
  void flush() throws IOException {
    out.flush();
  }

  /** Stops writing and returns the records in order. The iterator deletes nothing. */
  Iterator<Record> read() throws IOException {
    out.flush();
    long end = size;
    DataInputStream in =
        new DataInputStream(new BufferedInputStream(Files.newInputStream(path), 1 << 16));
    return new Iterator<>() {
      private long offset;
      private @Nullable Record next;

      @Override
      public boolean hasNext() {
        if (next != null) {
          return true;
        }
        if (offset >= end) {
          closeQuietly();
          return false;
        }
        try {
          int length = in.readInt();
          long subXid = in.readLong();
          int relationIndex = in.readInt();
          byte[] bytes = new byte[length];
          in.readFully(bytes);
          offset += 16L + length;
          next = new Record(subXid, relationIndex, ByteBuffer.wrap(bytes));
          return true;
        } catch (EOFException e) {
          throw new UncheckedIOException("spill file " + path + " ended early", e);
        } catch (IOException e) {
          throw new UncheckedIOException("could not read spill file " + path, e);
        }
      }

      @Override
      public Record next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        Record r = next;
        next = null;
        return java.util.Objects.requireNonNull(r);
      }

      private void closeQuietly() {
        try {
          in.close();
        } catch (IOException ignored) {
          // reading is over; nothing to recover
        }
      }
    };
  }

  /** Closes and deletes the file. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      out.close();
    } catch (IOException ignored) {
      // the file is deleted next; a failed flush loses nothing we still need
    }
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete spill file " + path, e);
    }
  }
}
