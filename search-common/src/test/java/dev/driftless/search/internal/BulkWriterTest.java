package dev.driftless.search.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.ConfigurationException;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.RetriableException;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.MetadataFields;
import dev.driftless.search.SearchSinkSettings;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The write path on its own: requests shaped by the engine's size limit, local rejections, item and
 * whole-request outcomes, over a scripted fake of our own transport.
 */
class BulkWriterTest {

  private final ScriptedEngine engine = new ScriptedEngine().validIndex("c");
  private final SearchSinkSettings settings = SearchSinkSettings.builder().build();
  private final IndexAdministration indices = new IndexAdministration(engine, settings);
  private final BulkWriter writer = new BulkWriter(engine, settings, indices);

  private static ChangeEvent upsert(String id, Document doc) {
    return ChangeEvent.upsert(
        DocumentKey.of("c", id), Version.of(1), SourcePosition.ofOffset(1), doc, Instant.EPOCH);
  }

  private ScriptedEngine engineLimit(long bytes) {
    return engine.answer(
        "GET /_nodes/http",
        200,
        "{\"nodes\":{\"n1\":{\"http\":{\"max_content_length_in_bytes\":"
            + bytes
            + "}},\"n2\":{\"http\":{\"max_content_length_in_bytes\":"
            + (bytes * 2)
            + "}}}}");
  }

  @Test
  void aDocumentUsingAMetadataFieldNameIsRejectedWithoutBeingSent() {
    engineLimit(100 * 1024 * 1024);
    List<WriteResult> results =
        writer.write(List.of(upsert("a", Document.of(MetadataFields.VERSION, 1L))));
    assertThat(results.get(0))
        .isInstanceOfSatisfying(
            WriteResult.Rejected.class, r -> assertThat(r.errorType()).isEqualTo("reserved_field"));
    assertThat(engine.lines()).doesNotContain("POST /c/_bulk");
  }

  @Test
  void anItemOverTheSmallestNodesContentLimitIsRejectedAndTheLimitIsReadOnce() {
    engineLimit(4096);
    engine.answer(
        "POST /c/_bulk", 200, "{\"errors\":false,\"items\":[{\"index\":{\"status\":201}}]}");
    List<WriteResult> first =
        writer.write(
            List.of(
                upsert("big", Document.of("t", "x".repeat(5000))),
                upsert("small", Document.of("n", 1L))));
    writer.write(List.of(upsert("small", Document.of("n", 2L))));

    assertThat(first.get(0))
        .isInstanceOfSatisfying(
            WriteResult.Rejected.class,
            r -> {
              assertThat(r.errorType()).isEqualTo("request_entity_too_large");
              assertThat(r.reason()).contains("4096");
            });
    assertThat(first.get(1)).isEqualTo(WriteResult.applied());
    assertThat(engine.lines().stream().filter(l -> l.equals("GET /_nodes/http"))).hasSize(1);
    assertThat(engine.requests)
        .filteredOn(r -> r.line().endsWith("_bulk"))
        .allMatch(r -> r.params().equals(BulkWriter.BULK_PARAMS));
  }

  @Test
  void wholeRequestFailuresAreThrownByKind() {
    engine.answer("GET /_nodes/http", 403, "{}");
    List<ChangeEvent> batch = List.of(upsert("a", Document.of("n", 1L)));

    engine.answer("POST /c/_bulk", 429, "{}");
    assertThatThrownBy(() -> writer.write(batch))
        .isInstanceOfSatisfying(RetriableException.class, e -> assertThat(e.throttled()).isTrue());
    engine.answer("POST /c/_bulk", 503, "{}");
    assertThatThrownBy(() -> writer.write(batch))
        .isInstanceOfSatisfying(RetriableException.class, e -> assertThat(e.throttled()).isFalse());
    engine.answer("POST /c/_bulk", 401, "{}");
    assertThatThrownBy(() -> writer.write(batch))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("credentials");
  }

  @Test
  void anItemWhoseIndexVanishedIsRetriedAfterTheIndexIsCheckedAgain() {
    engine.answer("GET /_nodes/http", 403, "{}");
    engine.answer(
        "POST /c/_bulk",
        200,
        "{\"errors\":true,\"items\":[{\"index\":{\"status\":404,\"error\":{\"type\":"
            + "\"index_not_found_exception\",\"reason\":\"no such index [c]\"}}}]}");
    List<WriteResult> results = writer.write(List.of(upsert("a", Document.of("n", 1L))));
    assertThat(results.get(0)).isInstanceOf(WriteResult.Retry.class);

    engine.answer(
        "POST /c/_bulk", 200, "{\"errors\":false,\"items\":[{\"index\":{\"status\":201}}]}");
    assertThat(writer.write(List.of(upsert("a", Document.of("n", 1L)))))
        .containsExactly(WriteResult.applied());
    assertThat(engine.lines().stream().filter(l -> l.equals("GET /c/_mapping"))).hasSize(2);
  }

  @Test
  void anEmptyBatchSendsNothing() {
    assertThat(writer.write(List.of())).isEmpty();
    assertThat(engine.requests).isEmpty();
  }
}
