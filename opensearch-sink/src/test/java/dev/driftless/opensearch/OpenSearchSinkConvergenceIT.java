package dev.driftless.opensearch;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.tck.VersionedSinkConvergenceProperties;
import java.util.Optional;

/**
 * TCK rule S1.12 (I1, I3): shuffled, duplicated and replayed histories converge on a real
 * OpenSearch node.
 */
class OpenSearchSinkConvergenceIT extends VersionedSinkConvergenceProperties {

  private static final OpenSearchSink READER = OpenSearchSinkContractIT.newSink("converge-", false);

  @Override
  protected VersionedSink createSink() {
    return OpenSearchSinkContractIT.newSink("converge-", false);
  }

  @Override
  protected Optional<StoredDocument> read(DocumentKey key) {
    return OpenSearchSinkContractIT.read(READER, key);
  }
}
