package dev.driftless.search.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.driftless.core.ChangeEvent;
import dev.driftless.core.ConfigurationException;
import dev.driftless.core.RetriableException;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.search.IndexMapping;
import dev.driftless.search.IndexRouting;
import dev.driftless.search.MetadataFields;
import dev.driftless.search.SearchSinkSettings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** Index set-up, truncation and tombstone purge, over a scripted fake of our own transport. */
class IndexAdministrationTest {

  private final ScriptedEngine engine = new ScriptedEngine();

  private IndexAdministration administration(SearchSinkSettings settings) {
    return new IndexAdministration(engine, settings);
  }

  @Test
  void aMissingIndexIsCreatedWithTheMergedMappingAndItsLiveAliasOnceThenRemembered() {
    engine
        .answer("GET /orders/_mapping", 404, "{}")
        .answer("PUT /orders", 200, "{\"acknowledged\":true}")
        .answer("GET /_alias/orders-live", 404, "{}")
        .answer("POST /_aliases", 200, "{\"acknowledged\":true}");
    IndexAdministration indices =
        administration(
            SearchSinkSettings.builder()
                .tombstones(true)
                .indexSettings("{\"number_of_shards\": 1}")
                .build());

    assertThat(indices.indexFor("Orders")).isEqualTo("orders");
    assertThat(indices.indexFor("Orders")).isEqualTo("orders");

    assertThat(engine.lines())
        .containsExactly(
            "GET /orders/_mapping", "PUT /orders", "GET /_alias/orders-live", "POST /_aliases");
    ScriptedEngine.Request created = engine.requests.get(1);
    assertThat(created.json().path("settings").path("number_of_shards").asInt()).isEqualTo(1);
    assertThat(created.json().path("mappings").path("properties").has(MetadataFields.VERSION))
        .isTrue();
    ScriptedEngine.Request alias = engine.requests.get(3);
    assertThat(alias.body())
        .contains("\"alias\":\"orders-live\"")
        .contains("\"" + MetadataFields.TOMBSTONE + "\":true");
    assertThat(indices.readTargetFor("Orders")).isEqualTo("orders-live");

    indices.forget();
    engine.answer("GET /orders/_mapping", 200, validMapping("orders"));
    engine.answer("GET /_alias/orders-live", 200, "{\"orders\":{}}");
    indices.indexFor("Orders");
    assertThat(engine.lines())
        .hasSize(6)
        .endsWith("GET /orders/_mapping", "GET /_alias/orders-live");
  }

