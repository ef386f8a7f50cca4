package dev.driftless.benchmarks;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The sink benchmark's data: small product documents (seven fields, about 150 bytes of JSON), one
 * per key, generated deterministically before any contender runs, so every contender sends the same
 * documents. Like the documents of the PostgreSQL source, each carries a row fingerprint, so the
 * sink writes all six metadata fields reconciliation reads.
 */
final class Corpus {

  static final String COLLECTION = "items";

  /** The user mapping every contender's index gets (plus the Driftless metadata fields). */
  static final String MAPPING =
      "{\"properties\":{"
          + "\"id\":{\"type\":\"long\"},"
          + "\"name\":{\"type\":\"keyword\"},"
          + "\"category\":{\"type\":\"keyword\"},"
          + "\"price\":{\"type\":\"double\"},"
          + "\"stock\":{\"type\":\"integer\"},"
          + "\"active\":{\"type\":\"boolean\"},"
          + "\"updated_at\":{\"type\":\"date\"}}}";

  /** Settings of every contender's index: one shard, no replica, no refresh during the load. */
  static final String INDEX_SETTINGS =
      "{\"number_of_shards\":1,\"number_of_replicas\":0,\"refresh_interval\":\"-1\"}";

  private static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

  private Corpus() {}

  /** The column texts a database would fingerprint a row by (in column order). */
  private static List<String> texts(Map<String, @Nullable Object> fields) {
    List<String> texts = new ArrayList<>(fields.size());
    for (Object v : fields.values()) {
      texts.add(String.valueOf(v));
    }
    return texts;
  }

  /**
   * {@code count} upserts of distinct keys {@code 1..count}, with versions {@code 1..count}, each
   * document carrying its row fingerprint as the PostgreSQL source attaches one to every row.
   */
  static List<ChangeEvent> events(int count) {
    List<ChangeEvent> events = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long id = i + 1L;
      Map<String, @Nullable Object> f = new LinkedHashMap<>();
      f.put("id", id);
      f.put("name", "item-" + id);
      f.put("category", "category-" + (i % 50));
      f.put("price", (i % 100_000) / 100.0);
      f.put("stock", i % 1_000);
      f.put("active", i % 3 != 0);
      f.put("updated_at", EPOCH.plusSeconds(i).toString());
      events.add(
          ChangeEvent.upsert(
              DocumentKey.of(COLLECTION, Long.toString(id)),
              Version.of(id),
              SourcePosition.ofOffset(i),
              Document.of(f).withFingerprint(Fingerprints.row(texts(f))),
              EPOCH));
    }
    return events;
  }
}
