package dev.driftless.opensearch;

import static dev.driftless.opensearch.Writes.delete;
import static dev.driftless.opensearch.Writes.settle;
import static dev.driftless.opensearch.Writes.upsert;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.FingerprintReader.BucketRange;
import dev.driftless.core.spi.FingerprintReader.BucketSummary;
import dev.driftless.core.spi.FingerprintReader.KeyFingerprint;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.IndexRouting;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenSearch sink against a real OpenSearch 2.19 node whose {@code http.max_content_length} is
 * 30 MB (so a 413 can be provoked). Invariants: I5 (poison isolated), I1/I3 (round trips,
 * tombstones), I8's index side (summaries and listings equal a brute-force computation).
 */
class OpenSearchSinkIT {

  private static final OpenSearchNode NODE =
      OpenSearchNode.builder().setting("http.max_content_length", "30mb").start();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final String MAPPING =
      "{\"dynamic\": false, \"properties\": {\"n\": {\"type\": \"long\"}}}";

  @AfterAll
  static void stopNode() {
    NODE.close();
  }

  private static OpenSearchSink.Builder sinkBuilder(String prefix) {
    return OpenSearchSink.builder()
        .hosts(NODE.httpUrl())
        .routing(IndexRouting.prefixed(prefix))
        .defaultMapping(MAPPING)
        .indexSettings(
            "{\"number_of_shards\": 1, \"number_of_replicas\": 0, \"translog.durability\": \"async\"}");
  }

