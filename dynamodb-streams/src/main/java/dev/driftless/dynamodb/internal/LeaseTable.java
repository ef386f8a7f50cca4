package dev.driftless.dynamodb.internal;

import dev.driftless.core.ConfigurationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

/**
 * The leases of one scope (for the stream source: one pipeline) in a DynamoDB table that several
 * scopes may share: partition key {@value #SCOPE} (S), sort key {@value #KEY} (S). Every write but
 * the first is conditional on the lease's counter (and, for the owner's writes, on the owner), so a
 * worker whose lease was taken can never write it again. Generic over lease keys: shards, scan
 * segments, anything.
 *
 * <p>Methods block on the DynamoDB client and are thread-safe; a write whose condition fails
 * answers {@code null} or {@code false}, any other failure throws the SDK's exception.
 */
public final class LeaseTable {
  static final String SCOPE = "scope";
  static final String KEY = "leaseKey";
  static final String OWNER = "leaseOwner";
  static final String COUNTER = "leaseCounter";
  static final String CHECKPOINT = "checkpoint";
  static final String PARENTS = "parentKeys";
  static final String STATE = "leaseState";

  private final DynamoDbClient dynamoDb;
  private final String table;
  private final String scope;

  public LeaseTable(DynamoDbClient dynamoDb, String table, String scope) {
    this.dynamoDb = dynamoDb;
    this.table = table;
    this.scope = scope;
  }

  public String table() {
    return table;
  }

  public String scope() {
    return scope;
  }

