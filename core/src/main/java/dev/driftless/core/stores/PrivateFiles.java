package dev.driftless.core.stores;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Files only their owner may read, and exclusive locks marking a file as in use. */
final class PrivateFiles {
  private static final Logger LOG = LoggerFactory.getLogger(PrivateFiles.class);
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> NOT_OWNER =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

  private PrivateFiles() {}

  /**
   * Creates {@code file} with mode 0600 if it is absent, or tightens an existing file that others
   * may access to 0600. On a file system without POSIX permissions it only creates the file.
   */
  static void createOwnerOnly(Path file) throws IOException {
    Path directory = file.toAbsolutePath().getParent();
    boolean posix =
        Files.getFileStore(directory == null ? file : directory)
            .supportsFileAttributeView(PosixFileAttributeView.class);
    if (!Files.exists(file)) {
      try {
        if (posix) {
          Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } else {
          Files.createFile(file);
        }
        return;
      } catch (FileAlreadyExistsException raced) {
        // created meanwhile: check it like any existing file
      }
    }
    if (!posix) {
      return;
    }
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
    if (mode.stream().anyMatch(NOT_OWNER::contains)) {
      Set<PosixFilePermission> tightened = EnumSet.noneOf(PosixFilePermission.class);
      tightened.addAll(mode);
      tightened.removeAll(NOT_OWNER);
      Files.setPosixFilePermissions(file, tightened);
      LOG.warn(
          "{} was accessible to other users ({}); its mode is now {}",
          file,
          PosixFilePermissions.toString(mode),
          PosixFilePermissions.toString(tightened));
    }
  }

  /**
   * Opens {@code lockFile} (created owner-only if absent) and takes an exclusive lock on it, held
   * until the returned channel is closed or the process ends.
   *
   * @param what what the lock protects, for the message
   * @throws IllegalStateException if this process or another one holds the lock
   */
  static FileChannel lockExclusively(Path lockFile, String what) throws IOException {
    createOwnerOnly(lockFile);
    FileChannel channel =
        FileChannel.open(lockFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      closeQuietly(channel);
      throw new IllegalStateException(
          what
              + " is already open in another store of this process (it holds the lock on "
              + lockFile
              + "): close that store first, or use another file",
          e);
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
    if (lock == null) {
      closeQuietly(channel);
      throw new IllegalStateException(
          what
              + " is already open in another process (it holds the lock on "
              + lockFile
              + "): one file serves one store at a time; stop that process or use another file");
    }
    return channel;
  }

  static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      LOG.warn("closing {} failed", channel, e);
    }
  }
}
