package dev.driftless.benchmarks;

import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.dynamodb.EmulatorClients;
import dev.driftless.testinfra.dynamodb.ShardInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.StreamDescription;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * One DynamoDB emulator (in this JVM) with {@code partitions} shards per new table, and the real
 * SDK v2 clients every contender shares: {@code url-connection-client}, static credentials, the
 * SDK's default retries.
 */
final class DdbFixture implements AutoCloseable {
  private final DynamoDbEmulator emulator;
  final DynamoDbClient dynamoDb;
  final DynamoDbStreamsClient streams;
  final int partitions;

  DdbFixture(int partitions) {
    this.partitions = partitions;
    this.emulator =
        DynamoDbEmulator.builder()
            .partitions(partitions)
            .noTimedRollover()
            .httpThreads(32)
            .build()
            .start();
    EmulatorClients clients =
        EmulatorClients.of(
            emulator, UrlConnectionHttpClient.builder(), true, Duration.ofSeconds(60));
    dynamoDb = clients.dynamoDb();
    streams = clients.streams();
  }

  /** Creates {@code table} (string key {@code id}, a NEW_AND_OLD_IMAGES stream). */
  void createTable(String table) {
    EmulatorClients.createTable(dynamoDb, table, StreamViewType.NEW_AND_OLD_IMAGES);
  }

  /**
   * Puts {@code count} new items (ids {@code k0..}, spread over every partition by their hash) with
   * BatchWriteItem from the given workers, and checks that the stream holds exactly that many
   * records.
   */
  void load(String table, int count, ExecutorService workers, int threads) throws Exception {
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int first = t;
      done.add(
          workers.submit(
              () -> {
                List<WriteRequest> batch = new ArrayList<>(25);
                for (int i = first; i < count; i += threads) {
                  batch.add(
                      WriteRequest.builder()
                          .putRequest(PutRequest.builder().item(item(i)).build())
                          .build());
                  if (batch.size() == 25 || i + threads >= count) {
                    write(table, List.copyOf(batch));
                    batch.clear();
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : done) {
      f.get();
    }
    long records = records(table);
    if (records != count) {
      throw new IllegalStateException(
          "the stream of " + table + " holds " + records + " records, not " + count);
    }
  }

  private void write(String table, List<WriteRequest> requests) {
    Map<String, List<WriteRequest>> pending = Map.of(table, requests);
    while (!pending.isEmpty()) {
      Map<String, List<WriteRequest>> send = pending;
      BatchWriteItemResponse r = dynamoDb.batchWriteItem(b -> b.requestItems(send));
      pending = r.hasUnprocessedItems() ? r.unprocessedItems() : Map.of();
    }
  }

  /** A small item like a catalogue row: id, name, quantity, price, flag. */
  static Map<String, AttributeValue> item(int i) {
    return Map.of(
        "id", AttributeValue.fromS("k" + i),
        "name", AttributeValue.fromS("item number " + i),
        "qty", AttributeValue.fromN(Integer.toString(i % 1000)),
        "price", AttributeValue.fromN((i % 100_000) + ".25"),
        "active", AttributeValue.fromBool(i % 2 == 0));
  }

  /** Records ever written to the table's stream (over all shards). */
  long records(String table) {
    long n = 0;
    for (ShardInfo s : emulator.shards(table)) {
      n += s.records();
    }
    return n;
  }

  int shards(String table) {
    return emulator.shards(table).size();
  }

  /** Every shard id of the table's stream, with DescribeStream's pagination. */
  List<String> shardIds(String table) {
    String arn = dynamoDb.describeTable(b -> b.tableName(table)).table().latestStreamArn();
    List<String> ids = new ArrayList<>();
    @Nullable String last = null;
    do {
      @Nullable String from = last;
      StreamDescription d =
          streams
              .describeStream(
                  b -> {
                    b.streamArn(arn);
                    if (from != null) {
                      b.exclusiveStartShardId(from);
                    }
                  })
              .streamDescription();
      d.shards().forEach(s -> ids.add(s.shardId()));
      last = d.lastEvaluatedShardId();
    } while (last != null);
    return ids;
  }

  String streamArn(String table) {
    return dynamoDb.describeTable(b -> b.tableName(table)).table().latestStreamArn();
  }

  @Override
  public void close() {
    dynamoDb.close();
    streams.close();
    emulator.close();
  }
}
