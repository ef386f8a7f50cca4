package dev.driftless.testinfra.dynamodb;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.DescribeStreamResponse;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.Shard;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * One emulator per test (fixed base clock, 4 partitions, no timed rollover unless a test builds its
 * own) and the real SDK clients without retries, plus small helpers built on the SDK only.
 */
abstract class EmulatorTestBase {
  static final Instant T0 = Instant.parse("2026-03-01T12:00:00Z");

  DynamoDbEmulator emu;
  EmulatorClients sdk;

  DynamoDbEmulator.Builder configure(DynamoDbEmulator.Builder b) {
    return b;
  }

  @BeforeEach
  void startEmulator() {
    emu =
        configure(
                DynamoDbEmulator.builder()
                    .clock(Clock.fixed(T0, ZoneOffset.UTC))
                    .partitions(4)
                    .noTimedRollover())
            .build()
            .start();
    sdk = EmulatorClients.withoutRetries(emu);
  }

  @AfterEach
  void stopEmulator() {
    sdk.close();
    emu.close();
  }

  /** A table keyed by {@code id} (S), with a stream of the given view type (null: no stream). */
  String createTable(String name, @Nullable StreamViewType view) {
    sdk.dynamoDb()
        .createTable(
            b -> {
              b.tableName(name)
                  .keySchema(
                      KeySchemaElement.builder().attributeName("id").keyType(KeyType.HASH).build())
                  .attributeDefinitions(
                      AttributeDefinition.builder()
                          .attributeName("id")
                          .attributeType(ScalarAttributeType.S)
                          .build())
                  .billingMode(BillingMode.PAY_PER_REQUEST);
              if (view != null) {
                b.streamSpecification(s -> s.streamEnabled(true).streamViewType(view));
              }
            });
    return view == null
        ? ""
        : sdk.dynamoDb().describeTable(b -> b.tableName(name)).table().latestStreamArn();
  }

  static Map<String, AttributeValue> item(String id, Object... attrs) {
    Map<String, AttributeValue> m = new HashMap<>();
    m.put("id", AttributeValue.fromS(id));
    for (int i = 0; i < attrs.length; i += 2) {
      Object v = attrs[i + 1];
      m.put(
          (String) attrs[i],
          v instanceof Number
              ? AttributeValue.fromN(v.toString())
              : AttributeValue.fromS(v.toString()));
    }
    return m;
  }

  static Map<String, AttributeValue> key(String id) {
    return Map.of("id", AttributeValue.fromS(id));
  }

  void put(String table, Map<String, AttributeValue> item) {
    sdk.dynamoDb().putItem(b -> b.tableName(table).item(item));
  }

  /** Every listed shard, following LastEvaluatedShardId with the given page size. */
  List<Shard> listShards(String arn, int pageSize) {
    List<Shard> out = new ArrayList<>();
    String start = null;
    do {
      String from = start;
      DescribeStreamResponse r =
          sdk.streams()
              .describeStream(b -> b.streamArn(arn).limit(pageSize).exclusiveStartShardId(from));
      out.addAll(r.streamDescription().shards());
      start = r.streamDescription().lastEvaluatedShardId();
    } while (start != null);
    return out;
  }

  String iterator(String arn, String shardId, ShardIteratorType type, @Nullable String seq) {
    return sdk.streams()
        .getShardIterator(
            b -> b.streamArn(arn).shardId(shardId).shardIteratorType(type).sequenceNumber(seq))
        .shardIterator();
  }

  /**
   * Reads a shard from TRIM_HORIZON: a closed shard to its end (NextShardIterator absent), an open
   * one up to the first empty page.
   */
  List<Record> readShard(String arn, String shardId) {
    List<Record> out = new ArrayList<>();
    String it = iterator(arn, shardId, ShardIteratorType.TRIM_HORIZON, null);
    for (int calls = 0; it != null && calls < 10_000; calls++) {
      String cur = it;
      GetRecordsResponse r = sdk.streams().getRecords(b -> b.shardIterator(cur));
      out.addAll(r.records());
      it = r.nextShardIterator();
      boolean open = shardOpen(arn, shardId);
      if (r.records().isEmpty() && open) {
        break;
      }
    }
    return out;
  }

  boolean shardOpen(String arn, String shardId) {
    return emu.shards(tableOf(arn)).stream()
        .filter(s -> s.shardId().equals(shardId))
        .anyMatch(ShardInfo::isOpen);
  }

  static String tableOf(String arn) {
    String rest = arn.substring(arn.indexOf(":table/") + 7);
    return rest.substring(0, rest.indexOf('/'));
  }

  /** Every record of every listed shard of the stream, parents before children. */
  List<Record> readAll(String arn) {
    List<Record> out = new ArrayList<>();
    for (Shard s : listShards(arn, 100)) {
      out.addAll(readShard(arn, s.shardId()));
    }
    return out;
  }
}
