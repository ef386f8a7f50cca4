package dev.driftless.chaos;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * The DynamoDB suite's writes, through the real SDK from the test's JVM (its own client, the SDK's
 * default retries): a table keyed by {@code id} ({@code "i-<n>"}) seeded with items before the
 * pipeline first starts (what the backfill reads), then one to three writes every period: puts of
 * new items, puts over existing ones, {@code UpdateItem}s ({@code rev} counts an item's writes;
 * {@code note} set or removed), deletes. About 1% of the items are poison (every {@code n % 100 ==
 * 7}: a {@code name} starting with {@link Workload#POISON_PREFIX}, which the child's mapper
 * refuses); they are written and rewritten (staying poison) but never deleted.
 *
 * <p>Emulator faults hit these writes too (throttling, 500s, resets, a corrupt CRC32 after the
 * write was applied): the SDK retries, so a write may be applied twice (an update's {@code rev}
 * then counts twice) or, once the retries are spent, not at all. Both are fine: the table, read by
 * a consistent Scan at the end, is the truth the comparison holds the index to.
 */
final class DynamoDbWorkload implements AutoCloseable {

  private final DynamoDbClient dynamoDb;
  private final String table;
  private final Random random;
  private final ScheduledExecutorService writer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "chaos-ddb-workload");
            t.setDaemon(true);
            return t;
          });
  private final AtomicLong committed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private int next;

  DynamoDbWorkload(DynamoDbClient dynamoDb, String table, long seed) {
    this.dynamoDb = dynamoDb;
    this.table = table;
    this.random = new Random(seed);
  }

  static String id(int n) {
    return "i-" + n;
  }

  static boolean isPoison(String id) {
    return Workload.POISON && Integer.parseInt(id.substring(2)) % 100 == 7;
  }

  /** Writes items {@code 1..items} with BatchWriteItem (before faults: nothing fails). */
  void seed(int items) {
    List<WriteRequest> batch = new ArrayList<>();
    for (int n = 1; n <= items; n++) {
      batch.add(
          WriteRequest.builder().putRequest(PutRequest.builder().item(item(n)).build()).build());
      if (batch.size() == 25 || n == items) {
        Map<String, List<WriteRequest>> request = Map.of(table, List.copyOf(batch));
        var unprocessed = dynamoDb.batchWriteItem(b -> b.requestItems(request)).unprocessedItems();
        if (!unprocessed.isEmpty()) {
          throw new AssertionError("the emulator left items unprocessed: " + unprocessed);
        }
        batch.clear();
      }
    }
    next = items + 1;
  }

  /** Starts writing every {@code periodMillis}. */
  void start(long periodMillis) {
    writer.scheduleAtFixedRate(this::writeSome, 0, periodMillis, TimeUnit.MILLISECONDS);
  }

  /** Stops writing and waits for the write under way. */
  void stop() throws InterruptedException {
    writer.shutdown();
    if (!writer.awaitTermination(60, TimeUnit.SECONDS)) {
      throw new AssertionError("the workload did not stop within 60 s");
    }
  }

  long committed() {
    return committed.get();
  }

  long failed() {
    return failed.get();
  }

  /** Every item by id, from a consistent Scan. */
  Map<String, Map<String, AttributeValue>> scan() {
    Map<String, Map<String, AttributeValue>> out = new TreeMap<>();
    dynamoDb
        .scanPaginator(b -> b.tableName(table).consistentRead(true))
        .items()
        .forEach(item -> out.put(item.get("id").s(), item));
    return out;
  }

  private void writeSome() {
    int writes = 1 + random.nextInt(3);
    for (int i = 0; i < writes; i++) {
      try {
        writeOne();
        committed.incrementAndGet();
      } catch (SdkException e) {
        failed.incrementAndGet(); // retries spent under an injected storm: the table decides
      }
    }
  }

  private void writeOne() {
    int roll = random.nextInt(100);
    if (roll < 20) {
      int n = next++;
      dynamoDb.putItem(b -> b.tableName(table).item(item(n)));
    } else if (roll < 30) {
      String id = id(1 + random.nextInt(next - 1));
      if (!isPoison(id)) {
        dynamoDb.deleteItem(b -> b.tableName(table).key(Map.of("id", AttributeValue.fromS(id))));
      }
    } else if (roll < 45) {
      int n = 1 + random.nextInt(next - 1);
      dynamoDb.putItem(b -> b.tableName(table).item(item(n)));
    } else {
      update(1 + random.nextInt(next - 1));
    }
  }

  private Map<String, AttributeValue> item(int n) {
    Map<String, AttributeValue> item = new HashMap<>();
    item.put("id", AttributeValue.fromS(id(n)));
    item.put("name", AttributeValue.fromS(name(n)));
    item.put("qty", AttributeValue.fromN(Integer.toString(random.nextInt(1000))));
    item.put("price", AttributeValue.fromN(random.nextInt(10_000) + "." + random.nextInt(100)));
    item.put("rev", AttributeValue.fromN("1"));
    if (random.nextInt(3) != 0) {
      item.put("note", AttributeValue.fromS("note " + random.nextInt(100_000)));
    }
    return item;
  }

  private String name(int n) {
    return isPoison(id(n))
        ? Workload.POISON_PREFIX + n + ":" + random.nextInt(1000)
        : "item " + n + " " + random.nextInt(1000);
  }

  /** An upsert: on a deleted item it creates one with only the updated attributes. */
  private void update(int n) {
    boolean removeNote = random.nextInt(4) == 0;
    Map<String, AttributeValue> values = new HashMap<>();
    values.put(":name", AttributeValue.fromS(name(n)));
    values.put(":qty", AttributeValue.fromN(Integer.toString(random.nextInt(1000))));
    values.put(":zero", AttributeValue.fromN("0"));
    values.put(":one", AttributeValue.fromN("1"));
    String expression = "SET #name = :name, #qty = :qty, #rev = if_not_exists(#rev, :zero) + :one";
    if (removeNote) {
      expression += " REMOVE #note";
    } else {
      values.put(":note", AttributeValue.fromS("note " + random.nextInt(100_000)));
      expression += ", #note = :note";
    }
    String update = expression;
    dynamoDb.updateItem(
        b ->
            b.tableName(table)
                .key(Map.of("id", AttributeValue.fromS(id(n))))
                .updateExpression(update)
                .expressionAttributeNames(
                    Map.of("#name", "name", "#qty", "qty", "#rev", "rev", "#note", "note"))
                .expressionAttributeValues(values));
  }

  @Override
  public void close() throws InterruptedException {
    if (!writer.isShutdown()) {
      stop();
    }
  }
}