  @Test
  void anExistingIndexWithoutTheMetadataFieldsIsRefusedNamingThem() {
    engine.answer("GET /orders/_mapping", 200, "{\"orders\":{\"mappings\":{\"properties\":{}}}}");
    assertThatThrownBy(
            () -> administration(SearchSinkSettings.builder().build()).indexFor("orders"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("existing index [orders]")
        .hasMessageContaining(MetadataFields.VERSION);
  }

  @Test
  void collectionsFirstSeenWhileWritingAreCheckedLikeKnownOnes() {
    engine.validIndex("shared");
    IndexAdministration indices =
        administration(
            SearchSinkSettings.builder().routing(IndexRouting.of(collection -> "shared")).build());
    indices.indexFor("a");
    assertThatThrownBy(() -> indices.indexFor("b"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("'a' and 'b'")
        .hasMessageContaining("[shared]");
    IndexAdministration asNamed =
        administration(
            SearchSinkSettings.builder()
                .routing(IndexRouting.of(collection -> collection))
                .build());
    assertThatThrownBy(() -> asNamed.indexFor("has space"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("invalid index name for collection 'has space'");
  }

  @Test
  void aTransientFailureToReadTheMappingStaysRetriable() {
    engine.answer("GET /orders/_mapping", 503, "{}");
    assertThatThrownBy(
            () -> administration(SearchSinkSettings.builder().build()).indexFor("orders"))
        .isInstanceOf(RetriableException.class);
  }

  @Test
  void purgeDeletesTombstonesOlderThanTheHorizonOfEveryIndexInUse() {
    Instant now = Instant.parse("2026-01-10T00:00:00Z");
    engine
        .validIndex("orders")
        .answer("GET /_alias/orders-live", 200, "{\"orders\":{}}")
        .answer("POST /orders/_delete_by_query", 200, "{\"deleted\":3}");
    IndexAdministration indices =
        administration(
            SearchSinkSettings.builder()
                .tombstones(true)
                .tombstoneHorizon(Duration.ofDays(2))
                .clock(Clock.fixed(now, ZoneOffset.UTC))
                .build());
    assertThat(indices.purgeTombstones()).isZero(); // no index in use yet
    indices.indexFor("orders");

    assertThat(indices.purgeTombstones()).isEqualTo(3);

    ScriptedEngine.Request purge = engine.requests.get(engine.requests.size() - 1);
    assertThat(purge.line()).isEqualTo("POST /orders/_delete_by_query");
    assertThat(
            purge
                .json()
                .at("/query/bool/filter/1/range/" + MetadataFields.DELETED_AT + "/lt")
                .asLong())
        .isEqualTo(now.minus(Duration.ofDays(2)).toEpochMilli());
    assertThat(purge.params()).containsEntry("conflicts", "proceed");
  }

  @Test
  void purgeOutsideTombstoneModeSendsNothing() {
    assertThat(administration(SearchSinkSettings.builder().build()).purgeTombstones("x")).isZero();
    assertThat(engine.requests).isEmpty();
  }

  @Test
  void truncateListsTheIndexThenDeletesUpToItsVersionWithVersionedDeletes() {
    engine
        .answer("POST /orders/_refresh", 200, "{}")
        .answer(
            "POST /orders/_search",
            200,
            "{\"_scroll_id\":\"s1\",\"hits\":{\"hits\":["
                + "{\"_index\":\"orders\",\"_id\":\"a\",\"_version\":40},"
                + "{\"_index\":\"orders\",\"_id\":\"b/1\",\"_version\":42},"
                + "{\"_index\":\"orders\",\"_id\":\"c\",\"_version\":43}]}}")
        // b was written again after the listing: its delete conflicts, and it stays.
        .answer(
            "POST /_bulk",
            200,
            "{\"errors\":true,\"items\":[{\"delete\":{\"status\":200}},"
                + "{\"delete\":{\"status\":409,\"error\":{\"type\":"
                + "\"version_conflict_engine_exception\",\"reason\":\"newer\"}}}]}")
        .answer("POST /_search/scroll", 200, "{\"_scroll_id\":\"s1\",\"hits\":{\"hits\":[]}}")
        .answer("DELETE /_search/scroll", 200, "{}");
    ChangeEvent.Truncate truncate =
        ChangeEvent.truncate("orders", Version.of(42), SourcePosition.ofOffset(1), Instant.EPOCH);
    WriteResult result =
        administration(SearchSinkSettings.builder().build()).truncate(truncate, "orders");
    assertThat(result).isEqualTo(WriteResult.applied());
    assertThat(engine.lines())
        .containsExactly(
            "POST /orders/_refresh",
            "POST /orders/_search",
            "POST /_bulk",
            "POST /_search/scroll",
            "DELETE /_search/scroll",
            "POST /orders/_refresh");
    JsonNode listing = engine.requests.get(1).json();
    assertThat(listing.path("version").asBoolean()).isTrue();
    assertThat(listing.path("_source").asBoolean(true)).isFalse();
    assertThat(engine.requests.get(1).params()).containsKey("scroll");
    // Only the documents at or below the truncation's version, each deleted at that version: the
    // engine refuses a delete whose document is newer by then.
    assertThat(String.valueOf(engine.requests.get(2).body()))
        .isEqualTo(
            "{\"delete\":{\"_index\":\"orders\",\"_id\":\"a\",\"version\":42,"
                + "\"version_type\":\"external_gte\"}}\n"
                + "{\"delete\":{\"_index\":\"orders\",\"_id\":\"b/1\",\"version\":42,"
                + "\"version_type\":\"external_gte\"}}\n");
    assertThat(engine.requests.get(3).json().path("scroll_id").asText()).isEqualTo("s1");
  }

  @Test
  void aThrottledTruncationDeleteIsRetriedAndItsScrollCleared() {
    engine
        .answer("POST /orders/_refresh", 200, "{}")
        .answer(
            "POST /orders/_search",
            200,
            "{\"_scroll_id\":\"s1\",\"hits\":{\"hits\":["
                + "{\"_index\":\"orders\",\"_id\":\"a\",\"_version\":1}]}}")
        .answer(
            "POST /_bulk",
            200,
            "{\"errors\":true,\"items\":[{\"delete\":{\"status\":429,\"error\":{\"type\":"
                + "\"es_rejected_execution_exception\",\"reason\":\"queue full\"}}}]}")
        .answer("DELETE /_search/scroll", 200, "{}");
    ChangeEvent.Truncate truncate =
        ChangeEvent.truncate("orders", Version.of(5), SourcePosition.ofOffset(1), Instant.EPOCH);
    IndexAdministration administration = administration(SearchSinkSettings.builder().build());
    assertThatThrownBy(() -> administration.truncate(truncate, "orders"))
        .isInstanceOf(RetriableException.class)
        .hasMessageContaining("queue full");
    assertThat(engine.lines()).endsWith("DELETE /_search/scroll");
  }

  @Test
  void truncatingAnIndexThatNeverExistedIsApplied() {
    engine.answer("POST /orders/_refresh", 404, "{}");
    ChangeEvent.Truncate truncate =
        ChangeEvent.truncate("orders", Version.of(1), SourcePosition.ofOffset(1), Instant.EPOCH);
    assertThat(administration(SearchSinkSettings.builder().build()).truncate(truncate, "orders"))
        .isEqualTo(WriteResult.applied());
    assertThat(engine.lines()).containsExactly("POST /orders/_refresh");
  }

  private static String validMapping(String index) {
    return "{\"" + index + "\":{\"mappings\":" + IndexMapping.merge(null).toJson() + "}}";
  }
}
