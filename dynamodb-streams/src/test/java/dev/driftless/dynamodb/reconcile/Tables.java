package dev.driftless.dynamodb.reconcile;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/** Tables keyed by {@code pk} (S) and {@code sk} (N) with a NEW_AND_OLD_IMAGES stream. */
final class Tables {
  private Tables() {}

  static void composite(DynamoDbClient ddb, String table) {
    ddb.createTable(
        b ->
            b.tableName(table)
                .keySchema(
                    KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build(),
                    KeySchemaElement.builder().attributeName("sk").keyType(KeyType.RANGE).build())
                .attributeDefinitions(
                    AttributeDefinition.builder()
                        .attributeName("pk")
                        .attributeType(ScalarAttributeType.S)
                        .build(),
                    AttributeDefinition.builder()
                        .attributeName("sk")
                        .attributeType(ScalarAttributeType.N)
                        .build())
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .streamSpecification(
                    s -> s.streamEnabled(true).streamViewType(StreamViewType.NEW_AND_OLD_IMAGES)));
  }

  /** Attributes of every type, varying with {@code g}. */
  static Map<String, AttributeValue> attributes(int g) {
    Map<String, AttributeValue> a = new HashMap<>();
    a.put("v", AttributeValue.fromS("value " + g));
    a.put("n", AttributeValue.fromN(g + ".250"));
    a.put("flag", AttributeValue.fromBool(g % 2 == 0));
    a.put("nothing", AttributeValue.fromNul(true));
    a.put("bin", AttributeValue.fromB(SdkBytes.fromByteArray(new byte[] {(byte) g, 0, -1})));
    a.put("tags", AttributeValue.fromSs(List.of("t" + g, "a", "z")));
    a.put("nums", AttributeValue.fromNs(List.of("3", "1." + g, "-2")));
    a.put(
        "bins",
        AttributeValue.fromBs(
            List.of(
                SdkBytes.fromByteArray(new byte[] {2}), SdkBytes.fromByteArray(new byte[] {1}))));
    a.put(
        "list",
        AttributeValue.fromL(List.of(AttributeValue.fromS("x"), AttributeValue.fromN("" + g))));
    a.put(
        "map",
        AttributeValue.fromM(
            Map.of("b", AttributeValue.fromS("y"), "a", AttributeValue.fromBool(true))));
    return a;
  }

  static void put(
      DynamoDbClient ddb, String table, String pk, String sk, Map<String, AttributeValue> rest) {
    Map<String, AttributeValue> item = new HashMap<>(rest);
    item.put("pk", AttributeValue.fromS(pk));
    item.put("sk", AttributeValue.fromN(sk));
    ddb.putItem(b -> b.tableName(table).item(item));
  }

  static void delete(DynamoDbClient ddb, String table, String pk, String sk) {
    ddb.deleteItem(
        b ->
            b.tableName(table)
                .key(Map.of("pk", AttributeValue.fromS(pk), "sk", AttributeValue.fromN(sk))));
  }
}
