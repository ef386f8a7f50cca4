package dev.driftless.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.tck.FingerprintReaderContract;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The sink's fingerprint reader passes the TCK's reader contract (F1–F6) on a real Elasticsearch
 * 7.10.2 node: histograms and range aggregations, batched listings, point reads (I8).
 */
class ElasticsearchFingerprintReaderContractIT extends FingerprintReaderContract {

  private static final String COLLECTION = "fingerprinted";
  private static @Nullable ElasticsearchSink sink;

  private static synchronized ElasticsearchSink sink() throws Exception {
    ElasticsearchSink s = sink;
    if (s == null) {
      s = SharedElasticsearch.sink(SharedElasticsearch.settings().build());
      s.start(MappingConflictIT.context());
      List<String> ids = sampleIds(MIN_KEYS + 40);
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
}