  private static HttpResponse<String> http(String method, String path, String body)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(NODE.httpUrl() + path))
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json")
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static long count(String index) throws Exception {
    http("POST", "/" + index + "/_refresh", "");
    String body = http("GET", "/" + index + "/_count", "").body();
    return Long.parseLong(body.replaceAll(".*\"count\":(\\d+).*", "$1"));
  }

  private static SinkContext context() {
    return new SinkContext() {
      @Override
      public String pipelineName() {
        return "it";
      }

      @Override
      public int maxBatchEvents() {
        return 1000;
      }

      @Override
      public long maxBatchBytes() {
        return 5L << 20;
      }
    };
  }

  @Test
  void onlyTheMappingConflictOfABatchOf1000IsRejectedWithTheEnginesReason() throws Exception {
    try (OpenSearchSink sink = sinkBuilder("poison-").build()) {
      List<ChangeEvent> batch = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        Object n = i == 500 ? "five hundred" : (Object) (long) i;
        batch.add(upsert(DocumentKey.of("items", "item-" + i), 1, Document.of("n", n)));
      }
      List<WriteResult> results = settle(sink, batch, SETTLE);

      assertThat(results).hasSize(1000);
      assertThat(results.get(500))
          .isInstanceOfSatisfying(
              WriteResult.Rejected.class,
              r -> {
                assertThat(r.errorType()).isEqualTo("mapper_parsing_exception");
                assertThat(r.reason()).contains("[n]").contains("five hundred");
              });
      List<WriteResult> others = new ArrayList<>(results);
      others.remove(500);
      assertThat(others).containsOnly(WriteResult.applied());
      assertThat(count("poison-items")).isEqualTo(999);
    }
  }

  @Test
  void aTwentyMegabyteDocumentIsWrittenAloneAndRequestsStayUnderTheEnginesLimit() throws Exception {
    String twenty = "x".repeat(20 << 20);
    try (OpenSearchSink sink = sinkBuilder("big-").build()) {
      List<WriteResult> r =
          settle(
              sink,
              List.of(
                  upsert(DocumentKey.of("docs", "small-1"), 1, Document.of("n", 1L)),
                  upsert(DocumentKey.of("docs", "huge"), 1, Document.of("text", twenty)),
                  upsert(DocumentKey.of("docs", "small-2"), 1, Document.of("n", 2L))),
              SETTLE);
      assertThat(r).containsOnly(WriteResult.applied());
      StoredDocument huge = sink.get(DocumentKey.of("docs", "huge")).orElseThrow();
      assertThat((String) huge.document().get("text")).hasSize(20 << 20);
    }
    // With a 64 MB request bound the sink still keeps each request under the node's 30 MB
    // http.max_content_length (read from _nodes/http): a larger body would make the node close
    // the connection mid-upload, which looks like an outage and would be retried forever.
    String eleven = "y".repeat(11 << 20);
    try (OpenSearchSink sink = sinkBuilder("split-").maxRequestBytes(64L << 20).build()) {
      List<ChangeEvent> batch = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        batch.add(upsert(DocumentKey.of("docs", "eleven-" + i), 1, Document.of("text", eleven)));
      }
      batch.add(
          upsert(
              DocumentKey.of("docs", "over-limit"), 1, Document.of("text", "z".repeat(31 << 20))));
      List<WriteResult> results = settle(sink, batch, SETTLE);
      assertThat(results.subList(0, 3)).containsOnly(WriteResult.applied());
      assertThat(results.get(3))
          .isInstanceOfSatisfying(
              WriteResult.Rejected.class,
              r -> {
                assertThat(r.errorType()).isEqualTo("request_entity_too_large");
                assertThat(r.reason()).contains("http.max_content_length");
              });
      assertThat(count("split-docs")).isEqualTo(3);
    }
  }

  @Test
  void tombstonesKeepDeleteVersionsBehindAFilteredAliasUntilPurged() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    try (OpenSearchSink sink =
        sinkBuilder("tomb-")
            .tombstones(true)
            .tombstoneHorizon(Duration.ofHours(1))
            .clock(clock)
            .build()) {
      DocumentKey gone = DocumentKey.of("users", "gone");
      DocumentKey kept = DocumentKey.of("users", "kept");
      settle(
          sink,
          List.of(upsert(gone, 1, Document.of("n", 1L)), upsert(kept, 1, Document.of("n", 2L))),
          SETTLE);
      assertThat(settle(sink, List.of(delete(gone, 5)), SETTLE))
          .containsOnly(WriteResult.applied());

      StoredDocument marker = sink.get(gone).orElseThrow();
      assertThat(marker.deleted()).isTrue();
      assertThat(marker.version().value()).isEqualTo(5);
      assertThat(sink.readTargetFor("users")).isEqualTo("tomb-users-live");
      assertThat(count("tomb-users")).isEqualTo(2);
      assertThat(count("tomb-users-live")).isEqualTo(1);
      // Reconciliation sees a tombstone as an absent key.
      sink.refresh("users");
      assertThat(sink.fingerprintReader().read("users", List.of("gone", "kept")))
          .extracting(k -> k.key().id())
          .containsExactly("kept");
      assertThat(
              sink.fingerprintReader().list("users", new BucketRange(0, Fingerprints.BUCKET_COUNT)))
          .extracting(k -> k.key().id())
          .containsExactly("kept");

      assertThat(settle(sink, List.of(upsert(gone, 3, Document.of("n", 3L))), SETTLE))
          .containsOnly(WriteResult.stale());

      assertThat(sink.purgeTombstones()).isZero();
      clock.advance(Duration.ofHours(1).plusSeconds(1));
      assertThat(sink.purgeTombstones()).isEqualTo(1);
      assertThat(sink.get(gone)).isEmpty();
      assertThat(sink.get(kept)).isPresent();
      // After the purge the key can come back with a newer version.
      assertThat(settle(sink, List.of(upsert(gone, 10, Document.of("n", 10L))), SETTLE))
          .containsOnly(WriteResult.applied());
      assertThat(sink.get(gone).orElseThrow().deleted()).isFalse();
    }
  }

  @Test
  void anExistingIndexWithoutMetadataFieldsIsRefusedAndLeftUnchanged() throws Exception {
    assertThat(
            http(
                    "PUT",
                    "/bare-orders",
                    "{\"mappings\":{\"properties\":{\"x\":{\"type\":\"keyword\"}}}}")
                .statusCode())
        .isEqualTo(200);
    try (OpenSearchSink sink = sinkBuilder("bare-").collections("orders").build()) {
      assertThatThrownBy(() -> sink.start(context()))
          .isInstanceOf(DriftlessException.class)
          .hasMessageContaining("[bare-orders]")
          .hasMessageContaining("lacks Driftless metadata field 'driftless_key' (type keyword)")
          .hasMessageContaining("'driftless_version' (type long)")
          .hasMessageContaining("never changes an existing mapping");
    }
    assertThat(http("GET", "/bare-orders/_mapping", "").body()).doesNotContain("driftless_");

    String wrong =
        "{\"mappings\":{\"properties\":{"
            + "\"driftless_key\":{\"type\":\"keyword\"},\"driftless_version\":{\"type\":\"keyword\"},"
            + "\"driftless_bucket\":{\"type\":\"long\"},\"driftless_fp_low\":{\"type\":\"long\"},"
            + "\"driftless_fp_mid\":{\"type\":\"long\"},\"driftless_fp_high\":{\"type\":\"integer\"},"
            + "\"driftless_tombstone\":{\"type\":\"boolean\"},\"driftless_deleted_at\":{\"type\":\"date\"}}}}";
    assertThat(http("PUT", "/wrong-orders", wrong).statusCode()).isEqualTo(200);
    try (OpenSearchSink sink = sinkBuilder("wrong-").build()) {
      assertThatThrownBy(
              () ->
                  sink.write(
                      List.of(upsert(DocumentKey.of("orders", "1"), 1, Document.of("n", 1L)))))
          .isInstanceOf(DriftlessException.class)
          .hasMessageContaining(
              "maps Driftless metadata field 'driftless_version' as keyword, it must be long")
          .hasMessageContaining("'driftless_fp_high' as integer, it must be long");
    }
    assertThatThrownBy(
            () ->
                sinkBuilder("x-")
                    .mapping("orders", "{\"properties\":{\"driftless_key\":{\"type\":\"text\"}}}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("mapping for orders")
        .hasMessageContaining("driftless_key");
  }

  @Test
  void fingerprintSummariesAndListingsEqualABruteForceComputation() throws Exception {
    Random random = new Random(42);
    List<String> tricky =
        List.of(
            "with space",
            "slash/in/id",
            "../dots",
            "percent%2F",
            "plus+",
            "question?",
            "hash#",
            "quote\"d",
            "back\\slash",
            "new\nline",
            "日本語",
            "emoji-\uD83D\uDE80",
            "\uE000private",
            "a,b\\,c");
    List<String> ids = new ArrayList<>(tricky);
    for (int i = 0; i < 1500; i++) {
      ids.add("row-" + i);
    }
    Map<String, long[]> live = new HashMap<>(); // id -> {rowFingerprint, version}
    List<ChangeEvent> writes = new ArrayList<>();
    for (String id : ids) {
      long fp = random.nextLong();
      long version = 1 + random.nextInt(1_000_000);
      writes.add(
          upsert(DocumentKey.of("recon", id), version, Document.of("id", id).withFingerprint(fp)));
      live.put(id, new long[] {fp, version});
    }
    List<ChangeEvent> deletes = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      String id = "row-" + (i * 7);
      deletes.add(delete(DocumentKey.of("recon", id), live.get(id)[1] + 1));
      live.remove(id);
    }
    try (OpenSearchSink sink = sinkBuilder("recon-").listPageSize(100).build()) {
      assertThat(settle(sink, writes, SETTLE)).containsOnly(WriteResult.applied());
      assertThat(settle(sink, deletes, SETTLE)).containsOnly(WriteResult.applied());
      sink.refresh("recon");

      for (BucketRange range :
          List.of(
              new BucketRange(0, Fingerprints.BUCKET_COUNT),
              new BucketRange(1L << 31, (1L << 31) + (1L << 28)))) {
        int splits = range.to() == Fingerprints.BUCKET_COUNT ? 16 : 7;
        List<BucketSummary> actual = sink.fingerprintReader().summarize("recon", range, splits);
        assertThat(actual).isEqualTo(bruteForce(live, range, splits));
      }

      BucketRange slice = new BucketRange(0, 1L << 30);
      List<KeyFingerprint> listed = sink.fingerprintReader().list("recon", slice);
      List<KeyFingerprint> expected = new ArrayList<>();
      live.entrySet().stream()
          .filter(e -> inRange(Fingerprints.bucket(e.getKey()), slice))
          .sorted(
              Map.Entry.comparingByKey(
                  Comparator.comparing(
                      s -> s.getBytes(StandardCharsets.UTF_8), Arrays::compareUnsigned)))
          .forEach(
              e ->
                  expected.add(
                      new KeyFingerprint(
                          DocumentKey.of("recon", e.getKey()),
                          e.getValue()[0],
                          java.util.OptionalLong.of(e.getValue()[1]))));
      assertThat(expected).hasSizeGreaterThan(300);
      assertThat(listed).isEqualTo(expected);

      List<KeyFingerprint> all =
          sink.fingerprintReader().list("recon", new BucketRange(0, Fingerprints.BUCKET_COUNT));
      assertThat(all).extracting(k -> k.key().id()).containsAll(tricky);

      // Point reads of the awkward keys (the TCK's reader contract checks the rest, F1-F6).
      FingerprintReader reader = sink.fingerprintReader();
      Map<String, KeyFingerprint> byId = new HashMap<>();
      all.forEach(k -> byId.put(k.key().id(), k));
      List<String> asked = new ArrayList<>(tricky);
      asked.add("row-0"); // deleted
      asked.add("never-written");
      asked.add("row-1");
      long before = reader.bytesRead();
      List<KeyFingerprint> read = reader.read("recon", asked);
      assertThat(reader.bytesRead()).isGreaterThan(before);
      List<KeyFingerprint> expectedRead = new ArrayList<>();
      for (String id : tricky) {
        expectedRead.add(byId.get(id));
      }
      expectedRead.add(byId.get("row-1"));
      assertThat(read).containsExactlyInAnyOrderElementsOf(expectedRead);
    }
  }

  private static boolean inRange(long bucket, BucketRange r) {
    return bucket >= r.from() && bucket < r.to();
  }

  private static List<BucketSummary> bruteForce(
      Map<String, long[]> live, BucketRange range, int splits) {
    List<BucketSummary> out = new ArrayList<>();
    for (int i = 0; i < splits; i++) {
      long[] sub = {
        Fingerprints.boundary(range.from(), range.to(), splits, i),
        Fingerprints.boundary(range.from(), range.to(), splits, i + 1)
      };
      BucketRange r = new BucketRange(sub[0], sub[1]);
      long count = 0, lo = 0, mid = 0, hi = 0;
      for (Map.Entry<String, long[]> e : live.entrySet()) {
        if (inRange(Fingerprints.bucket(e.getKey()), r)) {
          long f = Fingerprints.perKey(e.getKey(), e.getValue()[0]);
          count++;
          lo += Fingerprints.low(f);
          mid += Fingerprints.mid(f);
          hi += Fingerprints.high(f);
        }
      }
      if (count > 0) {
        out.add(new BucketSummary(r, count, lo, mid, hi));
      }
    }
    return out;
  }

  /** A clock the test moves by hand, for the tombstone horizon. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant start) {
      this.now = start;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
