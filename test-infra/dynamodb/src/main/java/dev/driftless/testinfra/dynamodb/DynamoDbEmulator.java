package dev.driftless.testinfra.dynamodb;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftless.testinfra.dynamodb.internal.EmulatorState;
import dev.driftless.testinfra.dynamodb.internal.Faults;
import dev.driftless.testinfra.dynamodb.internal.Settings;
import dev.driftless.testinfra.dynamodb.internal.WireServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An in-process DynamoDB + DynamoDB Streams emulator on an ephemeral local port. Both SDK clients
 * ({@code DynamoDbClient} and {@code DynamoDbStreamsClient}) talk to the same {@link #endpoint()}.
 * The methods besides start/endpoint/close are the test control API: the emulated clock, shard
 * rollover and splits, retention trimming, TTL expiry, faults, and read-only views of the shards.
 *
 * <p>Thread-safe: every request and every control call runs atomically under one lock.
 */
public final class DynamoDbEmulator implements AutoCloseable {
  private final EmulatorState state;
  private @Nullable WireServer server;

  private DynamoDbEmulator(EmulatorState state) {
    this.state = state;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** An emulator with the defaults, started. */
  public static DynamoDbEmulator startDefault() {
    return builder().build().start();
  }

  /** Binds the server to an ephemeral port on the loopback address. */
  public synchronized DynamoDbEmulator start() {
    if (server != null) {
      throw new IllegalStateException("the emulator is already started");
    }
    try {
      server = new WireServer(state);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind the emulator", e);
    }
    return this;
  }

  /** The URI to pass to the SDK clients' {@code endpointOverride}. */
  public synchronized URI endpoint() {
    WireServer s = server;
    if (s == null) {
      throw new IllegalStateException("the emulator is not started");
    }
    return URI.create("http://127.0.0.1:" + s.port());
  }

  public String region() {
    return state.settings().region();
  }

  @Override
  public synchronized void close() {
    WireServer s = server;
    server = null;
    if (s != null) {
      s.close();
    }
  }

  // --- time ---

  /** The emulated now: the configured clock plus every {@link #advanceClock} so far. */
  public Instant now() {
    return state.now();
  }

  /** Moves emulated time forward (iterator expiry, retention, timed rollover all follow it). */
  public void advanceClock(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("time only moves forward: " + d);
    }
    state.advance(d);
  }

  // --- shards ---

  /** Closes every open shard of the table's stream, giving each one child. */
  public void rollover(String table) {
    state.rolloverAll(table);
  }

  /** Closes one partition's open shard and gives it one child. */
  public void rollover(String table, int partition) {
    state.rollover(table, partition);
  }

  /** Splits a partition in two: its shard closes with two children and its keys move to them. */
  public void split(String table, int partition) {
    state.split(table, partition);
  }

  /** Splits every current partition of the table (the shard count of its stream doubles). */
  public void splitAll(String table) {
    state.splitAll(table);
  }

  /** The ids of the table's current partitions, in hash order. */
  public List<Integer> partitions(String table) {
    List<Integer> out = new ArrayList<>();
    for (int id : state.partitionIds(table)) {
      out.add(id);
    }
    return out;
  }

  /** The partition a partition-key value (String, Number or byte[]) belongs to. */
  public int partitionOf(String table, Object hashKey) {
    ObjectNode av = JsonNodeFactory.instance.objectNode();
    if (hashKey instanceof String s) {
      av.put("S", s);
    } else if (hashKey instanceof Number n) {
      av.put("N", new BigDecimal(n.toString()).toPlainString());
    } else if (hashKey instanceof byte[] b) {
      av.put("B", Base64.getEncoder().encodeToString(b));
    } else {
      throw new IllegalArgumentException("a key is a String, a Number or a byte[]: " + hashKey);
    }
    return state.partitionOf(table, av);
  }

  /** Every shard of every stream the table has had (oldest stream first, creation order). */
  public List<ShardInfo> shards(String table) {
    List<ShardInfo> out = new ArrayList<>();
    state.visitShards(
        table,
        (arn, id, parent, partition, start, end, records, trimmed, removed, calls, readers) ->
            out.add(
                new ShardInfo(
                    arn, id, parent, partition, start, end, records, trimmed, !removed, calls,
                    readers)));
    return out;
  }

  /** The table's latest stream ARN (also after the stream was disabled), or null. */
  public @Nullable String latestStreamArn(String table) {
    return state.latestStreamArn(table);
  }

  /** Applies retention now (it also runs before every request). */
  public void trimNow() {
    state.trimNow();
  }

  /** Trims every record written before the horizon, whatever the retention. */
  public void trimAllBefore(Instant horizon) {
    state.trimAllBefore(horizon);
  }

  /**
   * Deletes (as the TTL service) every item whose TTL attribute is before now; returns the count.
   */
  public int expireTtl() {
    return state.expireTtl();
  }

  // --- counts ---

  /** Requests received for an operation ({@code "GetRecords"}, ...), faulted ones included. */
  public long requestCount(String operation) {
    return state.requestCount(operation);
  }

  /** GetItem/BatchGetItem/Scan/Query requests that asked for ConsistentRead. */
  public long consistentReads() {
    return state.consistentReads();
  }

  // --- faults and behaviour switches ---

  public void inject(Fault fault) {
    state
        .faults()
        .add(
            new Faults.Rule(
                fault.operation,
                fault.shardId,
                Faults.Kind.valueOf(fault.kind.name()),
                fault.delay,
                fault.probability,
                fault.skip,
                fault.times));
  }

  /**
   * Runs {@code action} whenever a request of {@code operation} ({@code "Scan"}, ...) arrives,
   * before it is answered, on the serving thread and outside the emulator's lock: the action may
   * write through the SDK (another serving thread answers), so a test can place writes exactly
   * between two pages of a scan. Replaces an earlier action of that operation.
   */
  public void beforeEach(String operation, Runnable action) {
    state.hooks().set(operation, action);
  }

  /** Removes every {@link #beforeEach} action. */
  public void clearBeforeEach() {
    state.hooks().clear();
  }

  public void clearFaults() {
    state.faults().clear();
  }

  /** Calls that injected faults have hit so far. */
  public int faultHits() {
    return state.faults().hits();
  }

  /** Empty GetRecords pages served on each iterator chain before each page with data. */
  public void sparseEmptyPages(int pages) {
    requireNonNegative(pages, "pages");
    state.behaviour().sparseEmptyPages = pages;
  }

  /** At the end of a closed shard, serve one more empty page before omitting NextShardIterator. */
  public void extraEmptyPageAtShardEnd(boolean on) {
    state.behaviour().extraEmptyPageAtShardEnd = on;
  }

  /** Records become readable only this long (emulated time) after the write. */
  public void propagationDelay(Duration d) {
    state.behaviour().propagationDelay = Objects.requireNonNull(d, "d");
  }

  /** More than this many active readers of one shard get LimitExceededException (0: no limit). */
  public void maxReadersPerShard(int readers) {
    requireNonNegative(readers, "readers");
    state.behaviour().maxReadersPerShard = readers;
  }

  /** How long an iterator chain counts as an active reader after its last call. */
  public void readerWindow(Duration d) {
    state.behaviour().readerWindow = Objects.requireNonNull(d, "d");
  }

  /** Send a correct {@code x-amz-crc32} header on every response. */
  public void crc32(boolean on) {
    state.behaviour().crc32 = on;
  }

  /** New child shards stay unlisted for this many DescribeStream calls. */
  public void childListedLate(int describeCalls) {
    requireNonNegative(describeCalls, "describeCalls");
    state.behaviour().childListedLateCalls = describeCalls;
  }

  /** Shards closed by rollover or split are listed open for this many DescribeStream calls. */
  public void parentListedOpen(int describeCalls) {
    requireNonNegative(describeCalls, "describeCalls");
    state.behaviour().parentListedOpenCalls = describeCalls;
  }

  /**
   * DescribeStream lists shards in a fixed pseudo-random order (children may come before their
   * parents) instead of creation order; paging with ExclusiveStartShardId follows that order.
   */
  public void shuffledListing(boolean on) {
    state.behaviour().shuffledListing = on;
  }

  /** The stream order of the records of one BatchWriteItem/TransactWriteItems/TTL sweep. */
  public void multiItemOrder(MultiItemOrder order) {
    state.multiItemOrder(order.name());
  }

  /** Record order across the items of one multi-item write. */
  public enum MultiItemOrder {
    REQUEST,
    REVERSED,
    SHUFFLED
  }

  private static void requireNonNegative(int v, String name) {
    if (v < 0) {
      throw new IllegalArgumentException(name + " must be >= 0: " + v);
    }
  }

  /** Configuration; every setter checks its argument, {@link #build()} the combination. */
  public static final class Builder {
    private String region = "us-east-1";
    private String accountId = "000000000000";
    private int partitions = 4;
    private Clock clock = Clock.systemUTC();
    private Duration retention = Duration.ofHours(24);
    private @Nullable Duration rolloverInterval = Duration.ofHours(4);
    private Duration iteratorLifetime = Duration.ofMinutes(15);
    private long seed = 1;
    private int httpThreads = 16;
    private boolean crc32;

    private Builder() {}

    public Builder region(String region) {
      this.region = Objects.requireNonNull(region, "region");
      return this;
    }

    public Builder accountId(String accountId) {
      if (!accountId.matches("[0-9]{12}")) {
        throw new IllegalArgumentException("accountId must be 12 digits: " + accountId);
      }
      this.accountId = accountId;
      return this;
    }

    /** Partitions (each with one open shard) of every new table; default 4. */
    public Builder partitions(int partitions) {
      if (partitions < 1 || partitions > 1024) {
        throw new IllegalArgumentException("partitions must be in 1..1024: " + partitions);
      }
      this.partitions = partitions;
      return this;
    }

    /** The base clock; {@link DynamoDbEmulator#advanceClock} adds to it. Default: system UTC. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Stream record retention; default 24 hours. */
    public Builder retention(Duration retention) {
      if (retention.isNegative() || retention.isZero()) {
        throw new IllegalArgumentException("retention must be positive: " + retention);
      }
      this.retention = retention;
      return this;
    }

    /** Open shards older than this roll over; default 4 hours. */
    public Builder rolloverInterval(Duration interval) {
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("rolloverInterval must be positive: " + interval);
      }
      this.rolloverInterval = interval;
      return this;
    }

    /** No timed rollover; shards then only roll over or split on demand. */
    public Builder noTimedRollover() {
      this.rolloverInterval = null;
      return this;
    }

    /** Shard iterators expire this long after they are issued; default 15 minutes. */
    public Builder iteratorLifetime(Duration lifetime) {
      if (lifetime.isNegative() || lifetime.isZero()) {
        throw new IllegalArgumentException("iteratorLifetime must be positive: " + lifetime);
      }
      this.iteratorLifetime = lifetime;
      return this;
    }

    /** Seed for shard ids, event ids, sequence-number gaps and shuffles; default 1. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Request-serving threads; default 16. */
    public Builder httpThreads(int threads) {
      if (threads < 1 || threads > 256) {
        throw new IllegalArgumentException("httpThreads must be in 1..256: " + threads);
      }
      this.httpThreads = threads;
      return this;
    }

    /** Send {@code x-amz-crc32} from the start; default off. */
    public Builder crc32(boolean on) {
      this.crc32 = on;
      return this;
    }

    public DynamoDbEmulator build() {
      Duration roll = rolloverInterval;
      if (roll != null && roll.compareTo(retention) >= 0) {
        throw new IllegalStateException(
            "rolloverInterval (" + roll + ") must be shorter than retention (" + retention + ")");
      }
      EmulatorState state =
          new EmulatorState(
              new Settings(
                  region,
                  accountId,
                  partitions,
                  clock,
                  retention,
                  roll,
                  iteratorLifetime,
                  seed,
                  httpThreads));
      state.behaviour().crc32 = crc32;
      return new DynamoDbEmulator(state);
    }
  }
}
