package dev.driftless.dynamodb.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.Shard;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * Finds the shards of the followed tables, on the {@link StreamReader}'s coordinator thread: a full
 * listing of each stream every {@code discoveryInterval} (which also checks that the stream is
 * still the one checkpointed), and, as soon as a shard ends with no child known, lookups of its
 * children ({@code ShardFilter CHILD_SHARDS}) with backoff (50 ms doubling to 1 s, {@value
 * #CHILD_LOOKUPS} tries; after that the periodic listing finds them).
 *
 * <p>Requests are made without the reader's lock; what they return is applied to the tables under
 * it, so a listing never blocks the pipeline's poll. A failing request throws (the coordinator
 * backs off and tries again).
 */
final class ShardDiscovery {
  static final int CHILD_LOOKUPS = 10;

  private final ReaderSettings settings;
  private final DynamoDbClient dynamoDb;
  private final DynamoDbStreamsClient streams;
  private final ReentrantLock lock;
  private final SettleTracker tracker;

  /**
   * @param lock the reader's lock, guarding the tables' shard state and {@code tracker}
   * @param tracker told about shards that vanished from the listings
   */
  ShardDiscovery(
      ReaderSettings settings,
      DynamoDbClient dynamoDb,
      DynamoDbStreamsClient streams,
      ReentrantLock lock,
      SettleTracker tracker) {
    this.settings = settings;
    this.dynamoDb = dynamoDb;
    this.streams = streams;
    this.lock = lock;
    this.tracker = tracker;
  }

  /** Full listings when due, and child lookups of ended shards. Blocks; takes the lock briefly. */
  void discover(List<TableStream> tables) throws InterruptedException {
    for (TableStream table : tables) {
      long now = System.nanoTime();
      if (now >= table.nextDiscoveryNanos) {
        list(table);
      }
      if (!table.childLookups.isEmpty() && now >= table.nextChildLookupNanos) {
        lookUpChildren(table);
      }
    }
  }

  private void list(TableStream table) throws InterruptedException {
    table.checkStream(dynamoDb);
    List<Shard> listing = table.listShards(streams);
    lock.lockInterruptibly();
    try {
      for (String gone : table.apply(listing, true)) {
        tracker.forget(gone);
      }
      table.nextDiscoveryNanos = System.nanoTime() + settings.discoveryInterval().toNanos();
    } finally {
      lock.unlock();
    }
  }

  private void lookUpChildren(TableStream table) throws InterruptedException {
    Map<String, Integer> lookups;
    lock.lockInterruptibly();
    try {
      lookups = new LinkedHashMap<>(table.childLookups);
    } finally {
      lock.unlock();
    }
    for (Map.Entry<String, Integer> e : lookups.entrySet()) {
      List<Shard> children = table.listChildren(streams, e.getKey());
      lock.lockInterruptibly();
      try {
        table.apply(children, false);
        if (!children.isEmpty() || e.getValue() + 1 >= CHILD_LOOKUPS) {
          // None after all tries: the periodic full listing will find them.
          table.childLookups.remove(e.getKey());
        } else {
          table.childLookups.put(e.getKey(), e.getValue() + 1);
        }
      } finally {
        lock.unlock();
      }
    }
    int tries;
    lock.lockInterruptibly();
    try {
      tries = table.childLookups.values().stream().mapToInt(i -> i).max().orElse(1);
    } finally {
      lock.unlock();
    }
    table.nextChildLookupNanos =
        System.nanoTime()
            + Math.min(
                TimeUnit.SECONDS.toNanos(1),
                TimeUnit.MILLISECONDS.toNanos(50L << Math.min(tries, 5)));
  }
}
