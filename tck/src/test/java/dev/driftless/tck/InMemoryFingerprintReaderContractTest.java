package dev.driftless.tck;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.spi.FingerprintReader;
import java.util.List;

/** The reference reader passes the reader contract (F1–F6). */
class InMemoryFingerprintReaderContractTest extends FingerprintReaderContract {

  private static final InMemoryChangeLog LOG = fill();

  private static InMemoryChangeLog fill() {
    InMemoryChangeLog log = InMemoryChangeLog.create();
    List<String> ids = sampleIds(MIN_KEYS + 40);
    for (int i = 0; i < ids.size(); i++) {
      log.upsert(DocumentKey.of("things", ids.get(i)), Document.of("n", (long) i));
    }
    for (int i = 0; i < 40; i++) {
      log.delete(DocumentKey.of("things", ids.get(ids.size() - 1 - i)));
    }
    return log;
  }

  @Override
  protected FingerprintReader reader() {
    return InMemoryFingerprintReader.of(LOG);
  }

  @Override
  protected String collection() {
    return "things";
  }
}
