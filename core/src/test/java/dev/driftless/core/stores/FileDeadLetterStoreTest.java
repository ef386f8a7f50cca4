package dev.driftless.core.stores;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File-specific behaviour; the tck's DeadLetterStoreContract covers the SPI rules. */
class FileDeadLetterStoreTest {
  @TempDir Path dir;

  static DeadLetter letter(String id) {
    return DeadLetter.of(
        id,
        ChangeEvent.upsert(
            DocumentKey.of("t", "k " + id),
            Version.of(7),
            SourcePosition.ofOffset(3),
            Document.of("a", "ü"),
            Instant.EPOCH),
        "mapper_parsing_exception",
        "failed to parse field [a]",
        2,
        Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Test
  void fileIsOwnerOnlyAndHumanReadable() throws Exception {
    Path file = dir.resolve("dead.jsonl");
    try (FileDeadLetterStore store = FileDeadLetterStore.open(file)) {
      store.put(letter("1"));
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    String text = Files.readString(file, StandardCharsets.UTF_8);
    assertThat(text)
        .contains("\"errorType\":\"mapper_parsing_exception\"")
        .contains("\"key\":\"k 1\"")
        .endsWith("\n");
  }

  @Test
  void survivesRestartAndIgnoresATornLastLine() throws Exception {
    Path file = dir.resolve("dead.jsonl");
    try (FileDeadLetterStore store = FileDeadLetterStore.open(file)) {
      store.put(letter("1"));
      store.put(letter("2"));
      store.remove("1");
    }
    Files.writeString(file, "{\"op\":\"put\",\"id\":\"3\",\"coll", StandardOpenOption.APPEND);
    try (FileDeadLetterStore store = FileDeadLetterStore.open(file)) {
      store.put(letter("4"));
    }
    try (FileDeadLetterStore store = FileDeadLetterStore.open(file)) {
      assertThat(store.list(10)).extracting(DeadLetter::id).containsExactly("2", "4");
      DeadLetter back = store.get("2").orElseThrow();
      assertThat(back.key()).isEqualTo(DocumentKey.of("t", "k 2"));
      assertThat(back.payload()).isEqualTo(Document.of("a", "ü"));
      assertThat(back.attempts()).isEqualTo(2);
    }
  }

  @Test
  void compactsWhenMostLinesAreRemovals() throws Exception {
    Path file = dir.resolve("dead.jsonl");
    try (FileDeadLetterStore store = FileDeadLetterStore.open(file)) {
      for (int i = 0; i < 200; i++) {
        store.put(letter(Integer.toString(i)));
      }
      for (int i = 0; i < 199; i++) {
        store.remove(Integer.toString(i));
      }
      assertThat(Files.readAllLines(file).size()).isLessThan(100);
    }
    try (FileDeadLetterStore store = FileDeadLetterStore.open(file)) {
      assertThat(store.list(10)).extracting(DeadLetter::id).containsExactly("199");
    }
  }

  @Test
  void anExistingFileOthersCanReadIsTightenedToOwnerOnly() throws Exception {
    Path file = dir.resolve("dead.jsonl");
    try (FileDeadLetterStore store = FileDeadLetterStore.open(file)) {
      store.put(letter("1"));
    }
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    try (FileDeadLetterStore store = FileDeadLetterStore.open(file)) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .isEqualTo("rw-------");
      assertThat(store.count()).isEqualTo(1);
    }
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(FileDeadLetterStore.lockFile(file))))
        .isEqualTo("rw-------");
  }

  @Test
  void compactionKeepsTheFileOwnerOnly() throws Exception {
    Path file = dir.resolve("dead.jsonl");
    try (FileDeadLetterStore store = FileDeadLetterStore.open(file)) {
      for (int i = 0; i < 100; i++) {
        store.put(letter(Integer.toString(i)));
        store.remove(Integer.toString(i));
      }
      assertThat(Files.readAllLines(file).size()).isLessThan(100);
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
  }

  @Test
  void aSecondStoreOnTheSameFileInThisProcessFailsFast() throws Exception {
    Path file = dir.resolve("dead.jsonl");
    try (FileDeadLetterStore first = FileDeadLetterStore.open(file)) {
      first.put(letter("1"));
      assertThatThrownBy(() -> FileDeadLetterStore.open(dir.resolve("./dead.jsonl")))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already open in another store of this process");
      first.put(letter("2")); // the refused open disturbed nothing
    }
    try (FileDeadLetterStore again = FileDeadLetterStore.open(file)) {
      assertThat(again.count()).isEqualTo(2);
    }
  }

  @Test
  void aStoreOpenInAnotherProcessLocksTheFileUntilThatProcessDies() throws Exception {
    Path file = dir.resolve("dead.jsonl");
    String java = ProcessHandle.current().info().command().orElse("java");
    Process holder =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                LockHolder.class.getName(),
                file.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      assertThat(CompletableFuture.supplyAsync(() -> readLine(out)).get(60, TimeUnit.SECONDS))
          .isEqualTo("open");
      assertThatThrownBy(() -> FileDeadLetterStore.open(file))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already open in another process")
          .hasMessageContaining(file.toString());
    } finally {
      holder.destroyForcibly(); // kill -9: the operating system releases the lock
      assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    try (FileDeadLetterStore store = FileDeadLetterStore.open(file)) {
      assertThat(store.list(10)).extracting(DeadLetter::id).containsExactly("from-child");
    }
  }

  @Test
  void aFileWithSeveralLettersPerKeyCollapsesToTheNewestOnOpen() throws Exception {
    // Written before one letter per key: each backfill restart dead-lettered the key again.
    Path file = dir.resolve("dead.jsonl");
    try (FileDeadLetterStore store = FileDeadLetterStore.open(file)) {
      store.put(letter("1"));
    }
    String line = Files.readAllLines(file).get(0);
    Files.writeString(
        file,
        line.replace("\"id\":\"1\"", "\"id\":\"2\"")
            + "\n"
            + line.replace("\"id\":\"1\"", "\"id\":\"3\"").replace("\"version\":7", "\"version\":8")
            + "\n",
        StandardOpenOption.APPEND);
    try (FileDeadLetterStore store = FileDeadLetterStore.open(file)) {
      assertThat(store.list(10))
          .singleElement()
          .satisfies(
              l -> {
                assertThat(l.id()).isEqualTo("3");
                assertThat(l.version()).isEqualTo(Version.of(8));
                assertThat(l.attempts()).isEqualTo(6);
              });
    }
  }

  private static String readLine(BufferedReader reader) {
    try {
      return String.valueOf(reader.readLine());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Run in a child JVM: opens a store on the file, says so, and holds it until killed. */
  public static final class LockHolder {
    public static void main(String[] args) throws Exception {
      FileDeadLetterStore store = FileDeadLetterStore.open(Path.of(args[0]));
      store.put(letter("from-child"));
      System.out.println("open");
      System.out.flush();
      new java.util.concurrent.CountDownLatch(1).await();
    }
  }
}
