package dev.driftless.opensearch;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.search.EngineIds;
import dev.driftless.search.IndexRouting;
import dev.driftless.tck.FingerprintReaderContract;
import dev.driftless.tck.VersionedSinkContract;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Nested;

/**
 * The TCK's sink contract (S1.1–S1.14) and reader contract (F1–F7) against a real OpenSearch 2.19
 * node, once with versioned deletes and once in tombstone mode. Invariants: I1 and I3 (S1.1–S1.8),
 * I5 (S1.9).
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
        .hosts(OpenSearchNode.shared().httpUrl())
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
                s.deleted()
                    ? s
                    : StoredDocument.live(s.version(), s.document().withoutFingerprint()));
  }

  /** Keys that start like an encoded _id, written beside the reader contract's sample ids. */
  static final List<String> HELD_SPECIAL_IDS =
      List.of(EngineIds.ENCODED_PREFIX, EngineIds.ENCODED_PREFIX + "held");

  /**
   * Keys never written that spell the _id of held keys (the empty one and the long one): a point
   * read of them must find nothing.
   */
  static final List<String> ABSENT_SPECIAL_IDS =
      List.of(
          EngineIds.of(""),
          EngineIds.of(FingerprintReaderContract.LONG_ID),
          EngineIds.ENCODED_PREFIX + "absent");

  /** The sink's fingerprint reader passes the TCK's reader contract (F1–F7). */
  @Nested
  class FingerprintReading extends FingerprintReaderContract {
    @Override
    protected FingerprintReader reader() throws Exception {
      return FingerprintData.sink().fingerprintReader();
    }

    @Override
    protected String collection() {
      return FingerprintData.COLLECTION;
    }

    @Override
    protected List<String> edgeIds() {
      List<String> edges = new ArrayList<>(super.edgeIds());
      edges.addAll(HELD_SPECIAL_IDS);
      return edges;
    }

    @Override
    protected List<String> absentIds() {
      List<String> absent = new ArrayList<>(super.absentIds());
      absent.addAll(ABSENT_SPECIAL_IDS);
      return absent;
    }
  }

  /** One index of documents with fingerprints, some deleted, shared by the reader contract. */
  static final class FingerprintData {
    static final String COLLECTION = "fingerprinted";
    private static @Nullable OpenSearchSink sink;

    static synchronized OpenSearchSink sink() throws Exception {
      OpenSearchSink s = sink;
      if (s == null) {
        s = newSink("fpcontract-", false);
        List<String> ids =
            new ArrayList<>(
                FingerprintReaderContract.sampleIds(FingerprintReaderContract.MIN_KEYS + 40));
        ids.addAll(HELD_SPECIAL_IDS);
        List<ChangeEvent> writes = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
          writes.add(
              Writes.upsert(
                  DocumentKey.of(COLLECTION, ids.get(i)),
                  10 + i,
                  Document.of("n", (long) i).withFingerprint(i * 7919L - 5)));
        }
        List<ChangeEvent> deletes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          deletes.add(Writes.delete(DocumentKey.of(COLLECTION, ids.get(i * 3)), 1_000));
        }
        Writes.settle(s, writes, Duration.ofSeconds(60));
        Writes.settle(s, deletes, Duration.ofSeconds(60));
        s.refresh(COLLECTION);
        sink = s;
      }
      return s;
    }
  }

  /** The sink contract over one delete mode; the nested classes below run it. */
  abstract class DeleteMode extends VersionedSinkContract {
    private final String prefix;
    private final boolean tombstones;
    private final OpenSearchSink reader;

    DeleteMode(String prefix, boolean tombstones) {
      this.prefix = prefix;
      this.tombstones = tombstones;
      this.reader = newSink(prefix, tombstones);
    }

    @Override
    protected VersionedSink createSink() {
      return newSink(prefix, tombstones);
    }

    @Override
    protected Optional<StoredDocument> read(DocumentKey key) {
      return OpenSearchSinkContractIT.read(reader, key);
    }

    @Override
    protected Optional<Document> poisonDocument() {
      return Optional.of(Document.of("n", "not a number"));
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
  }

  @Nested
  class VersionedDeletes extends DeleteMode {
    VersionedDeletes() {
      super("contract-", false);
    }
  }

  @Nested
  class Tombstones extends DeleteMode {
    Tombstones() {
      super("contract-tomb-", true);
    }
  }
}
