package dev.driftless.opensearch;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.search.IndexRouting;
import dev.driftless.tck.StoredDocument;
import dev.driftless.tck.VersionedSinkContract;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.util.Optional;
import org.junit.jupiter.api.Nested;

/**
 * The TCK's sink contract (S1.1–S1.11) against a real OpenSearch 2.19 node, once with versioned
 * deletes and once in tombstone mode. Invariants: I1 and I3 (S1.1–S1.8), I5 (S1.9).
 */
class OpenSearchSinkContractIT {

  /**
   * "n" is a long, so a document with a text "n" is poison (S1.9); everything else is unmapped
   * ({@code dynamic: false}) and round-trips through {@code _source} whatever its type.
   */
  static final String MAPPING =
      "{\"dynamic\": false, \"properties\": {\"n\": {\"type\": \"long\"}}}";

  static OpenSearchSink newSink(String prefix, boolean tombstones) {
    return OpenSearchSink.builder()
        .urls(OpenSearchNode.shared().httpUrl())
        .routing(IndexRouting.prefixed(prefix))
        .defaultMapping(MAPPING)
        .indexSettings(
            "{\"number_of_shards\": 1, \"number_of_replicas\": 0, \"translog.durability\": \"async\"}")
        .tombstones(tombstones)
        .build();
  }

  static Optional<StoredDocument> read(OpenSearchSink reader, DocumentKey key) {
    return reader
        .get(key)
        .map(
            s ->
                s.tombstone()
                    ? StoredDocument.deletedAt(s.version())
                    : StoredDocument.live(s.version(), s.document().withoutFingerprint()));
  }

  @Nested
  class VersionedDeletes extends VersionedSinkContract {
    private final OpenSearchSink reader = newSink("contract-", false);

    @Override
    protected VersionedSink createSink() {
      return newSink("contract-", false);
    }

    @Override
    protected Optional<StoredDocument> read(DocumentKey key) {
      return OpenSearchSinkContractIT.read(reader, key);
    }

    @Override
    protected Optional<Document> poisonDocument() {
      return Optional.of(Document.of("n", "not a number"));
    }
  }

  @Nested
  class Tombstones extends VersionedSinkContract {
    private final OpenSearchSink reader = newSink("contract-tomb-", true);

    @Override
    protected VersionedSink createSink() {
      return newSink("contract-tomb-", true);
    }

    @Override
    protected Optional<StoredDocument> read(DocumentKey key) {
      return OpenSearchSinkContractIT.read(reader, key);
    }

    @Override
    protected Optional<Document> poisonDocument() {
      return Optional.of(Document.of("n", "not a number"));
    }
  }
}
