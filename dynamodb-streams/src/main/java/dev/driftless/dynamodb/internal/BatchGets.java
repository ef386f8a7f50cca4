package dev.driftless.dynamodb.internal;

import dev.driftless.core.OutagePolicy;
import dev.driftless.core.RetriableException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;

/**
 * Consistent {@code BatchGetItem} reads of many keys of one table: at most {@value #MAX_KEYS} keys
 * per request (DynamoDB's limit), {@code UnprocessedKeys} sent again after the outage policy's
 * backoff, throttling, server errors and connection failures retried the same way; an outage longer
 * than the policy's deadline fails with its {@code DriftlessException}. Counts the items and their
 * bytes (as {@link ItemSize} counts them) for cost reports. Thread-safe.
 */
public final class BatchGets {
  /** DynamoDB's most keys per BatchGetItem request. */
  public static final int MAX_KEYS = 100;

  private final DynamoDbClient dynamoDb;
  private final ReadCounters counters;

  public BatchGets(DynamoDbClient dynamoDb, ReadCounters counters) {
    this.dynamoDb = dynamoDb;
    this.counters = counters;
  }

  /**
   * The items found for {@code keys} (distinct keys of {@code table}), in no particular order; a
   * key without an item has no entry.
   *
   * @param projection the {@code ProjectionExpression} with its names, or null for whole items
   * @param policy the backoff for unprocessed keys and transient failures
   * @param stop whether the caller is going away (ends the retries)
   */
  public List<Map<String, AttributeValue>> get(
      String table,
      List<Map<String, AttributeValue>> keys,
      @Nullable Projection projection,
      OutagePolicy policy,
      BooleanSupplier stop)
      throws Exception {
    List<Map<String, AttributeValue>> found = new ArrayList<>(keys.size());
    for (int from = 0; from < keys.size(); from += MAX_KEYS) {
      List<Map<String, AttributeValue>> pending =
          new ArrayList<>(keys.subList(from, Math.min(keys.size(), from + MAX_KEYS)));
      policy.call(
          "DynamoDB read of table " + table,
          stop,
          () -> {
            requestOnce(table, pending, projection, found);
            if (!pending.isEmpty()) {
              throw new RetriableException(
                  pending.size() + " key(s) of table " + table + " came back unprocessed");
            }
            return Boolean.TRUE;
          });
    }
    return found;
  }

  /** One request for {@code pending}; leaves in it the keys that came back unprocessed. */
  private void requestOnce(
      String table,
      List<Map<String, AttributeValue>> pending,
      @Nullable Projection projection,
      List<Map<String, AttributeValue>> found)
      throws RetriableException {
    KeysAndAttributes.Builder ask = KeysAndAttributes.builder().keys(pending).consistentRead(true);
    if (projection != null) {
      ask.projectionExpression(projection.expression())
          .expressionAttributeNames(projection.names());
    }
    BatchGetItemResponse response;
    try {
      counters.request();
      response = dynamoDb.batchGetItem(b -> b.requestItems(Map.of(table, ask.build())));
    } catch (RuntimeException e) {
      if (AwsErrors.isTransient(e)) {
        throw new RetriableException("BatchGetItem on table " + table + " failed: " + e, e);
      }
      throw e;
    }
    for (Map<String, AttributeValue> item : response.responses().getOrDefault(table, List.of())) {
      counters.item(ItemSize.of(item));
      found.add(item);
    }
    KeysAndAttributes rest = response.unprocessedKeys().get(table);
    pending.clear();
    if (rest != null && rest.hasKeys()) {
      pending.addAll(rest.keys());
    }
  }
}
