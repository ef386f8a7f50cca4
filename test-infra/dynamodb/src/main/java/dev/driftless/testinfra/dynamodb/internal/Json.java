package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jspecify.annotations.Nullable;

/** Reading request members: every accessor names the member in its validation error. */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  static ArrayNode array() {
    return MAPPER.createArrayNode();
  }

  static String requiredString(JsonNode req, String member) {
    JsonNode n = req.get(member);
    if (n == null || n.isNull()) {
      throw ApiError.validation(
          "1 validation error detected: Value null at '"
              + lower(member)
              + "' failed to satisfy constraint: Member must not be null");
    }
    if (!n.isTextual()) {
      throw ApiError.serialization("Member " + member + " must be a string");
    }
    return n.asText();
  }

  static @Nullable String optionalString(JsonNode req, String member) {
    JsonNode n = req.get(member);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw ApiError.serialization("Member " + member + " must be a string");
    }
    return n.asText();
  }

  static @Nullable Integer optionalInt(JsonNode req, String member) {
    JsonNode n = req.get(member);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw ApiError.serialization("Member " + member + " must be an integer");
    }
    return n.asInt();
  }

  static boolean optionalBoolean(JsonNode req, String member, boolean dflt) {
    JsonNode n = req.get(member);
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.isBoolean()) {
      throw ApiError.serialization("Member " + member + " must be a boolean");
    }
    return n.asBoolean();
  }

  static ObjectNode requiredObject(JsonNode req, String member) {
    ObjectNode o = optionalObject(req, member);
    if (o == null) {
      throw ApiError.validation(
          "1 validation error detected: Value null at '"
              + lower(member)
              + "' failed to satisfy constraint: Member must not be null");
    }
    return o;
  }

  static @Nullable ObjectNode optionalObject(JsonNode req, String member) {
    JsonNode n = req.get(member);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isObject()) {
      throw ApiError.serialization("Member " + member + " must be an object");
    }
    return (ObjectNode) n;
  }

  static ArrayNode optionalArray(JsonNode req, String member) {
    JsonNode n = req.get(member);
    if (n == null || n.isNull()) {
      return array();
    }
    if (!n.isArray()) {
      throw ApiError.serialization("Member " + member + " must be a list");
    }
    return (ArrayNode) n;
  }

  private static String lower(String member) {
    return Character.toLowerCase(member.charAt(0)) + member.substring(1);
  }
}
