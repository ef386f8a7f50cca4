package dev.driftless.elasticsearch;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.tck.VersionedSinkConvergenceProperties;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The TCK's convergence property S1.12 (I1, I3) against a real Elasticsearch 7.10.2 node: any
 * shuffle, duplication and replay of a history converges to the newest version of every key.
 */
class ElasticsearchSinkConvergenceIT extends VersionedSinkConvergenceProperties {

  private @Nullable ElasticsearchSink reader;

  @Override
  protected VersionedSink createSink() {
    return SharedElasticsearch.sink(ElasticsearchSinkContractIT.SETTINGS);
  }

  @Override
  protected Optional<StoredDocument> read(DocumentKey key) {
    ElasticsearchSink r = reader;
    if (r == null) {
      r = SharedElasticsearch.sink(ElasticsearchSinkContractIT.SETTINGS);
      reader = r;
    }
    return r.get(key).map(ElasticsearchSinkContractIT::toTck);
  }

  @Override
  protected Duration visibilityTimeout() {
    return Duration.ofSeconds(30);
  }
}
