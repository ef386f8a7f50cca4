package dev.driftless.search.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.driftless.core.ChangeEvent;
import dev.driftless.core.ConfigurationException;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.RetriableException;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.EngineIds;
import dev.driftless.search.IndexMapping;
import dev.driftless.search.IndexRouting;
import dev.driftless.search.MetadataFields;
import dev.driftless.search.SearchSinkSettings;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Request shaping and whole-request outcomes of {@link SearchSink}, over an in-memory fake of our
 * own {@link SearchTransport} that answers like an engine holding every index already.
 */
class SearchSinkTest {

  /** Answers mapping reads with a valid mapping and bulk requests item by item. */
  static final class FakeEngine implements SearchTransport {
    final List<Integer> bulkSizes = new ArrayList<>();
    final List<Long> bulkBytes = new ArrayList<>();
    final List<String> bulkPaths = new ArrayList<>();
    final List<String> bulkActions = new ArrayList<>();
    int failWholeRequestsWith = 0;
    long limitBytes = Long.MAX_VALUE; // answers 413 above this
    // Indexing pressure, worded as Elasticsearch 7.10 and OpenSearch 2.19 word it: above this the
    // whole request is answered 429 (coordinating), or each item (primary, on another node).
    long coordinatingLimitBytes = Long.MAX_VALUE;
    long primaryLimitBytes = Long.MAX_VALUE;

    @Override
    public synchronized TransportResponse perform(
        String method, String path, Map<String, String> params, @Nullable BodyWriter body) {
      if (path.endsWith("/_mapping")) {
        String index = path.substring(1, path.indexOf('/', 1));
        return ok("{\"" + index + "\":{\"mappings\":" + IndexMapping.merge(null).toJson() + "}}");
      }
      if (path.equals("/_nodes/http")) {
        return new TransportResponse(403, new byte[0]); // no monitor privilege: limit unknown
      }
      if (path.endsWith("/_bulk") && body != null) {
        if (failWholeRequestsWith != 0) {
          return new TransportResponse(
              failWholeRequestsWith, "{}".getBytes(StandardCharsets.UTF_8));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
          body.writeTo(out);
        } catch (java.io.IOException e) {
          throw new AssertionError(e);
        }
        if (out.size() > limitBytes) {
          return new TransportResponse(413, new byte[0]);
        }
        if (out.size() > coordinatingLimitBytes) {
          return new TransportResponse(
              429,
              ("{\"error\":{\"type\":\"es_rejected_execution_exception\",\"reason\":"
                      + "\"rejected execution of coordinating operation [coordinating_and_primary_bytes=0,"
                      + " replica_bytes=0, all_bytes=0, coordinating_operation_bytes="
                      + out.size()
                      + ", max_coordinating_and_primary_bytes="
                      + coordinatingLimitBytes
                      + "]\"},\"status\":429}")
                  .getBytes(StandardCharsets.UTF_8));
        }
        String itemAnswer =
            out.size() > primaryLimitBytes
                ? "\":{\"status\":429,\"error\":{\"type\":\"rejected_execution_exception\","
                    + "\"reason\":\"rejected execution of primary operation"
                    + " [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0,"
                    + " primary_operation_bytes="
                    + out.size()
                    + ", max_coordinating_and_primary_bytes="
                    + primaryLimitBytes
                    + "]\"}}}"
                : "\":{\"status\":201}}";
        StringBuilder items = new StringBuilder();
        int n = 0;
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
          JsonNode node;
          try {
            node = EngineJson.MAPPER.readTree(line);
          } catch (Exception e) {
            throw new AssertionError(e);
          }
          String action = node.fieldNames().next();
          if (!action.equals("index") && !action.equals("delete")) {
            continue; // a document line
          }
          bulkActions.add(line);
          items.append(n++ == 0 ? "" : ",").append("{\"").append(action).append(itemAnswer);
        }
        bulkSizes.add(n);
        bulkPaths.add(path);
        bulkBytes.add((long) out.size());
        return ok(
            "{\"errors\":" + (out.size() > primaryLimitBytes) + ",\"items\":[" + items + "]}");
      }
      throw new AssertionError("unexpected request " + method + " " + path);
    }