  /**
   * Creates the table if it is missing (on-demand capacity) and waits until it is active.
   *
   * @throws ConfigurationException if a table of that name exists with another key schema
   */
  public void ensureExists(Duration timeout) throws InterruptedException {
    TableDescription description = describe();
    if (description == null) {
      try {
        dynamoDb.createTable(
            b ->
                b.tableName(table)
                    .keySchema(key(SCOPE, KeyType.HASH), key(KEY, KeyType.RANGE))
                    .attributeDefinitions(string(SCOPE), string(KEY))
                    .billingMode(BillingMode.PAY_PER_REQUEST));
      } catch (ResourceInUseException e) {
        // Another instance created it meanwhile.
      }
      description = describe();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (description == null || description.tableStatus() != TableStatus.ACTIVE) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("lease table " + table + " is not active after " + timeout);
      }
      TimeUnit.MILLISECONDS.sleep(200);
      description = describe();
    }
    List<KeySchemaElement> schema = description.keySchema();
    if (!schema.contains(key(SCOPE, KeyType.HASH)) || !schema.contains(key(KEY, KeyType.RANGE))) {
      throw new ConfigurationException(
          "leases.table: table "
              + table
              + " exists but is not a lease table (partition key "
              + SCOPE
              + ", sort key "
              + KEY
              + "); its key schema is "
              + schema);
    }
  }

  private @Nullable TableDescription describe() {
    try {
      return dynamoDb.describeTable(b -> b.tableName(table)).table();
    } catch (ResourceNotFoundException e) {
      return null;
    }
  }

  /** Every lease of the scope (a consistent Query, all pages). */
  public List<Lease> list() {
    List<Lease> leases = new ArrayList<>();
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> from = start;
      QueryResponse page =
          dynamoDb.query(
              b ->
                  b.tableName(table)
                      .consistentRead(true)
                      .keyConditionExpression("#s = :s")
                      .expressionAttributeNames(Map.of("#s", SCOPE))
                      .expressionAttributeValues(Map.of(":s", AttributeValue.fromS(scope)))
                      .exclusiveStartKey(from));
      for (Map<String, AttributeValue> item : page.items()) {
        leases.add(lease(item));
      }
      start = page.hasLastEvaluatedKey() ? page.lastEvaluatedKey() : null;
    } while (start != null && !start.isEmpty());
    return leases;
  }

  /** Creates {@code lease} unless its key exists; whether it was created. */
  public boolean create(Lease lease) {
    Map<String, AttributeValue> item = new HashMap<>();
    item.put(SCOPE, AttributeValue.fromS(scope));
    item.put(KEY, AttributeValue.fromS(lease.key()));
    item.put(COUNTER, AttributeValue.fromN(Long.toString(lease.counter())));
    item.put(CHECKPOINT, AttributeValue.fromS(lease.checkpoint()));
    if (lease.owner() != null) {
      item.put(OWNER, AttributeValue.fromS(lease.owner()));
    }
    if (!lease.parents().isEmpty()) {
      item.put(PARENTS, AttributeValue.fromSs(List.copyOf(lease.parents())));
    }
    if (lease.state() != null) {
      item.put(STATE, AttributeValue.fromS(lease.state()));
    }
    try {
      dynamoDb.putItem(
          b ->
              b.tableName(table)
                  .item(item)
                  .conditionExpression("attribute_not_exists(#k)")
                  .expressionAttributeNames(Map.of("#k", KEY)));
      return true;
    } catch (ConditionalCheckFailedException e) {
      return false;
    }
  }

  /** Takes {@code lease} (as last seen) for {@code owner}; the new lease, or null if it moved. */
  public @Nullable Lease take(Lease lease, String owner) {
    return update(
        lease,
        "SET #o = :o, #c = :next",
        "#c = :c",
        Map.of(":o", AttributeValue.fromS(owner)),
        false);
  }

  /** The owner renews {@code lease}; the new lease, or null if it was lost. */
  public @Nullable Lease renew(Lease lease) {
    return update(lease, "SET #c = :next", "#o = :me AND #c = :c", Map.of(), true);
  }

  /**
   * The owner writes progress into {@code lease}; the new lease, or null if it was lost.
   *
   * @param state the new state, or {@code null} to keep the stored one
   */
  public @Nullable Lease checkpoint(Lease lease, String checkpoint, @Nullable String state) {
    Map<String, AttributeValue> values = new HashMap<>();
    values.put(":cp", AttributeValue.fromS(checkpoint));
    String set = "SET #c = :next, #cp = :cp";
    if (state != null) {
      values.put(":st", AttributeValue.fromS(state));
      set += ", #st = :st";
    }
    return update(lease, set, "#o = :me AND #c = :c", values, true);
  }

  /** The owner gives {@code lease} up (others may take it at once); whether it still held it. */
  public boolean release(Lease lease) {
    return update(lease, "SET #c = :next REMOVE #o", "#o = :me AND #c = :c", Map.of(), true)
        != null;
  }

  /** Deletes {@code lease} unless it moved since it was read; whether it was deleted. */
  public boolean delete(Lease lease) {
    try {
      dynamoDb.deleteItem(
          b ->
              b.tableName(table)
                  .key(keyOf(lease.key()))
                  .conditionExpression("#c = :c")
                  .expressionAttributeNames(Map.of("#c", COUNTER))
                  .expressionAttributeValues(
                      Map.of(":c", AttributeValue.fromN(Long.toString(lease.counter())))));
      return true;
    } catch (ConditionalCheckFailedException e) {
      return false;
    }
  }

  private @Nullable Lease update(
      Lease lease,
      String update,
      String condition,
      Map<String, AttributeValue> extra,
      boolean asOwner) {
    Map<String, String> names = new HashMap<>();
    names.put("#c", COUNTER);
    Map<String, AttributeValue> values = new HashMap<>(extra);
    values.put(":c", AttributeValue.fromN(Long.toString(lease.counter())));
    values.put(":next", AttributeValue.fromN(Long.toString(lease.counter() + 1)));
    if (asOwner || update.contains("#o")) {
      names.put("#o", OWNER);
    }
    if (asOwner) {
      String owner = lease.owner();
      if (owner == null) {
        return null;
      }
      values.put(":me", AttributeValue.fromS(owner));
    }
    if (update.contains("#cp")) {
      names.put("#cp", CHECKPOINT);
    }
    if (update.contains("#st")) {
      names.put("#st", STATE);
    }
    try {
      UpdateItemResponse response =
          dynamoDb.updateItem(
              b ->
                  b.tableName(table)
                      .key(keyOf(lease.key()))
                      .updateExpression(update)
                      .conditionExpression("attribute_exists(#k) AND " + condition)
                      .expressionAttributeNames(withKey(names))
                      .expressionAttributeValues(values)
                      .returnValues(ReturnValue.ALL_NEW));
      return lease(response.attributes());
    } catch (ConditionalCheckFailedException e) {
      return null;
    }
  }

  private static Map<String, String> withKey(Map<String, String> names) {
    Map<String, String> all = new HashMap<>(names);
    all.put("#k", KEY);
    return all;
  }

  private Map<String, AttributeValue> keyOf(String key) {
    return Map.of(SCOPE, AttributeValue.fromS(scope), KEY, AttributeValue.fromS(key));
  }

  /** A lease read back from its item. */
  static Lease lease(Map<String, AttributeValue> item) {
    AttributeValue owner = item.get(OWNER);
    AttributeValue parents = item.get(PARENTS);
    AttributeValue state = item.get(STATE);
    AttributeValue checkpoint = item.get(CHECKPOINT);
    AttributeValue key = java.util.Objects.requireNonNull(item.get(KEY), "a lease item's key");
    AttributeValue counter = item.get(COUNTER);
    return new Lease(
        key.s(),
        owner == null ? null : owner.s(),
        counter == null ? 0 : Long.parseLong(counter.n()),
        checkpoint == null ? Lease.START : checkpoint.s(),
        parents == null ? java.util.Set.of() : java.util.Set.copyOf(parents.ss()),
        state == null ? null : state.s());
  }

  private static KeySchemaElement key(String name, KeyType type) {
    return KeySchemaElement.builder().attributeName(name).keyType(type).build();
  }

  private static AttributeDefinition string(String name) {
    return AttributeDefinition.builder()
        .attributeName(name)
        .attributeType(ScalarAttributeType.S)
        .build();
  }
}
