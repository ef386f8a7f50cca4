package dev.driftless.testinfra.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.OperationType;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/** What records a write produces, and what they carry. */
class StreamRecordsTest extends EmulatorTestBase {

  @ParameterizedTest
  @EnumSource(
      value = StreamViewType.class,
      names = {"KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"})
  void imagesFollowTheViewType(StreamViewType view) {
    String arn = createTable("Items", view);
    put("Items", item("a", "v", 1));
    put("Items", item("a", "v", 2));
    sdk.dynamoDb().deleteItem(b -> b.tableName("Items").key(key("a")));

    List<Record> rs = readAll(arn);
    assertThat(rs)
        .extracting(Record::eventName)
        .containsExactly(OperationType.INSERT, OperationType.MODIFY, OperationType.REMOVE);
    boolean newImages =
        view == StreamViewType.NEW_IMAGE || view == StreamViewType.NEW_AND_OLD_IMAGES;
    boolean oldImages =
        view == StreamViewType.OLD_IMAGE || view == StreamViewType.NEW_AND_OLD_IMAGES;
    for (Record r : rs) {
      assertThat(r.dynamodb().keys()).isEqualTo(key("a"));
      assertThat(r.dynamodb().streamViewType()).isEqualTo(view);
      assertThat(r.dynamodb().hasNewImage())
          .isEqualTo(newImages && r.eventName() != OperationType.REMOVE);
      assertThat(r.dynamodb().hasOldImage())
          .isEqualTo(oldImages && r.eventName() != OperationType.INSERT);
      assertThat(r.dynamodb().sizeBytes()).isPositive();
      assertThat(r.eventID()).matches("[0-9a-f]{32}");
      assertThat(r.eventSource()).isEqualTo("aws:dynamodb");
      assertThat(r.awsRegion()).isEqualTo("us-east-1");
      assertThat(r.dynamodb().approximateCreationDateTime()).isEqualTo(T0);
      assertThat(r.userIdentity()).isNull();
    }
    if (newImages) {
      assertThat(rs.get(1).dynamodb().newImage().get("v").n()).isEqualTo("2");
    }
    if (oldImages) {
      assertThat(rs.get(2).dynamodb().oldImage().get("v").n()).isEqualTo("2");
    }
  }

  @Test
  void writesThatChangeNothingProduceNoRecord() {
    String arn = createTable("Items", StreamViewType.NEW_AND_OLD_IMAGES);
    put("Items", item("a", "v", 1));
    put("Items", item("a", "v", 1)); // same item again
    put(
        "Items",
        Map.of("id", AttributeValue.fromS("a"), "v", AttributeValue.fromN("1.0"))); // same number
    sdk.dynamoDb()
        .updateItem(
            b ->
                b.tableName("Items")
                    .key(key("a"))
                    .updateExpression("SET v = :v")
                    .expressionAttributeValues(Map.of(":v", AttributeValue.fromN("1"))));
    sdk.dynamoDb().deleteItem(b -> b.tableName("Items").key(key("nobody")));
    assertThatThrownBy(
            () ->
                sdk.dynamoDb()
                    .putItem(
                        b ->
                            b.tableName("Items")
                                .item(item("a", "v", 9))
                                .conditionExpression("attribute_not_exists(id)")))
        .isInstanceOf(ConditionalCheckFailedException.class);

    assertThat(readAll(arn)).hasSize(1);
  }

