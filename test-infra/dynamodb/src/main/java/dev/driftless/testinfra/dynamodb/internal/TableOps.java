package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** Table control plane: Create/Describe/Update/Delete/ListTables and the TTL setting. */
final class TableOps {
  private static final Set<String> VIEW_TYPES =
      Set.of("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES");

  private final EmulatorState state;

  TableOps(EmulatorState state) {
    this.state = state;
  }

  @Nullable ObjectNode handle(String op, JsonNode req) {
    return switch (op) {
      case "CreateTable" -> create(req);
      case "DescribeTable" ->
          wrap("Table", describe(state.table(Json.requiredString(req, "TableName")), "ACTIVE"));
      case "DeleteTable" -> delete(req);
      case "UpdateTable" -> update(req);
      case "ListTables" -> list(req);
      case "UpdateTimeToLive" -> updateTtl(req);
      case "DescribeTimeToLive" -> describeTtl(req);
      default -> null;
    };
  }

  private static ObjectNode wrap(String member, ObjectNode value) {
    ObjectNode o = Json.object();
    o.set(member, value);
    return o;
  }

  private ObjectNode create(JsonNode req) {
    String name = Json.requiredString(req, "TableName");
    if (!name.matches("[a-zA-Z0-9_.-]{3,255}")) {
      throw ApiError.validation(
          "1 validation error detected: Value '"
              + name
              + "' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    }
    if (state.tables.containsKey(name)) {
      throw ApiError.service("ResourceInUseException", "Table already exists: " + name);
    }
    ArrayNode defs = Json.optionalArray(req, "AttributeDefinitions");
    ArrayNode schema = Json.optionalArray(req, "KeySchema");
    String hash = null;
    String range = null;
    for (JsonNode k : schema) {
      String type = k.path("KeyType").asText();
      if (type.equals("HASH") && hash == null) {
        hash = k.path("AttributeName").asText();
      } else if (type.equals("RANGE") && range == null) {
        range = k.path("AttributeName").asText();
      } else {
        throw ApiError.validation("Invalid KeySchema: " + schema);
      }
    }
    if (hash == null) {
      throw ApiError.validation(
          "1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: Member must not be null");
    }
    String hashType = typeOf(defs, hash);
    String rangeType = range == null ? null : typeOf(defs, range);
    if (defs.size() != (range == null ? 1 : 2)) {
      throw ApiError.validation(
          "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions");
    }
    ObjectNode billing = Json.object();
    String mode = Json.optionalString(req, "BillingMode");
    billing.put("BillingMode", mode == null ? "PROVISIONED" : mode);
    ObjectNode pt = Json.optionalObject(req, "ProvisionedThroughput");
    if (pt != null) {
      billing.set("ProvisionedThroughput", pt);
    }
    Instant now = state.now();
    String arn =
        "arn:aws:dynamodb:"
            + state.settings.region()
            + ":"
            + state.settings.accountId()
            + ":table/"
            + name;
    Table t =
        new Table(
            name,
            arn,
            UUID.nameUUIDFromBytes((arn + now).getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .toString(),
            now,
            hash,
            hashType,
            range,
            rangeType,
            schema.deepCopy(),
            defs.deepCopy(),
            billing,
            state.settings.partitions());
    state.tables.put(name, t);
    ObjectNode spec = Json.optionalObject(req, "StreamSpecification");
    if (spec != null && Json.optionalBoolean(spec, "StreamEnabled", false)) {
      state.streams.enable(t, viewType(spec), now);
    }
    return wrap("TableDescription", describe(t, "ACTIVE"));
  }

  private static String typeOf(ArrayNode defs, String attr) {
    for (JsonNode d : defs) {
      if (d.path("AttributeName").asText().equals(attr)) {
        String t = d.path("AttributeType").asText();
        if (!t.equals("S") && !t.equals("N") && !t.equals("B")) {
          throw ApiError.validation("Invalid AttributeType " + t + " for " + attr);
        }
        return t;
      }
    }
    throw ApiError.validation(
        "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: ["
            + attr
            + "]");
  }

  private static String viewType(JsonNode spec) {
    String v = Json.optionalString(spec, "StreamViewType");
    if (v == null || !VIEW_TYPES.contains(v)) {
      throw ApiError.validation(
          "1 validation error detected: Value '"
              + v
              + "' at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must satisfy enum value set: [NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY]");
    }
    return v;
  }

  ObjectNode describe(Table t, String status) {
    ObjectNode d = Json.object();
    d.set("AttributeDefinitions", t.attributeDefinitions);
    d.put("TableName", t.name);
    d.set("KeySchema", t.keySchema);
    d.put("TableStatus", status);
    d.put("CreationDateTime", t.createdAt.toEpochMilli() / 1000.0);
    ObjectNode pt = d.putObject("ProvisionedThroughput");
    JsonNode given = t.billing.get("ProvisionedThroughput");
    pt.put("NumberOfDecreasesToday", 0);
    pt.put("ReadCapacityUnits", given == null ? 0 : given.path("ReadCapacityUnits").asLong());
    pt.put("WriteCapacityUnits", given == null ? 0 : given.path("WriteCapacityUnits").asLong());
    d.put("TableSizeBytes", t.itemBytes);
    d.put("ItemCount", t.items.size());
    d.put("TableArn", t.arn);
    d.put("TableId", t.id);
    d.putObject("BillingModeSummary").put("BillingMode", t.billing.path("BillingMode").asText());
    Stream s = t.stream;
    if (s != null) {
      ObjectNode spec = d.putObject("StreamSpecification");
      spec.put("StreamEnabled", true);
      spec.put("StreamViewType", s.viewType);
    }
    Stream latest = t.latestStream;
    if (latest != null) {
      d.put("LatestStreamLabel", latest.label);
      d.put("LatestStreamArn", latest.arn);
    }
    d.put("DeletionProtectionEnabled", false);
    return d;
  }

  private ObjectNode delete(JsonNode req) {
    Table t = state.table(Json.requiredString(req, "TableName"));
    state.streams.disable(t, state.now());
    state.tables.remove(t.name);
    return wrap("TableDescription", describe(t, "DELETING"));
  }

  private ObjectNode update(JsonNode req) {
    Table t = state.table(Json.requiredString(req, "TableName"));
    ObjectNode spec = Json.optionalObject(req, "StreamSpecification");
    if (spec != null) {
      boolean enable = Json.optionalBoolean(spec, "StreamEnabled", false);
      if (enable) {
        if (t.stream != null) {
          throw ApiError.service(
              "ResourceInUseException", "Table already has an enabled stream: " + t.arn);
        }
        state.streams.enable(t, viewType(spec), state.now());
      } else {
        if (t.stream == null) {
          throw ApiError.validation("Table does not have an enabled stream: " + t.name);
        }
        state.streams.disable(t, state.now());
      }
    }
    String mode = Json.optionalString(req, "BillingMode");
    if (mode != null) {
      t.billing.put("BillingMode", mode);
    }
    ObjectNode pt = Json.optionalObject(req, "ProvisionedThroughput");
    if (pt != null) {
      t.billing.set("ProvisionedThroughput", pt);
    }
    return wrap("TableDescription", describe(t, "ACTIVE"));
  }

  private ObjectNode list(JsonNode req) {
    String start = Json.optionalString(req, "ExclusiveStartTableName");
    Integer limit = Json.optionalInt(req, "Limit");
    int max = limit == null ? 100 : limit;
    if (max < 1 || max > 100) {
      throw ApiError.validation("Limit must be between 1 and 100");
    }
    List<String> names = new ArrayList<>(state.tables.keySet());
    names.sort(null);
    ObjectNode out = Json.object();
    ArrayNode arr = out.putArray("TableNames");
    String last = null;
    for (String n : names) {
      if (start != null && n.compareTo(start) <= 0) {
        continue;
      }
      if (arr.size() == max) {
        out.put("LastEvaluatedTableName", last);
        break;
      }
      arr.add(n);
      last = n;
    }
    return out;
  }

  private ObjectNode updateTtl(JsonNode req) {
    Table t = state.table(Json.requiredString(req, "TableName"));
    ObjectNode spec = Json.requiredObject(req, "TimeToLiveSpecification");
    boolean enabled = Json.optionalBoolean(spec, "Enabled", false);
    String attr = Json.requiredString(spec, "AttributeName");
    if (enabled == (t.ttlAttribute != null)) {
      throw ApiError.validation(
          enabled ? "TimeToLive is already enabled" : "TimeToLive is already disabled");
    }
    t.ttlAttribute = enabled ? attr : null;
    ObjectNode out = Json.object();
    out.set("TimeToLiveSpecification", spec);
    return out;
  }

  private ObjectNode describeTtl(JsonNode req) {
    Table t = state.table(Json.requiredString(req, "TableName"));
    ObjectNode d = Json.object();
    d.put("TimeToLiveStatus", t.ttlAttribute == null ? "DISABLED" : "ENABLED");
    if (t.ttlAttribute != null) {
      d.put("AttributeName", t.ttlAttribute);
    }
    return wrap("TimeToLiveDescription", d);
  }
}
