package dev.driftless.testinfra.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionCheck;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.Delete;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/** Table and item operations: keys, expressions, conditions, ReturnValues, transactions. */
class ItemOpsTest extends EmulatorTestBase {

  static AttributeValue n(long v) {
    return AttributeValue.fromN(Long.toString(v));
  }

  static AttributeValue s(String v) {
    return AttributeValue.fromS(v);
  }

  @Test
  void tablesDescribeThemselvesAndRejectBadKeys() {
    sdk.dynamoDb()
        .createTable(
            b ->
                b.tableName("Orders")
                    .keySchema(
                        KeySchemaElement.builder()
                            .attributeName("customer")
                            .keyType(KeyType.HASH)
                            .build(),
                        KeySchemaElement.builder()
                            .attributeName("order")
                            .keyType(KeyType.RANGE)
                            .build())
                    .attributeDefinitions(
                        AttributeDefinition.builder()
                            .attributeName("customer")
                            .attributeType(ScalarAttributeType.S)
                            .build(),
                        AttributeDefinition.builder()
                            .attributeName("order")
                            .attributeType(ScalarAttributeType.N)
                            .build())
                    .provisionedThroughput(p -> p.readCapacityUnits(5L).writeCapacityUnits(5L)));
    TableDescription t = sdk.dynamoDb().describeTable(b -> b.tableName("Orders")).table();
    assertThat(t.keySchema()).hasSize(2);
    assertThat(t.tableStatusAsString()).isEqualTo("ACTIVE");
    assertThat(t.latestStreamArn()).isNull();
    assertThat(t.tableArn()).isEqualTo("arn:aws:dynamodb:us-east-1:000000000000:table/Orders");
    assertThatThrownBy(
            () ->
                sdk.dynamoDb()
                    .createTable(
                        b ->
                            b.tableName("Orders")
                                .keySchema(t.keySchema())
                                .attributeDefinitions(t.attributeDefinitions())))
        .isInstanceOf(ResourceInUseException.class);

    sdk.dynamoDb()
        .putItem(
            b ->
                b.tableName("Orders")
                    .item(Map.of("customer", s("c"), "order", n(2), "total", n(10))));
    assertThat(
            sdk.dynamoDb()
                .getItem(
                    b ->
                        b.tableName("Orders")
                            .key(Map.of("customer", s("c"), "order", AttributeValue.fromN("2.0"))))
                .item())
        .containsEntry("total", n(10));
    assertValidation(
        () -> sdk.dynamoDb().putItem(b -> b.tableName("Orders").item(Map.of("customer", s("c")))));
    assertValidation(
        () ->
            sdk.dynamoDb()
                .putItem(
                    b -> b.tableName("Orders").item(Map.of("customer", s("c"), "order", s("x")))));
    assertValidation(
        () -> sdk.dynamoDb().getItem(b -> b.tableName("Orders").key(Map.of("customer", s("c")))));
    assertValidation(
        () ->
            sdk.dynamoDb()
                .putItem(
                    b -> b.tableName("Orders").item(Map.of("customer", s(""), "order", n(1)))));
    assertValidation(
        () ->
            sdk.dynamoDb()
                .putItem(
                    b ->
                        b.tableName("Orders")
                            .item(
                                Map.of(
                                    "customer",
                                    s("c"),
                                    "order",
                                    n(1),
                                    "big",
                                    s("x".repeat(410_000))))));
    assertThat(sdk.dynamoDb().listTables().tableNames()).containsExactly("Orders");
    sdk.dynamoDb().deleteTable(b -> b.tableName("Orders"));
    assertThat(sdk.dynamoDb().listTables().tableNames()).isEmpty();
  }

  static void assertValidation(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOf(DynamoDbException.class)
        .satisfies(
            e ->
                assertThat(((DynamoDbException) e).awsErrorDetails().errorCode())
                    .isEqualTo("ValidationException"));
  }

  @Test
  void updateExpressionsSetRemoveAddAndDelete() {
    createTable("Items", StreamViewType.NEW_IMAGE);
    put(
        "Items",
        Map.of(
            "id",
            s("a"),
            "count",
            n(1),
            "gone",
            s("x"),
            "tags",
            AttributeValue.fromSs(List.of("p", "q")),
            "doc",
            AttributeValue.fromM(Map.of("inner", n(1))),
            "list",
            AttributeValue.fromL(List.of(n(1)))));
    Map<String, AttributeValue> after =
        sdk.dynamoDb()
            .updateItem(
                b ->
                    b.tableName("Items")
                        .key(key("a"))
                        .updateExpression(
                            "SET #c = #c + :one, doc.inner = :two, fresh = if_not_exists(fresh, :two), #l = list_append(#l, :l)"
                                + " REMOVE gone ADD visits :one, tags :r DELETE tags :p")
                        .expressionAttributeNames(Map.of("#c", "count", "#l", "list"))
                        .expressionAttributeValues(
                            Map.of(
                                ":one", n(1),
                                ":two", n(2),
                                ":l", AttributeValue.fromL(List.of(n(9))),
                                ":r", AttributeValue.fromSs(List.of("r")),
                                ":p", AttributeValue.fromSs(List.of("p"))))
                        .returnValues(ReturnValue.ALL_NEW))
            .attributes();
    assertThat(after.get("count")).isEqualTo(n(2));
    assertThat(after.get("doc").m()).containsEntry("inner", n(2));
    assertThat(after.get("fresh")).isEqualTo(n(2));
    assertThat(after.get("list").l()).containsExactly(n(1), n(9));
    assertThat(after).doesNotContainKey("gone");
    assertThat(after.get("visits")).isEqualTo(n(1));
    assertThat(after.get("tags").ss()).containsExactlyInAnyOrder("q", "r");

    Map<String, AttributeValue> updatedOld =
        sdk.dynamoDb()
            .updateItem(
                b ->
                    b.tableName("Items")
                        .key(key("a"))
                        .updateExpression("SET #c = :ten")
                        .expressionAttributeNames(Map.of("#c", "count"))
                        .expressionAttributeValues(Map.of(":ten", n(10)))
                        .returnValues(ReturnValue.UPDATED_OLD))
            .attributes();
    assertThat(updatedOld).containsOnlyKeys("count").containsEntry("count", n(2));
    // an update of a missing item creates it
    sdk.dynamoDb()
        .updateItem(
            b ->
                b.tableName("Items")
                    .key(key("new"))
                    .updateExpression("SET v = :v")
                    .expressionAttributeValues(Map.of(":v", n(5))));
    assertThat(
            sdk.dynamoDb()
                .getItem(b -> b.tableName("Items").key(key("new")).consistentRead(true))
                .item())
        .containsEntry("v", n(5));
    assertThat(emu.consistentReads()).isEqualTo(1);
    assertValidation(
        () ->
            sdk.dynamoDb()
                .updateItem(
                    b ->
                        b.tableName("Items")
                            .key(key("a"))
                            .updateExpression("SET id = :v")
                            .expressionAttributeValues(Map.of(":v", s("b")))));
    assertValidation(
        () ->
            sdk.dynamoDb()
                .updateItem(
                    b ->
                        b.tableName("Items").key(key("a")).updateExpression("SET v = :undefined")));
  }

