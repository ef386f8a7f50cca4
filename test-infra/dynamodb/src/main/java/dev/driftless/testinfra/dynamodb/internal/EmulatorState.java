package dev.driftless.testinfra.dynamodb.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Everything the emulator holds. One lock (this object) guards tables, streams and shards: every
 * request runs whole under it, so each operation is atomic as on the real service. Time is the
 * configured clock plus an offset the tests advance.
 */
public final class EmulatorState {
  final Settings settings;
  final StreamModel streams;
  final Map<String, Table> tables = new LinkedHashMap<>();
  final Faults faults;
  final StreamBehaviour behaviour = new StreamBehaviour();
  private final RequestHooks hooks = new RequestHooks();
  private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
  private final AtomicLong consistentReads = new AtomicLong();
  private Duration offset = Duration.ZERO;
  private final TableOps tableOps;
  private final ItemOps itemOps;
  private final StreamsOps streamsOps;

  public EmulatorState(Settings settings) {
    this.settings = settings;
    this.faults = new Faults(settings.seed());
    this.streams = new StreamModel(settings, behaviour);
    this.tableOps = new TableOps(this);
    this.itemOps = new ItemOps(this);
    this.streamsOps = new StreamsOps(this);
  }

  public Settings settings() {
    return settings;
  }

  public Faults faults() {
    return faults;
  }

  public RequestHooks hooks() {
    return hooks;
  }

  public StreamBehaviour behaviour() {
    return behaviour;
  }

  public synchronized Instant now() {
    return settings.clock().instant().plus(offset);
  }

  public synchronized void advance(Duration d) {
    offset = offset.plus(d);
    housekeeping();
  }

  /** Counts one request of an operation. */
  void count(String operation) {
    requests.computeIfAbsent(operation, k -> new AtomicLong()).incrementAndGet();
  }

  public long requestCount(String operation) {
    AtomicLong n = requests.get(operation);
    return n == null ? 0 : n.get();
  }

  void countConsistentRead() {
    consistentReads.incrementAndGet();
  }

  public long consistentReads() {
    return consistentReads.get();
  }

  /** Runs one operation of either service under the lock. */
  synchronized ObjectNode handle(String service, String operation, JsonNode request) {
    housekeeping();
    if (service.equals("DynamoDBStreams_20120810")) {
      return streamsOps.handle(operation, request);
    }
    ObjectNode r = tableOps.handle(operation, request);
    return r != null ? r : itemOps.handle(operation, request);
  }

  /** Timer-driven work: due rollovers, then retention trimming. */
  private void housekeeping() {
    Instant now = now();
    streams.rollDue(tables.values(), now);
    streams.trim(now);
  }

  Table table(String name) {
    Table t = tables.get(name);
    if (t == null) {
      throw ApiError.notFound("Requested resource not found: Table: " + name + " not found");
    }
    return t;
  }

  // --- control API (called by DynamoDbEmulator) ---

  /** A table named by a test: unknown names are the test's mistake, not a service error. */
  private Table known(String name) {
    Table t = tables.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no table " + name + " (tables: " + tables.keySet() + ")");
    }
    return t;
  }

  public synchronized void rollover(String table, int partition) {
    streams.rollover(known(table), partition, now());
  }

  public synchronized void rolloverAll(String table) {
    Table t = known(table);
    Instant now = now();
    for (Table.Partition p : t.partitions) {
      streams.rollover(t, p.id(), now);
    }
  }

  public synchronized void split(String table, int partition) {
    streams.split(known(table), partition, now());
  }

  public synchronized void splitAll(String table) {
    Table t = known(table);
    Instant now = now();
    for (int id : t.partitions.stream().mapToInt(Table.Partition::id).toArray()) {
      streams.split(t, id, now);
    }
  }

  public synchronized int[] partitionIds(String table) {
    return known(table).partitions.stream().mapToInt(Table.Partition::id).toArray();
  }

  public synchronized int partitionOf(String table, JsonNode hashKeyValue) {
    Table t = known(table);
    return t.partitionOf(Attributes.hash(Attributes.normalise(hashKeyValue, "key"))).id();
  }

  public synchronized void trimNow() {
    streams.trim(now());
  }

  public synchronized void trimAllBefore(Instant horizon) {
    streams.trimBefore(horizon);
  }

  /** Deletes every item whose TTL attribute (epoch seconds) lies before now; returns how many. */
  public synchronized int expireTtl() {
    return itemOps.expireTtl();
  }

  public synchronized @Nullable String latestStreamArn(String table) {
    Stream s = known(table).latestStream;
    return s == null ? null : s.arn;
  }

  /** Visits the shards of every stream of a table (oldest stream first) under the lock. */
  public synchronized void visitShards(String table, ShardVisitor visitor) {
    Instant window = now().minus(behaviour.readerWindow);
    for (Stream s : streams.streams) {
      if (!s.tableName.equals(table)) {
        continue;
      }
      for (Shard sh : s.shards) {
        long readers = sh.readers.values().stream().filter(i -> !i.isBefore(window)).count();
        visitor.visit(
            s.arn,
            sh.id,
            sh.parentId,
            sh.partition,
            sh.start.toString(),
            sh.end == null ? null : sh.end.toString(),
            sh.size(),
            sh.firstUntrimmed,
            sh.removed,
            sh.getRecordsCalls,
            (int) readers);
      }
    }
  }

  /** Receives one shard's state; see {@link #visitShards}. */
  public interface ShardVisitor {
    void visit(
        String streamArn,
        String shardId,
        @Nullable String parentShardId,
        int partition,
        String startingSequenceNumber,
        @Nullable String endingSequenceNumber,
        int records,
        int trimmed,
        boolean removed,
        long getRecordsCalls,
        int activeReaders);
  }

  /** Hides the next children of a partition's open shard from listings (fault injection). */
  public synchronized void hideShard(String table, String shardId, int describeCalls) {
    shard(table, shardId).hiddenForDescribeCalls = describeCalls;
  }

  public synchronized void listShardOpen(String table, String shardId, int describeCalls) {
    shard(table, shardId).listedOpenForDescribeCalls = describeCalls;
  }

  private Shard shard(String table, String shardId) {
    for (Stream s : streams.streams) {
      if (s.tableName.equals(table) && s.byId.containsKey(shardId)) {
        Shard sh = s.byId.get(shardId);
        if (sh != null) {
          return sh;
        }
      }
    }
    throw new IllegalArgumentException("no shard " + shardId + " in table " + table);
  }

  public synchronized void multiItemOrder(String order) {
    streams.multiItemOrder = order;
  }
}
