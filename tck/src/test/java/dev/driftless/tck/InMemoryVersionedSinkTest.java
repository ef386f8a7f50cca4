package dev.driftless.tck;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.spi.VersionedSink;
import java.util.Optional;

/** The reference sink passes the sink contract, including the optional poison rule S1.9. */
class InMemoryVersionedSinkTest extends VersionedSinkContract {

  private final InMemoryVersionedSink shared =
      InMemoryVersionedSink.builder().poison(document -> document.has("poison")).build();

  @Override
  protected VersionedSink createSink() {
    return shared;
  }

  @Override
  protected Optional<StoredDocument> read(DocumentKey key) {
    return shared.get(key);
  }

  @Override
  protected Optional<Document> poisonDocument() {
    return Optional.of(Document.of("poison", true));
  }
}