  @Test
  void conditionsGuardWritesForOptimisticLocking() {
    createTable("Items", StreamViewType.NEW_IMAGE);
    put("Items", item("a", "version", 1, "name", "first"));
    sdk.dynamoDb()
        .putItem(
            b ->
                b.tableName("Items")
                    .item(item("a", "version", 2, "name", "second"))
                    .conditionExpression(
                        "version = :expected AND begins_with(#n, :f) AND size(#n) BETWEEN :lo AND :hi")
                    .expressionAttributeNames(Map.of("#n", "name"))
                    .expressionAttributeValues(
                        Map.of(":expected", n(1), ":f", s("fi"), ":lo", n(1), ":hi", n(10))));
    assertThatThrownBy(
            () ->
                sdk.dynamoDb()
                    .putItem(
                        b ->
                            b.tableName("Items")
                                .item(item("a", "version", 2, "name", "stale"))
                                .conditionExpression("version = :expected")
                                .expressionAttributeValues(Map.of(":expected", n(1)))
                                .returnValuesOnConditionCheckFailure(
                                    ReturnValuesOnConditionCheckFailure.ALL_OLD)))
        .isInstanceOf(ConditionalCheckFailedException.class)
        .satisfies(
            e ->
                assertThat(((ConditionalCheckFailedException) e).item())
                    .containsEntry("name", s("second")));
    Map<String, AttributeValue> old =
        sdk.dynamoDb()
            .deleteItem(
                b ->
                    b.tableName("Items")
                        .key(key("a"))
                        .conditionExpression(
                            "attribute_exists(id) AND NOT (version IN (:a, :b)) OR contains(#n, :c)")
                        .expressionAttributeNames(Map.of("#n", "name"))
                        .expressionAttributeValues(Map.of(":a", n(5), ":b", n(6), ":c", s("zzz")))
                        .returnValues(ReturnValue.ALL_OLD))
            .attributes();
    assertThat(old).containsEntry("version", n(2));
    assertThat(sdk.dynamoDb().getItem(b -> b.tableName("Items").key(key("a"))).hasItem()).isFalse();
  }

  @Test
  void transactionsAreAllOrNothing() {
    createTable("Items", StreamViewType.NEW_IMAGE);
    put("Items", item("guard", "ok", 0));
    put("Items", item("victim"));
    TransactWriteItem putA =
        TransactWriteItem.builder()
            .put(Put.builder().tableName("Items").item(item("a")).build())
            .build();
    TransactWriteItem delVictim =
        TransactWriteItem.builder()
            .delete(Delete.builder().tableName("Items").key(key("victim")).build())
            .build();
    TransactWriteItem failingCheck =
        TransactWriteItem.builder()
            .conditionCheck(
                ConditionCheck.builder()
                    .tableName("Items")
                    .key(key("guard"))
                    .conditionExpression("ok = :one")
                    .expressionAttributeValues(Map.of(":one", n(1)))
                    .build())
            .build();
    assertThatThrownBy(
            () ->
                sdk.dynamoDb()
                    .transactWriteItems(b -> b.transactItems(putA, delVictim, failingCheck)))
        .isInstanceOf(TransactionCanceledException.class)
        .satisfies(
            e ->
                assertThat(((TransactionCanceledException) e).cancellationReasons())
                    .extracting(CancellationReason::code)
                    .containsExactly("None", "None", "ConditionalCheckFailed"));
    assertThat(sdk.dynamoDb().getItem(b -> b.tableName("Items").key(key("a"))).hasItem()).isFalse();
    assertThat(sdk.dynamoDb().getItem(b -> b.tableName("Items").key(key("victim"))).hasItem())
        .isTrue();
    assertValidation(() -> sdk.dynamoDb().transactWriteItems(b -> b.transactItems(putA, putA)));
    sdk.dynamoDb().transactWriteItems(b -> b.transactItems(putA, delVictim));
    assertThat(sdk.dynamoDb().getItem(b -> b.tableName("Items").key(key("a"))).hasItem()).isTrue();
    assertThat(sdk.dynamoDb().getItem(b -> b.tableName("Items").key(key("victim"))).hasItem())
        .isFalse();
  }
}
