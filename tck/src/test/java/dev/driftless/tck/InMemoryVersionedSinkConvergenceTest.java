package dev.driftless.tck;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.spi.VersionedSink;
import java.util.Optional;

/** The reference sink converges under shuffles, duplicates and replays (S1.12; I1, I3). */
class InMemoryVersionedSinkConvergenceTest extends VersionedSinkConvergenceProperties {

  private final InMemoryVersionedSink shared = InMemoryVersionedSink.create();

  @Override
  protected VersionedSink createSink() {
    return shared;
  }

  @Override
  protected Optional<StoredDocument> read(DocumentKey key) {
    return shared.get(key);
  }
}
