package dev.driftless.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.FingerprintReader.BucketRange;
import dev.driftless.core.spi.FingerprintReader.BucketSummary;
import dev.driftless.core.spi.FingerprintReader.KeyFingerprint;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.MetadataFields;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.elasticsearch.client.Request;
import org.junit.jupiter.api.Test;

/**
 * Issue 17's layout at its limits: listings page in bucket order and read keys from {@code _id}, so
 * keys that share a bucket must come out whole at any page size; and an index written by an earlier
 * version (every document carrying {@value MetadataFields#KEY}) reconciles as before.
 */
class ListingLimitsIT {

  /** Two keys whose 32-bit buckets are equal (found by a birthday search over such names). */
  static final List<String> BUCKET_MATES = List.of("bucket-mate-2396", "bucket-mate-49681");

  private static final BucketRange ALL = new BucketRange(0, Fingerprints.BUCKET_COUNT);

  @Test
  void keysSharingABucketAreListedOnceAtEveryPageSize() throws Exception {
    assertThat(Fingerprints.bucket(BUCKET_MATES.get(0)))
        .isEqualTo(Fingerprints.bucket(BUCKET_MATES.get(1)));
    String collection = "bucket-mates";
    List<String> ids = new ArrayList<>(BUCKET_MATES);
    for (int i = 0; i < 7; i++) {
      ids.add("k" + i);
    }
    List<KeyFingerprint> expected;
    try (ElasticsearchSink sink =
        SharedElasticsearch.sink(SharedElasticsearch.settings().build())) {
      sink.start(MappingConflictIT.context());
      write(sink, collection, ids);
      expected = sink.fingerprintReader().list(collection, ALL);
    }
    assertThat(expected).extracting(k -> k.key().id()).containsExactlyInAnyOrderElementsOf(ids);
    for (int pageSize : new int[] {1, 2, 3}) {
      try (ElasticsearchSink small =
          SharedElasticsearch.sink(SharedElasticsearch.settings().listPageSize(pageSize).build())) {
        small.start(MappingConflictIT.context());
        assertThat(small.fingerprintReader().list(collection, ALL))
            .as("page size %d", pageSize)
            .isEqualTo(expected);
      }
    }
  }

  @Test
  void documentsInTheEarlierLayoutWithTheKeyInEveryDocumentStillReconcile() throws Exception {
    String collection = "earlier-layout";
    try (ElasticsearchSink sink =
        SharedElasticsearch.sink(SharedElasticsearch.settings().build())) {
      sink.start(MappingConflictIT.context());
      write(sink, collection, List.of("new-1", "new-2"));
      // As the sink wrote every document before issue 17: the key in driftless_key, _id the same.
      String index = sink.indexFor(collection);
      StringBuilder bulk = new StringBuilder();
      for (String id : List.of("old-1", "old-2")) {
        long keyHash = Fingerprints.keyHash(id);
        long f = Fingerprints.perKeyOf(keyHash, 99);
        bulk.append("{\"index\":{\"_id\":\"")
            .append(id)
            .append("\",\"version\":7,\"version_type\":\"external_gte\"}}\n")
            .append("{\"n\":1,\"")
            .append(MetadataFields.KEY)
            .append("\":\"")
            .append(id)
            .append("\",\"")
            .append(MetadataFields.VERSION)
            .append("\":7,\"")
            .append(MetadataFields.BUCKET)
            .append("\":")
            .append(Fingerprints.bucketOf(keyHash))
            .append(",\"")
            .append(MetadataFields.FP_LOW)
            .append("\":")
            .append(Fingerprints.low(f))
            .append(",\"")
            .append(MetadataFields.FP_MID)
            .append("\":")
            .append(Fingerprints.mid(f))
            .append(",\"")
            .append(MetadataFields.FP_HIGH)
            .append("\":")
            .append(Fingerprints.high(f))
            .append("}\n");
      }
      Request request = new Request("POST", "/" + index + "/_bulk");
      request.addParameter("refresh", "true");
      request.setJsonEntity(bulk.toString());
      String answer =
          new String(
              SharedElasticsearch.client()
                  .performRequest(request)
                  .getEntity()
                  .getContent()
                  .readAllBytes(),
              StandardCharsets.UTF_8);
      assertThat(answer).contains("\"errors\":false");

      FingerprintReader reader = sink.fingerprintReader();
      List<KeyFingerprint> all = reader.list(collection, ALL);
      assertThat(all)
          .extracting(k -> k.key().id())
          .containsExactly("new-1", "new-2", "old-1", "old-2");
      KeyFingerprint old = all.get(2);
      assertThat(old.fingerprint()).isEqualTo(99);
      assertThat(old.version()).isEqualTo(OptionalLong.of(7));
      assertThat(reader.read(collection, List.of("old-2", "new-1")))
          .extracting(k -> k.key().id())
          .containsExactlyInAnyOrder("old-2", "new-1");
      long low = 0;
      long mid = 0;
      long high = 0;
      for (KeyFingerprint k : all) {
        long f = Fingerprints.perKey(k.key().id(), k.fingerprint());
        low += Fingerprints.low(f);
        mid += Fingerprints.mid(f);
        high += Fingerprints.high(f);
      }
      assertThat(reader.summarize(collection, ALL, 1))
          .containsExactly(new BucketSummary(ALL, 4, low, mid, high));

      // Truncation reads _version, which both layouts carry: at version 1 only new-1 goes; at 7
      // new-2 and both documents of the earlier layout go too.
      assertThat(sink.write(List.of(truncate(collection, 1)))).containsOnly(WriteResult.applied());
      assertThat(reader.list(collection, ALL))
          .extracting(k -> k.key().id())
          .containsExactly("new-2", "old-1", "old-2");
      assertThat(sink.write(List.of(truncate(collection, 7)))).containsOnly(WriteResult.applied());
      assertThat(reader.list(collection, ALL)).isEmpty();
    }
  }

  private static ChangeEvent truncate(String collection, long version) {
    return ChangeEvent.truncate(
        collection, Version.of(version), SourcePosition.ofOffset(100 + version), Instant.EPOCH);
  }

  private static void write(ElasticsearchSink sink, String collection, List<String> ids) {
    List<ChangeEvent> writes = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      writes.add(
          ChangeEvent.upsert(
              DocumentKey.of(collection, ids.get(i)),
              Version.of(1 + i),
              SourcePosition.ofOffset(i),
              Document.of("n", (long) i).withFingerprint(31L * i + 1),
              Instant.EPOCH));
    }
    assertThat(sink.write(writes)).containsOnly(WriteResult.applied());
    sink.refresh(collection);
  }
}
