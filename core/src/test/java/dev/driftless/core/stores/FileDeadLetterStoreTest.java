package dev.driftless.core.stores;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
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
}
