package dev.driftless.examples;

import dev.driftless.testinfra.dynamodb.EmulatorClients;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * The DynamoDB demo's table of products, written through the real SDK client: creation with a
 * {@code NEW_AND_OLD_IMAGES} stream, seeding, a live workload of puts, updates and deletes, and a
 * full scan for the final comparison. Every write increases the item's numeric {@code version}
 * attribute (what an application using optimistic locking keeps), which the pipeline uses as the
 * document's version. Not thread-safe: one writer at a time.
 */
public final class DynamoDbShop {
  /** The index mapping: {@code price} is a number, so a product priced with a word is poison. */
  public static final String PRODUCTS_MAPPING =
      "{\"properties\": {\"name\": {\"type\": \"text\"}, \"price\": {\"type\": \"double\"},"
          + " \"stock\": {\"type\": \"integer\"}, \"category\": {\"type\": \"keyword\"}}}";

  private static final String[] CATEGORIES = {"tools", "garden", "kitchen", "toys", "books"};

  private final DynamoDbClient dynamoDb;
  private final String table;
  private final Random random = new Random(42);

  /** Each id's last version: the application's optimistic lock, counted on across deletes. */
  private final Map<String, Long> versions = new HashMap<>();

  private int nextProduct;

  public DynamoDbShop(DynamoDbClient dynamoDb, String table) {
    this.dynamoDb = dynamoDb;
    this.table = table;
  }

  public String table() {
    return table;
  }

  /** Creates the table, keyed by string attribute {@code id}, with a NEW_AND_OLD_IMAGES stream. */
  public void createTable() {
    EmulatorClients.createTable(dynamoDb, table, StreamViewType.NEW_AND_OLD_IMAGES);
  }

  /** Writes {@code count} new products, 25 to a BatchWriteItem. */
  public void seed(int count) {
    List<WriteRequest> batch = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      batch.add(
          WriteRequest.builder()
              .putRequest(PutRequest.builder().item(newProduct()).build())
              .build());
      if (batch.size() == 25 || i == count - 1) {
        List<WriteRequest> requests = List.copyOf(batch);
        var unprocessed = dynamoDb.batchWriteItem(b -> b.requestItems(Map.of(table, requests)));
        if (!unprocessed.unprocessedItems().isEmpty()) {
          throw new IllegalStateException("unprocessed items: " + unprocessed.unprocessedItems());
        }
        batch.clear();
      }
    }
  }

  /**
   * Writes for {@code duration} at about {@code perSecond} statements a second: 60% price and stock
   * updates of existing products, 30% new products, 10% deletes. Calls {@code onSecond} with the
   * seconds elapsed once a second (the demo splits and rolls shards over from there).
   *
   * @return the statements written
   */
  public long runWorkload(
      Duration duration, int perSecond, java.util.function.IntConsumer onSecond) {
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    long pause = 1_000_000_000L / perSecond;
    long next = start;
    long written = 0;
    int lastSecond = 0;
    while (System.nanoTime() < end) {
      int roll = random.nextInt(10);
      if (roll < 6 && nextProduct > 0) {
        String id = idOf(random.nextInt(nextProduct));
        Map<String, AttributeValue> item = product(id);
        dynamoDb.putItem(b -> b.tableName(table).item(item));
      } else if (roll < 9 || nextProduct == 0) {
        Map<String, AttributeValue> item = newProduct();
        dynamoDb.putItem(b -> b.tableName(table).item(item));
      } else {
        String id = idOf(random.nextInt(nextProduct));
        versions.merge(id, 1L, Long::sum); // a re-created item goes on counting after the delete
        dynamoDb.deleteItem(b -> b.tableName(table).key(Map.of("id", AttributeValue.fromS(id))));
      }
      written++;
      int second = (int) ((System.nanoTime() - start) / 1_000_000_000L);
      if (second > lastSecond) {
        lastSecond = second;
        onSecond.accept(second);
      }
      next += pause;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
    }
    return written;
  }

  /** Puts {@code id} with a price that is not a number (the index mapping rejects it). */
  public void putPoison(String id) {
    Map<String, AttributeValue> item = new HashMap<>(product(id));
    item.put("price", AttributeValue.fromS("ask in store"));
    dynamoDb.putItem(b -> b.tableName(table).item(item));
  }

  /** Puts {@code id} with a fresh, valid content. */
  public void putValid(String id) {
    Map<String, AttributeValue> item = product(id);
    dynamoDb.putItem(b -> b.tableName(table).item(item));
  }

  /** The id of the {@code n}-th product ever created. */
  public static String idOf(int n) {
    return String.format("p%06d", n);
  }

  /** Every item of the table, by id, read with a paginated consistent scan. */
  public Map<String, Map<String, AttributeValue>> scanAll() {
    Map<String, Map<String, AttributeValue>> items = new HashMap<>();
    @Nullable Map<String, AttributeValue> start = null;
    do {
      @Nullable Map<String, AttributeValue> from = start;
      ScanResponse page =
          dynamoDb.scan(
              b -> {
                b.tableName(table).consistentRead(true);
                if (from != null) {
                  b.exclusiveStartKey(from);
                }
              });
      for (Map<String, AttributeValue> item : page.items()) {
        AttributeValue id = item.get("id");
        if (id == null) {
          throw new IllegalStateException("an item without its key: " + item);
        }
        items.put(id.s(), item);
      }
      start =
          page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty()
              ? page.lastEvaluatedKey()
              : null;
    } while (start != null);
    return items;
  }

  private Map<String, AttributeValue> newProduct() {
    return product(idOf(nextProduct++));
  }

  private Map<String, AttributeValue> product(String id) {
    BigDecimal price = BigDecimal.valueOf(100 + random.nextInt(100_000), 2);
    long version = versions.merge(id, 1L, Long::sum);
    return Map.of(
        "id", AttributeValue.fromS(id),
        "version", AttributeValue.fromN(Long.toString(version)),
        "name", AttributeValue.fromS("product " + id),
        "price", AttributeValue.fromN(price.toPlainString()),
        "stock", AttributeValue.fromN(Integer.toString(random.nextInt(500))),
        "category", AttributeValue.fromS(CATEGORIES[random.nextInt(CATEGORIES.length)]));
  }
}