  @Test
  void batchAndTransactionWritesGiveOneRecordPerItem() {
    String arn = createTable("Items", StreamViewType.NEW_IMAGE);
    List<WriteRequest> batch = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      Map<String, AttributeValue> it = item("b" + i, "n", i);
      batch.add(WriteRequest.builder().putRequest(p -> p.item(it)).build());
    }
    sdk.dynamoDb().batchWriteItem(b -> b.requestItems(Map.of("Items", batch)));
    List<TransactWriteItem> tx = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Map<String, AttributeValue> it = item("t" + i);
      tx.add(
          TransactWriteItem.builder()
              .put(Put.builder().tableName("Items").item(it).build())
              .build());
    }
    sdk.dynamoDb().transactWriteItems(b -> b.transactItems(tx));

    List<Record> rs = readAll(arn);
    Set<String> ids = new HashSet<>();
    rs.forEach(r -> ids.add(r.dynamodb().keys().get("id").s()));
    assertThat(rs).hasSize(35);
    assertThat(ids).hasSize(35);
  }

  @Test
  void sequenceNumbersIncreaseNumericallyAndVaryInLength() {
    String arn = createTable("Items", StreamViewType.KEYS_ONLY);
    for (int round = 0; round < 6; round++) {
      for (int i = 0; i < 40; i++) {
        put("Items", item("k" + (i % 3), "round", round, "i", i));
      }
      emu.rollover("Items");
    }
    Set<Integer> lengths = new HashSet<>();
    BigInteger previous = BigInteger.ZERO;
    boolean stringOrderBroken = false;
    String previousText = "";
    for (Record r : readAll(arn)) {
      if (!r.dynamodb().keys().get("id").s().equals("k0")) {
        continue;
      }
      String text = r.dynamodb().sequenceNumber();
      assertThat(text).matches("[0-9]{21,40}");
      BigInteger seq = new BigInteger(text);
      assertThat(seq).isGreaterThan(previous);
      stringOrderBroken |= text.compareTo(previousText) < 0;
      previous = seq;
      previousText = text;
      lengths.add(text.length());
    }
    assertThat(lengths).hasSizeGreaterThan(3);
    assertThat(stringOrderBroken)
        .as("string comparison would misorder this key's records")
        .isTrue();
  }

  @Test
  void concurrentWritersKeepEveryKeysOrderInTheStream() throws Exception {
    String arn = createTable("Items", StreamViewType.NEW_IMAGE);
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int writer = w;
        done.add(
            pool.submit(
                () -> {
                  for (int v = 1; v <= 30; v++) {
                    put("Items", item("w" + writer + "-" + (v % 3), "v", v));
                  }
                }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    Map<String, List<Integer>> perKey = new java.util.TreeMap<>();
    for (Record r : readAll(arn)) {
      perKey
          .computeIfAbsent(r.dynamodb().keys().get("id").s(), k -> new ArrayList<>())
          .add(Integer.parseInt(r.dynamodb().newImage().get("v").n()));
    }
    assertThat(perKey).hasSize(12);
    perKey.values().forEach(vs -> assertThat(vs).hasSize(10).isSorted());
  }

  @Test
  void ttlDeletesCarryTheServiceIdentity() {
    String arn = createTable("Items", StreamViewType.NEW_AND_OLD_IMAGES);
    sdk.dynamoDb()
        .updateTimeToLive(
            b ->
                b.tableName("Items")
                    .timeToLiveSpecification(s -> s.enabled(true).attributeName("expires")));
    long past = T0.getEpochSecond() - 10;
    long future = T0.getEpochSecond() + 3600;
    put("Items", item("old", "expires", past));
    put("Items", item("young", "expires", future));
    put("Items", item("forever"));

    assertThat(emu.expireTtl()).isEqualTo(1);
    emu.advanceClock(java.time.Duration.ofHours(2));
    assertThat(emu.expireTtl()).isEqualTo(1);
    sdk.dynamoDb().deleteItem(b -> b.tableName("Items").key(key("forever")));

    List<Record> removes =
        readAll(arn).stream().filter(r -> r.eventName() == OperationType.REMOVE).toList();
    assertThat(removes).hasSize(3);
    for (Record r : removes) {
      boolean byTtl = !r.dynamodb().keys().get("id").s().equals("forever");
      if (byTtl) {
        assertThat(r.userIdentity().type()).isEqualTo("Service");
        assertThat(r.userIdentity().principalId()).isEqualTo("dynamodb.amazonaws.com");
      } else {
        assertThat(r.userIdentity()).isNull();
      }
    }
    assertThat(
            sdk.dynamoDb()
                .describeTimeToLive(b -> b.tableName("Items"))
                .timeToLiveDescription()
                .attributeName())
        .isEqualTo("expires");
  }

  @Test
  void multiItemOrderCanBeReversed() {
    String arn = createTable("Items", StreamViewType.KEYS_ONLY);
    emu.multiItemOrder(DynamoDbEmulator.MultiItemOrder.REVERSED);
    // keys of one partition, so their records share one shard and their order is observable
    List<String> ids = new ArrayList<>();
    for (int i = 0; ids.size() < 5; i++) {
      if (emu.partitionOf("Items", "x" + i) == emu.partitionOf("Items", "x0")) {
        ids.add("x" + i);
      }
    }
    List<TransactWriteItem> tx = new ArrayList<>();
    for (String id : ids) {
      tx.add(
          TransactWriteItem.builder()
              .put(Put.builder().tableName("Items").item(item(id)).build())
              .build());
    }
    sdk.dynamoDb().transactWriteItems(b -> b.transactItems(tx));
    List<String> seen = readAll(arn).stream().map(r -> r.dynamodb().keys().get("id").s()).toList();
    List<String> reversed = new ArrayList<>(ids);
    java.util.Collections.reverse(reversed);
    assertThat(seen).isEqualTo(reversed);
  }
}
