package dev.driftless.tck;

import dev.driftless.core.spi.DeadLetterStore;
import dev.driftless.core.stores.FileDeadLetterStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;

/** Core's JSON-lines dead-letter store passes the store contract, including durability (D1.6). */
class FileDeadLetterStoreTest extends DeadLetterStoreContract {

  @TempDir Path directory;

  @Override
  protected DeadLetterStore createStore() throws Exception {
    return FileDeadLetterStore.open(Files.createTempFile(directory, "dead-letters", ".jsonl"));
  }

  @Override
  protected Optional<DeadLetterStore> reopen(DeadLetterStore store) throws Exception {
    Path file = ((FileDeadLetterStore) store).file();
    store.close();
    return Optional.of(FileDeadLetterStore.open(file));
  }
}