    private static TransportResponse ok(String body) {
      return new TransportResponse(200, body.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static ChangeEvent upsert(String id, Document doc) {
    return ChangeEvent.upsert(
        DocumentKey.of("c", id), Version.of(1), SourcePosition.ofOffset(1), doc, Instant.EPOCH);
  }

  @Test
  void splitsBatchesByCountAndBytesAndSendsAnOversizedItemAlone() {
    FakeEngine engine = new FakeEngine();
    SearchSinkSettings settings =
        SearchSinkSettings.builder().maxRequestItems(3).maxRequestBytes(4096).build();
    List<ChangeEvent> batch = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      batch.add(upsert("k" + i, Document.of("n", (long) i)));
    }
    batch.add(upsert("big", Document.of("text", "x".repeat(10_000))));
    batch.add(upsert("after", Document.of("n", 1L)));
    try (SearchSink sink = new SearchSink(engine, settings)) {
      assertThat(sink.write(batch)).hasSize(9).containsOnly(WriteResult.applied());
    }
    assertThat(engine.bulkSizes).containsExactly(3, 3, 1, 1, 1);
    assertThat(engine.bulkBytes.get(3)).isGreaterThan(10_000);
  }

  @Test
  void aOneIndexRequestNamesItsIndexInThePathAndAMixedOneInEveryActionLine() {
    FakeEngine engine = new FakeEngine();
    ChangeEvent other =
        ChangeEvent.upsert(
            DocumentKey.of("d", "x"),
            Version.of(2),
            SourcePosition.ofOffset(2),
            Document.of("n", 2L),
            Instant.EPOCH);
    try (SearchSink sink = new SearchSink(engine, SearchSinkSettings.builder().build())) {
      sink.write(List.of(upsert("a", Document.of("n", 1L)), upsert("b", Document.of("n", 1L))));
      sink.write(List.of(upsert("a", Document.of("n", 1L)), other));
    }
    assertThat(engine.bulkPaths).containsExactly("/c/_bulk", "/_bulk");
    assertThat(engine.bulkActions.subList(0, 2)).noneMatch(a -> a.contains("_index"));
    assertThat(engine.bulkActions.get(2)).startsWith("{\"index\":{\"_index\":\"c\",\"_id\":\"a\"");
    assertThat(engine.bulkActions.get(3)).startsWith("{\"index\":{\"_index\":\"d\",\"_id\":\"x\"");
  }

  /** Eight items of about 560 bytes each, then one of about 3,060 bytes, alone over 2,500. */
  private static List<ChangeEvent> eightSmallThenOneOver2500Bytes() {
    List<ChangeEvent> batch = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      batch.add(upsert("k" + i, Document.of("text", "y".repeat(500))));
    }
    batch.add(upsert("alone-too-big", Document.of("text", "z".repeat(3_000))));
    return batch;
  }

  @Test
  void aWholeRequest413SplitsInHalvesUntilItFits() {
    FakeEngine engine = new FakeEngine();
    engine.limitBytes = 2_500;
    List<ChangeEvent> batch = eightSmallThenOneOver2500Bytes();
    try (SearchSink sink = new SearchSink(engine, SearchSinkSettings.builder().build())) {
      List<WriteResult> results = sink.write(batch);
      assertThat(results.subList(0, 8)).containsOnly(WriteResult.applied());
      assertThat(results.get(8))
          .isInstanceOfSatisfying(
              WriteResult.Rejected.class,
              r -> assertThat(r.errorType()).isEqualTo("request_entity_too_large"));
    }
    assertThat(engine.bulkBytes).allSatisfy(b -> assertThat(b).isLessThanOrEqualTo(2_500));
  }

  @Test
  void aRequestOverTheIndexingMemoryLimitSplitsAndOnlyAnItemOverItAloneIsRejected() {
    FakeEngine engine = new FakeEngine();
    engine.coordinatingLimitBytes = 2_500;
    List<ChangeEvent> batch = eightSmallThenOneOver2500Bytes();
    batch.add(4, batch.remove(8)); // the big one in the middle
    try (SearchSink sink = new SearchSink(engine, SearchSinkSettings.builder().build())) {
      List<WriteResult> results = sink.write(batch);
      assertThat(results.get(4))
          .isInstanceOfSatisfying(
              WriteResult.Rejected.class,
              r -> {
                assertThat(r.errorType()).isEqualTo("es_rejected_execution_exception");
                assertThat(r.reason())
                    .contains("coordinating_operation_bytes=")
                    .contains("max_coordinating_and_primary_bytes=2500");
              });
      results.remove(4);
      assertThat(results).hasSize(8).containsOnly(WriteResult.applied());
    }
    assertThat(engine.bulkBytes).allSatisfy(b -> assertThat(b).isLessThanOrEqualTo(2_500));
  }

  @Test
  void itemsWhoseShardRequestWasOverTheIndexingMemoryLimitAreSentAgainInHalves() {
    FakeEngine engine = new FakeEngine();
    engine.primaryLimitBytes = 2_500;
    List<ChangeEvent> batch = eightSmallThenOneOver2500Bytes();
    try (SearchSink sink = new SearchSink(engine, SearchSinkSettings.builder().build())) {
      List<WriteResult> results = sink.write(batch);
      assertThat(results.subList(0, 8)).containsOnly(WriteResult.applied());
      assertThat(results.get(8))
          .isInstanceOfSatisfying(
              WriteResult.Rejected.class,
              r -> {
                assertThat(r.errorType()).isEqualTo("rejected_execution_exception");
                assertThat(r.reason()).contains("primary_operation_bytes=");
              });
    }
    // The first request carried all 9 items; the last one carried the big item alone.
    assertThat(engine.bulkSizes.get(0)).isEqualTo(9);
    assertThat(engine.bulkSizes.get(engine.bulkSizes.size() - 1)).isEqualTo(1);
  }

