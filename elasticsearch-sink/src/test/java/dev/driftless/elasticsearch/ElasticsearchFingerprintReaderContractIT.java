package dev.driftless.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.EngineIds;
import dev.driftless.tck.FingerprintReaderContract;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The sink's fingerprint reader passes the TCK's reader contract (F1–F7) on a real Elasticsearch
 * 7.10.2 node: histograms and range aggregations, batched listings, point reads (I8), also of keys
 * stored under an encoded {@code _id} ({@link EngineIds}).
 */
class ElasticsearchFingerprintReaderContractIT extends FingerprintReaderContract {

  private static final String COLLECTION = "fingerprinted";
  private static @Nullable ElasticsearchSink sink;

  /** Keys that start like an encoded _id, written beside the sample ids. */
  static final List<String> HELD_SPECIAL_IDS =
      List.of(EngineIds.ENCODED_PREFIX, EngineIds.ENCODED_PREFIX + "held");

  /**
   * Keys never written that spell the _id of held keys (the empty one and {@link #LONG_ID}): a
   * point read of them must find nothing.
   */
  static final List<String> ABSENT_SPECIAL_IDS =
      List.of(EngineIds.of(""), EngineIds.of(LONG_ID), EngineIds.ENCODED_PREFIX + "absent");

  private static synchronized ElasticsearchSink sink() throws Exception {
    ElasticsearchSink s = sink;
    if (s == null) {
      s = SharedElasticsearch.sink(SharedElasticsearch.settings().build());
      s.start(MappingConflictIT.context());
      List<String> ids = new ArrayList<>(sampleIds(MIN_KEYS + 40));
      ids.addAll(HELD_SPECIAL_IDS);
      List<ChangeEvent> writes = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        writes.add(
            ChangeEvent.upsert(
                DocumentKey.of(COLLECTION, ids.get(i)),
                Version.of(10 + i),
                SourcePosition.ofOffset(i),
                Document.of("n", (long) i).withFingerprint(i * 7919L - 5),
                Instant.EPOCH));
      }
      assertThat(s.write(writes)).containsOnly(WriteResult.applied());
      List<ChangeEvent> deletes = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        deletes.add(
            ChangeEvent.delete(
                DocumentKey.of(COLLECTION, ids.get(i * 3)),
                Version.of(1_000),
                SourcePosition.ofOffset(1_000 + i),
                Instant.EPOCH));
      }
      assertThat(s.write(deletes)).containsOnly(WriteResult.applied());
      s.refresh(COLLECTION);
      sink = s;
    }
    return s;
  }

  @Override
  protected FingerprintReader reader() throws Exception {
    return sink().fingerprintReader();
  }

  @Override
  protected String collection() {
    return COLLECTION;
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
