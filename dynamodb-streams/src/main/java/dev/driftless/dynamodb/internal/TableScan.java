package dev.driftless.dynamodb.internal;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.RetriableException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;

/**
 * One parallel {@code Scan} of a table ({@code Segment}/{@code TotalSegments}, one thread per
 * segment, threads of its own that end with the scan), projecting only the key and the
 * fingerprinted attributes, handing each item's key id, key hash and row fingerprint to a visitor
 * per segment (each visitor is called from its segment's thread only). An item whose key or
 * fingerprint cannot be computed is skipped and counted (the stream dead-letters such an item, so
 * the index does not hold it either). A transient failure (throttling beyond the SDK's retries, a
 * server error, a dropped connection) is thrown as {@link RetriableException}; the whole scan is
 * then to be asked again. Thread-safe.
 */
public final class TableScan {
  private static final Logger LOG = LoggerFactory.getLogger(TableScan.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  /** Receives one segment's items. */
  public interface Visitor {
    void item(String id, long keyHash, long rowFingerprint);
  }

  private final DynamoDbClient dynamoDb;
  private final ReadCounters counters;
  private final int segments;
  private final boolean consistent;
  private final @Nullable Integer pageLimit;

  /**
   * @param segments parallel segments (and threads)
   * @param consistent whether to scan with {@code ConsistentRead}
   * @param pageLimit the {@code Limit} of each page, or null for DynamoDB's 1 MB pages
   */
  public TableScan(
      DynamoDbClient dynamoDb,
      ReadCounters counters,
      int segments,
      boolean consistent,
      @Nullable Integer pageLimit) {
    this.dynamoDb = dynamoDb;
    this.counters = counters;
    this.segments = segments;
    this.consistent = consistent;
    this.pageLimit = pageLimit;
  }

  /** Scans {@code table}; returns the segments' visitors, made by {@code perSegment}. */
  public <V extends Visitor> List<V> run(
      TableKeys table, ItemFingerprint fingerprint, IntFunction<V> perSegment) throws Exception {
    List<V> visitors = new ArrayList<>(segments);
    for (int s = 0; s < segments; s++) {
      visitors.add(perSegment.apply(s));
    }
    @Nullable Projection projection =
        fingerprint.projection(table.attributes()).map(Projection::of).orElse(null);
    counters.scan();
    if (segments == 1) {
      segment(table, fingerprint, projection, 0, visitors.get(0));
      return visitors;
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            segments,
            r -> {
              Thread t = new Thread(r, "driftless-dynamodb-scan-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<?>> running = new ArrayList<>(segments);
      for (int s = 0; s < segments; s++) {
        int segment = s;
        V visitor = visitors.get(s);
        running.add(
            pool.submit(
                () -> {
                  segment(table, fingerprint, projection, segment, visitor);
                  return null;
                }));
      }
      for (Future<?> f : running) {
        try {
          f.get();
        } catch (ExecutionException e) {
          for (Future<?> other : running) {
            other.cancel(true);
          }
          Throwable cause = e.getCause() == null ? e : e.getCause();
          if (cause instanceof Exception ex) {
            throw ex;
          }
          throw e;
        }
      }
      return visitors;
    } finally {
      pool.shutdownNow();
    }
  }

  private void segment(
      TableKeys table,
      ItemFingerprint fingerprint,
      @Nullable Projection projection,
      int segment,
      Visitor visitor)
      throws RetriableException {
    Map<String, AttributeValue> start = null;
    do {
      ScanRequest.Builder ask =
          ScanRequest.builder().tableName(table.table()).consistentRead(consistent);
      if (segments > 1) {
        ask.segment(segment).totalSegments(segments);
      }
      if (projection != null) {
        ask.projectionExpression(projection.expression())
            .expressionAttributeNames(projection.names());
      }
      if (pageLimit != null) {
        ask.limit(pageLimit);
      }
      if (start != null) {
        ask.exclusiveStartKey(start);
      }
      ScanResponse page;
      try {
        counters.request();
        page = dynamoDb.scan(ask.build());
      } catch (RuntimeException e) {
        if (AwsErrors.isTransient(e)) {
          throw new RetriableException("Scan of table " + table.table() + " failed: " + e, e);
        }
        throw e;
      }
      for (Map<String, AttributeValue> item : page.items()) {
        counters.item(ItemSize.of(item));
        String id;
        long rowFingerprint;
        try {
          DocumentKey key =
              AttributeValues.key(table.table(), table.partitionKey(), table.sortKey(), item);
          id = key.id();
          rowFingerprint = fingerprint.of(item);
        } catch (IllegalArgumentException unreadable) {
          counters.skip();
          LOG.debug("item of {} skipped: {}", table.table(), unreadable.getMessage());
          continue;
        }
        visitor.item(id, Fingerprints.keyHash(id), rowFingerprint);
      }
      start =
          page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty()
              ? page.lastEvaluatedKey()
              : null;
    } while (start != null);
  }
}
