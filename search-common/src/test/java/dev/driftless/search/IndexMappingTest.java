package dev.driftless.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.driftless.search.internal.EngineJson;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class IndexMappingTest {

  @Test
  void mergeKeepsTheUsersMappingAndAddsEveryMetadataField() throws Exception {
    JsonNode merged =
        EngineJson.MAPPER.readTree(
            IndexMapping.merge(
                    "{\"dynamic\":\"strict\",\"properties\":{\"title\":{\"type\":\"text\"}}}")
                .toJson());
    assertThat(merged.get("dynamic").asText()).isEqualTo("strict");
    assertThat(merged.at("/properties/title/type").asText()).isEqualTo("text");
    for (var e : MetadataFields.TYPES.entrySet()) {
      assertThat(merged.at("/properties/" + e.getKey() + "/type").asText())
          .as(e.getKey())
          .isEqualTo(e.getValue());
    }
  }

  @Test
  void mergeRefusesAMetadataFieldOfAnotherTypeAndMalformedInput() {
    assertThatThrownBy(
            () ->
                IndexMapping.merge(
                    "{\"properties\":{\"driftless_version\":{\"type\":\"keyword\"}}}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("driftless_version")
        .hasMessageContaining("must be 'long'");
    assertThatThrownBy(() -> IndexMapping.merge("[1]"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("JSON object");
    assertThatThrownBy(() -> IndexMapping.merge("{\"mappings\":{}}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("mappings");
  }

  @Test
  void createdIndexMappingValidates() {
    String response = "{\"orders-1\":{\"mappings\":" + IndexMapping.merge(null).toJson() + "}}";
    assertThat(IndexMapping.validate(response.getBytes(StandardCharsets.UTF_8))).isEmpty();
  }

  @Test
  void validateNamesEveryProblemOfEveryIndexBehindAnAlias() {
    String response =
        "{\"a\":{\"mappings\":{\"properties\":{\"x\":{\"type\":\"keyword\"}}}},"
            + "\"b\":{\"mappings\":{\"properties\":{"
            + "\"driftless_key\":{\"type\":\"keyword\",\"doc_values\":false},"
            + "\"driftless_version\":{\"type\":\"integer\"}}}}}";
    assertThat(IndexMapping.validate(response.getBytes(StandardCharsets.UTF_8)))
        .contains(
            "index [a] lacks Driftless metadata field 'driftless_key' (type keyword)",
            "index [b] disables doc_values on Driftless metadata field 'driftless_key'; sorting and"
                + " aggregating on it needs them",
            "index [b] maps Driftless metadata field 'driftless_version' as integer, it must be long")
        .hasSize(8 + 2 + 6);
  }
}
