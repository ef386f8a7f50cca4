package dev.driftless.search;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftless.search.internal.EngineJson;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Builds the mapping of an index Driftless creates, and checks the mapping of an index that already
 * exists. Driftless never changes an existing mapping: it refuses to write to an index whose
 * metadata fields are missing or of the wrong type.
 *
 * <p>Thread-safe; immutable.
 */
public final class IndexMapping {

  private final ObjectNode mapping;

  private IndexMapping(ObjectNode mapping) {
    this.mapping = mapping;
  }

  /**
   * The user's mapping (a JSON object such as {@code {"properties": {...}, "dynamic": "strict"}},
   * or {@code null} for none) merged with the {@linkplain MetadataFields metadata fields}.
   *
   * @throws IllegalArgumentException if the JSON is not an object, or if it maps a metadata field
   *     to another type
   */
  public static IndexMapping merge(@Nullable String userMappingJson) {
    ObjectNode root;
    if (userMappingJson == null || userMappingJson.isBlank()) {
      root = EngineJson.MAPPER.createObjectNode();
    } else {
      JsonNode parsed;
      try {
        parsed = EngineJson.MAPPER.readTree(userMappingJson);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("mapping is not valid JSON: " + e.getOriginalMessage());
      }
      if (!(parsed instanceof ObjectNode obj)) {
        throw new IllegalArgumentException("mapping must be a JSON object");
      }
      root = obj.deepCopy();
      if (root.has("mappings")) {
        throw new IllegalArgumentException(
            "mapping must be the mappings object itself ({\"properties\": ...}), not wrapped in"
                + " \"mappings\"");
      }
    }
    JsonNode props = root.get("properties");
    ObjectNode properties;
    if (props == null) {
      properties = root.putObject("properties");
    } else if (props instanceof ObjectNode obj) {
      properties = obj;
    } else {
      throw new IllegalArgumentException("mapping's \"properties\" must be a JSON object");
    }
    for (String field : MetadataFields.NAMES) {
      JsonNode existing = properties.get(field);
      String wanted = MetadataFields.TYPES.get(field);
      if (existing != null) {
        String type = existing.path("type").asText("");
        if (!type.equals(wanted)) {
          throw new IllegalArgumentException(
              "mapping defines Driftless metadata field '"
                  + field
                  + "' as '"
                  + type
                  + "'; it must be '"
                  + wanted
                  + "' (or leave it out)");
        }
        continue;
      }
      properties.set(field, EngineJson.MAPPER.valueToTree(MetadataFields.mappingOf(field)));
    }
    return new IndexMapping(root);
  }

  /** The merged mapping as JSON (the value of {@code "mappings"} in a create-index request). */
  public String toJson() {
    return mapping.toString();
  }

  /**
   * The body of a create-index request: {@code {"settings": settings, "mappings": mapping}}.
   *
   * @param settingsJson index settings as a JSON object, or {@code null} for the engine's defaults
   */
  public byte[] createIndexBody(@Nullable String settingsJson) {
    ObjectNode body = EngineJson.MAPPER.createObjectNode();
    if (settingsJson != null && !settingsJson.isBlank()) {
      body.set("settings", parseObject(settingsJson, "index settings"));
    }
    body.set("mappings", mapping);
    return body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  static ObjectNode parseObject(String json, String what) {
    JsonNode parsed;
    try {
      parsed = EngineJson.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(what + " is not valid JSON: " + e.getOriginalMessage());
    }
    if (!(parsed instanceof ObjectNode obj)) {
      throw new IllegalArgumentException(what + " must be a JSON object");
    }
    return obj;
  }

  /**
   * The problems with the metadata fields of existing indices, as returned by {@code GET
   * /<index>/_mapping} ({@code {"<concrete index>": {"mappings": {...}}}}, one entry per index
   * behind an alias). Empty when every concrete index is usable.
   */
  public static List<String> validate(byte[] getMappingResponse) {
    JsonNode root;
    try {
      root = EngineJson.MAPPER.readTree(getMappingResponse);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("not a mapping response: " + e.getMessage(), e);
    }
    List<String> problems = new ArrayList<>();
    Iterator<Map.Entry<String, JsonNode>> indices = root.fields();
    while (indices.hasNext()) {
      Map.Entry<String, JsonNode> index = indices.next();
      JsonNode mappings = index.getValue().path("mappings");
      JsonNode properties = mappings.path("properties");
      if (properties.isMissingNode() && mappings.size() == 1) {
        // Elasticsearch 7 with a custom type name still nests under the type.
        properties = mappings.elements().next().path("properties");
      }
      for (Map.Entry<String, String> f : MetadataFields.TYPES.entrySet()) {
        JsonNode field = properties.path(f.getKey());
        if (field.isMissingNode()) {
          problems.add(
              "index ["
                  + index.getKey()
                  + "] lacks Driftless metadata field '"
                  + f.getKey()
                  + "' (type "
                  + f.getValue()
                  + ")");
          continue;
        }
        String type = field.path("type").asText("object");
        if (!type.equals(f.getValue())) {
          problems.add(
              "index ["
                  + index.getKey()
                  + "] maps Driftless metadata field '"
                  + f.getKey()
                  + "' as "
                  + type
                  + ", it must be "
                  + f.getValue());
        } else if (!field.path("doc_values").asBoolean(true)) {
          problems.add(
              "index ["
                  + index.getKey()
                  + "] disables doc_values on Driftless metadata field '"
                  + f.getKey()
                  + "'; sorting and aggregating on it needs them");
        }
      }
    }
    return problems;
  }
}
