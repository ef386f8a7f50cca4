package dev.driftless.elasticsearch;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.search.EngineIds;
import dev.driftless.search.SearchSinkSettings;
import dev.driftless.tck.VersionedSinkContract;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The TCK's sink contract (S1.1–S1.14) against a real Elasticsearch 7.10.2 node, through a {@link
 * org.elasticsearch.client.RestClient} handed in by the caller (the other tests build their own
 * from URLs). Checks I3 (stale writes change nothing), I5 (the poison document of S1.9 is Rejected
 * with the engine's reason while the rest of its batch applies) and exact key and document
 * round-trips.
 */
class ElasticsearchSinkContractIT extends VersionedSinkContract {

  /**
   * {@code dynamic: false} keeps every written field in {@code _source} without mapping it, so the
   * suite's mixed-type lists round-trip; {@code poison_number} is mapped as a long, which makes a
   * string there a mapping conflict the engine can never accept. The translog is fsynced in the
   * background rather than per request: these suites send thousands of tiny requests, and
   * durability across a crash is not what they check.
   */
  static final SearchSinkSettings SETTINGS =
      SharedElasticsearch.settings()
          .indexSettings(
              "{\"number_of_shards\":1,\"number_of_replicas\":0,"
                  + "\"translog.durability\":\"async\"}")
          .defaultMapping(
              "{\"dynamic\": false, \"properties\": {\"poison_number\": {\"type\": \"long\"}}}")
          .build();

  @Override
  protected VersionedSink createSink() {
    return ElasticsearchSink.builder()
        .client(SharedElasticsearch.client())
        .settings(SETTINGS)
        .build();
  }

  @Override
  protected Optional<StoredDocument> read(DocumentKey key) {
    return ((ElasticsearchSink) sink()).get(key).map(ElasticsearchSinkContractIT::toTck);
  }

  @Override
  protected Optional<Document> poisonDocument() {
    return Optional.of(Document.of("poison_number", "not a number"));
  }

  /** Keys that spell encoded _ids: of the rule's empty key, and of another of them. */
  @Override
  protected List<String> specialIds() {
    return List.of(
        EngineIds.of(""),
        EngineIds.of(EngineIds.ENCODED_PREFIX),
        EngineIds.ENCODED_PREFIX,
        EngineIds.ENCODED_PREFIX + "short");
  }

  @Override
  protected Duration visibilityTimeout() {
    return Duration.ofSeconds(30);
  }

  static StoredDocument toTck(StoredDocument stored) {
    return stored.deleted()
        ? stored
        : StoredDocument.live(stored.version(), stored.document().withoutFingerprint());
  }
}
