package dev.driftless.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.Version;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.EngineIds;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Extremes of size and naming: a 20 MB document, and keys with unicode, spaces, slashes, control
 * characters and characters that need escaping in URLs or JSON, up to the engines' 512-byte id
 * limit and past it, the empty key and keys that spell an encoded {@code _id} ({@link EngineIds}).
 * They round-trip exactly through writes, real-time reads and the reconciliation listing.
 */
class LargeDocumentAndKeysIT {

  @Test
  void aTwentyMegabyteDocumentIsAppliedAndReadBack() {
    String collection = "large";
    try (ElasticsearchSink sink =
        SharedElasticsearch.sink(
            SharedElasticsearch.settings().mapping(collection, "{\"dynamic\": false}").build())) {
      sink.start(MappingConflictIT.context());
      StringBuilder text = new StringBuilder(20 * 1024 * 1024);
      for (int i = 0; text.length() < 20 * 1024 * 1024; i++) {
        text.append("line ").append(i).append(" — ünïcödé \"quoted\"\n");
      }
      Document big = Document.of("body", text.toString(), "size", (long) text.length());
      DocumentKey key = DocumentKey.of(collection, "big/one");

      long started = System.nanoTime();
      List<WriteResult> results = sink.write(List.of(upsert(key, 7, big)));
      long writeMillis = (System.nanoTime() - started) / 1_000_000;

      assertThat(results).containsExactly(WriteResult.applied());
      Optional<StoredDocument> held = sink.get(key);
      assertThat(held).isPresent();
      assertThat(held.get().version()).isEqualTo(Version.of(7));
      assertThat(held.get().document().get("body")).isEqualTo(text.toString());
      System.err.printf("20 MB document written in %d ms%n", writeMillis);
    }
  }

  @Test
  void awkwardKeysRoundTripThroughWritesReadsAndListing() throws Exception {
    String collection = "keys";
    List<String> ids =
        new ArrayList<>(
            List.of(
                "a/b/c",
                "../..",
                ".",
                "_doc",
                "with space",
                "tab\there",
                "new\nline",
                "nul\u0000byte",
                "back\\slash",
                "\"quoted\" 'single'",
                "?query=1&x=2#fragment",
                "%2F already encoded",
                "plus+plus",
                "日本語のキー",
                "e\u0301 decomposed",
                "\u00e9 precomposed",
                "rocket \uD83D\uDE80",
                "{\"json\":true}",
                "*?<>|,:"));
    String longest =
        "x".repeat(512 - "ß".getBytes(java.nio.charset.StandardCharsets.UTF_8).length) + "ß";
    ids.add(longest);
    ids.add(longest + "y"); // 513 bytes: an encoded _id
    ids.add("");
    ids.add("ß".repeat(2_500));
    ids.add(EngineIds.ENCODED_PREFIX + "x");
    ids.add(EngineIds.of("")); // spells the _id of "" and is another key
    try (ElasticsearchSink sink =
        SharedElasticsearch.sink(SharedElasticsearch.settings().build())) {
      sink.start(MappingConflictIT.context());
      List<ChangeEvent> batch = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        DocumentKey key = DocumentKey.of(collection, ids.get(i));
        batch.add(upsert(key, 100 + i, Document.of("id", ids.get(i)).withFingerprint(i * 31L)));
      }

      List<WriteResult> results = sink.write(batch);

      assertThat(results).containsOnly(WriteResult.applied());
      for (int i = 0; i < ids.size(); i++) {
        DocumentKey key = DocumentKey.of(collection, ids.get(i));
        Optional<StoredDocument> held = sink.get(key);
        assertThat(held).as("read back %s", key).isPresent();
        assertThat(held.get().version()).isEqualTo(Version.of(100 + i));
        assertThat(held.get().document().get("id")).isEqualTo(ids.get(i));
        assertThat(held.get().document().fingerprint()).hasValue(i * 31L);
      }

      sink.refresh(collection);
      FingerprintReader reader = sink.fingerprintReader();
      List<FingerprintReader.KeyFingerprint> listed =
          reader.list(collection, new FingerprintReader.BucketRange(0, Fingerprints.BUCKET_COUNT));
      Set<String> listedIds = new HashSet<>();
      for (FingerprintReader.KeyFingerprint kf : listed) {
        listedIds.add(kf.key().id());
        int i = ids.indexOf(kf.key().id());
        assertThat(i).as("listed id %s was written", kf.key().id()).isNotNegative();
        assertThat(kf.fingerprint()).isEqualTo(i * 31L);
      }
      assertThat(listedIds).containsExactlyInAnyOrderElementsOf(ids);
      List<FingerprintReader.BucketSummary> summary =
          reader.summarize(
              collection, new FingerprintReader.BucketRange(0, Fingerprints.BUCKET_COUNT), 1);
      assertThat(summary).hasSize(1);
      assertThat(summary.get(0).count()).isEqualTo(ids.size());
      // Point reads and batched ranges (the Reconciler's requests) on Elasticsearch 7.10 as well.
      List<String> asked = new ArrayList<>(ids);
      asked.add("never written");
      assertThat(reader.read(collection, asked)).containsExactlyInAnyOrderElementsOf(listed);
      List<FingerprintReader.BucketRange> halves =
          List.of(
              new FingerprintReader.BucketRange(1L << 31, 1L << 32),
              new FingerprintReader.BucketRange(0, 1L << 31));
      assertThat(reader.list(collection, halves)).isEqualTo(listed);
      long total = 0;
      for (FingerprintReader.BucketSummary s : reader.summarize(collection, halves, 4)) {
        total += s.count();
      }
      assertThat(total).isEqualTo(ids.size());
    }
  }

  /**
   * The one key length limit left: Lucene keeps at most 32,766 bytes per keyword value, so a key
   * over that (in {@code driftless_key}) is refused by the engine for that document alone.
   */
  @Test
  void aKeyOverLucenesKeywordLimitIsRejectedAloneAndOneJustUnderItIsApplied() {
    String collection = "huge-keys";
    try (ElasticsearchSink sink =
        SharedElasticsearch.sink(SharedElasticsearch.settings().build())) {
      sink.start(MappingConflictIT.context());
      String atLimit = "k".repeat(32_766);
      String overLimit = "k".repeat(32_767);
      List<WriteResult> results =
          sink.write(
              List.of(
                  upsert(DocumentKey.of(collection, atLimit), 1, Document.of("n", 1L)),
                  upsert(DocumentKey.of(collection, overLimit), 1, Document.of("n", 2L))));

      assertThat(results.get(0)).isEqualTo(WriteResult.applied());
      assertThat(results.get(1))
          .isInstanceOfSatisfying(
              WriteResult.Rejected.class, r -> assertThat(r.reason()).contains("32766"));
      assertThat(sink.get(DocumentKey.of(collection, atLimit))).isPresent();
    }
  }

  private static ChangeEvent.Upsert upsert(DocumentKey key, long version, Document document) {
    return ChangeEvent.upsert(
        key, Version.of(version), SourcePosition.ofOffset(version), document, Instant.EPOCH);
  }
}