  @Test
  void throttlingUnderTheIndexingMemoryLimitIsRetriedNotSplit() {
    FakeEngine engine = new FakeEngine();
    try (SearchSink sink = new SearchSink(engine, SearchSinkSettings.builder().build())) {
      engine.failWholeRequestsWith = 429; // no body: the node is busy, not the request too big
      assertThatThrownBy(() -> sink.write(List.of(upsert("a", Document.of("n", 1L)))))
          .isInstanceOfSatisfying(
              RetriableException.class, e -> assertThat(e.throttled()).isTrue());
    }
    assertThat(engine.bulkSizes).isEmpty();
  }

  @Test
  void wholeRequestOutagesAreRetriableAndThrottlingIsFlagged() {
    FakeEngine engine = new FakeEngine();
    try (SearchSink sink = new SearchSink(engine, SearchSinkSettings.builder().build())) {
      List<ChangeEvent> batch = List.of(upsert("a", Document.of("n", 1L)));
      engine.failWholeRequestsWith = 429;
      assertThatThrownBy(() -> sink.write(batch))
          .isInstanceOfSatisfying(
              RetriableException.class, e -> assertThat(e.throttled()).isTrue());
      engine.failWholeRequestsWith = 503;
      assertThatThrownBy(() -> sink.write(batch))
          .isInstanceOfSatisfying(
              RetriableException.class, e -> assertThat(e.throttled()).isFalse());
      // Refused credentials stop a pipeline (ConfigurationException) rather than having it
      // dead-letter every event of the stream one by one.
      engine.failWholeRequestsWith = 401;
      assertThatThrownBy(() -> sink.write(batch))
          .isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("credentials");
      engine.failWholeRequestsWith = 403;
      assertThatThrownBy(() -> sink.write(batch)).isInstanceOf(ConfigurationException.class);
    }
  }

  @Test
  void reservedFieldsAreRejectedWithoutBeingSent() {
    FakeEngine engine = new FakeEngine();
    try (SearchSink sink = new SearchSink(engine, SearchSinkSettings.builder().build())) {
      List<WriteResult> results =
          sink.write(List.of(upsert("a", Document.of(MetadataFields.VERSION, 1L))));
      assertThat(results)
          .extracting(r -> ((WriteResult.Rejected) r).errorType())
          .containsExactly("reserved_field");
    }
    assertThat(engine.bulkSizes).isEmpty();
  }

  /** An empty key and one over the engines' 512-byte _id limit are valid rows, never poison. */
  @Test
  void emptyAndOverlongKeysAreWrittenUnderTheirEngineIds() throws Exception {
    FakeEngine engine = new FakeEngine();
    List<String> ids = List.of("", "é".repeat(257), "plain");
    List<ChangeEvent> batch = new ArrayList<>();
    for (String id : ids) {
      batch.add(upsert(id, Document.of("n", 1L)));
    }
    try (SearchSink sink = new SearchSink(engine, SearchSinkSettings.builder().build())) {
      assertThat(sink.write(batch)).containsOnly(WriteResult.applied());
    }
    List<String> sent = new ArrayList<>();
    for (String action : engine.bulkActions) {
      sent.add(EngineJson.MAPPER.readTree(action).get("index").get("_id").asText());
    }
    assertThat(sent)
        .containsExactly(EngineIds.of(""), EngineIds.of("é".repeat(257)), "plain")
        .allSatisfy(id -> assertThat(id.getBytes(StandardCharsets.UTF_8)).hasSizeBetween(1, 512));
  }

  @Test
  void twoCollectionsRoutedToOneIndexAreRefused() {
    SearchSinkSettings settings =
        SearchSinkSettings.builder().routing(IndexRouting.of(c -> "shared")).build();
    try (SearchSink sink = new SearchSink(new FakeEngine(), settings)) {
      sink.indexFor("a");
      assertThatThrownBy(() -> sink.indexFor("b"))
          .isInstanceOf(DriftlessException.class)
          .hasMessageContaining("'a' and 'b'")
          .hasMessageContaining("[shared]");
    }
  }

  @Test
  void builderNamesTheSettingItRefuses() {
    assertThatThrownBy(() -> SearchSinkSettings.builder().maxRequestBytes(10))
        .hasMessageContaining("maxRequestBytes");
    assertThatThrownBy(() -> SearchSinkSettings.builder().maxRequestItems(0))
        .hasMessageContaining("maxRequestItems");
    assertThatThrownBy(
            () ->
                SearchSinkSettings.builder()
                    .tombstonePurgeInterval(java.time.Duration.ofMinutes(1))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("tombstonePurgeInterval");
    assertThatThrownBy(() -> SearchSinkSettings.builder().indexSettings("nope"))
        .hasMessageContaining("indexSettings");
  }
}
