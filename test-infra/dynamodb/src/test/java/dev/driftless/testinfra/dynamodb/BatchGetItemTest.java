package dev.driftless.testinfra.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;

/** BatchGetItem's limits, and unprocessed keys under the {@code UNPROCESSED_KEYS} fault. */
class BatchGetItemTest extends EmulatorTestBase {

  private BatchGetItemResponse get(List<Map<String, AttributeValue>> keys) {
    return sdk.dynamoDb()
        .batchGetItem(
            b ->
                b.requestItems(
                    Map.of(
                        "Items",
                        KeysAndAttributes.builder()
                            .keys(keys)
                            .consistentRead(true)
                            .projectionExpression("id, v")
                            .build())));
  }

  private static List<String> ids(BatchGetItemResponse r) {
    List<String> ids = new ArrayList<>();
    for (Map<String, AttributeValue> item : r.responses().getOrDefault("Items", List.of())) {
      ids.add(item.get("id").s());
      assertThat(item).containsOnlyKeys("id", "v");
    }
    return ids;
  }

  @Test
  void unprocessedKeysUnderTheFaultAndEveryKeyReadOnRetry() {
    createTable("Items", null);
    List<Map<String, AttributeValue>> keys = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      put("Items", item("k" + i, "v", i, "w", "x"));
      keys.add(key("k" + i));
    }
    keys.add(key("absent"));
    emu.inject(Fault.on("BatchGetItem").respond(FaultKind.UNPROCESSED_KEYS));
    BatchGetItemResponse first = get(keys);
    assertThat(ids(first)).containsExactlyInAnyOrder("k0", "k1", "k2");
    KeysAndAttributes rest = first.unprocessedKeys().get("Items");
    assertThat(rest.keys()).containsExactly(key("k3"), key("k4"), key("absent"));
    assertThat(rest.consistentRead()).isTrue();
    assertThat(rest.projectionExpression()).isEqualTo("id, v");
    BatchGetItemResponse second =
        sdk.dynamoDb().batchGetItem(b -> b.requestItems(first.unprocessedKeys()));
    assertThat(ids(second)).containsExactlyInAnyOrder("k3", "k4");
    assertThat(second.unprocessedKeys()).isEmpty();
    assertThat(emu.consistentReads()).isEqualTo(2);
  }

  @Test
  void oneKeyUnderTheFaultComesBackWhole() {
    createTable("Items", null);
    put("Items", item("a", "v", 1));
    emu.inject(Fault.on("BatchGetItem").times(2).respond(FaultKind.UNPROCESSED_KEYS));
    BatchGetItemResponse r = get(List.of(key("a")));
    assertThat(ids(r)).isEmpty();
    assertThat(r.unprocessedKeys().get("Items").keys()).containsExactly(key("a"));
  }

  @Test
  void refusesMoreThanOneHundredKeysAndDuplicates() {
    createTable("Items", null);
    List<Map<String, AttributeValue>> many = new ArrayList<>();
    for (int i = 0; i < 101; i++) {
      many.add(key("k" + i));
    }
    assertThatThrownBy(() -> get(many))
        .isInstanceOf(DynamoDbException.class)
        .hasMessageContaining("Too many items");
    assertThat(get(many.subList(0, 100)).responses().get("Items")).isEmpty();
    assertThatThrownBy(() -> get(List.of(key("a"), key("a"))))
        .isInstanceOf(DynamoDbException.class)
        .hasMessageContaining("duplicates");
  }
}
