package dev.driftless.dynamodb.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.dynamodb.StreamDataLostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * Reads the followed tables' streams: a coordinator thread lists shards ({@link ShardDiscovery})
 * and schedules fetches of readable shards on a fixed pool of reader threads (so a thousand shards
 * never mean a thousand threads); fetched records wait in per-shard buffers, bounded in total,
 * until {@link #poll} hands them out; {@link #commit} turns the pipeline's commits into per-shard
 * checkpoints and lets children of finished shards start.
 */
public final class StreamReader implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamReader.class);

  private final ReaderSettings settings;
  private final SourceContext context;
  private final List<TableStream> tables = new ArrayList<>();
  private final ShardFetcher fetcher;
  private final ShardDiscovery discovery;
  private final OutageReport outages;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  /** Guarded by {@link #lock}. */
  private final SettleTracker tracker = new SettleTracker();

  /** Guarded by {@link #lock}. */
  private int buffered;

  /** Records fetched and not yet converted (waiting or being converted). Guarded by the lock. */
  private int fetchedAhead;

  /** Reader tasks running (fetches and conversions). Guarded by {@link #lock}. */
  private int inFlight;

  /** Guarded by {@link #lock}. */
  private final HandOut handOut;

  private volatile @Nullable RuntimeException failure;
  private volatile boolean closed;
  private volatile Map<String, Object> status = Map.of();
  private final AtomicLong iteratorRefreshes = new AtomicLong();
  private final AtomicLong throttles = new AtomicLong();
  private final AtomicLong ttlDeletes = new AtomicLong();
  private final AtomicInteger readerThreads = new AtomicInteger();
  private final ExecutorService readers;
  private final Thread coordinator;

  private StreamReader(
      ReaderSettings settings,
      DynamoDbClient dynamoDb,
      DynamoDbStreamsClient streams,
      SourceContext context) {
    this.settings = settings;
    this.context = context;
    this.fetcher = new ShardFetcher(settings, streams, iteratorRefreshes);
    this.discovery = new ShardDiscovery(settings, dynamoDb, streams, lock, tracker);
    this.outages = new OutageReport(context);
    this.handOut = new HandOut(tracker, ttlDeletes, context);
    String pipeline = context.pipelineName();
    this.readers =
        Executors.newFixedThreadPool(
            settings.maxConcurrentReads(),
            r -> {
              Thread t =
                  new Thread(
                      r,
                      "driftless-ddb-reader-" + pipeline + "-" + readerThreads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.coordinator = new Thread(this::coordinate, "driftless-ddb-shards-" + pipeline);
    this.coordinator.setDaemon(true);
  }

  /**
   * Opens every table (checking streams and checkpoints), lists the shards, saves the starting
   * checkpoint, and starts reading.
   */
  public static StreamReader start(
      ReaderSettings settings,
      DynamoDbClient dynamoDb,
      DynamoDbStreamsClient streams,
      SourceContext context)
      throws Exception {
    StreamReader reader = new StreamReader(settings, dynamoDb, streams, context);
    long nowSecond = context.clock().instant().getEpochSecond();
    for (String table : settings.tables()) {
      String stored = context.checkpointStore().load(checkpointName(context, table)).orElse(null);
      TableCheckpoint checkpoint = stored == null ? null : TableCheckpoint.parse(stored);
      TableStream stream =
          TableStream.open(
              dynamoDb,
              table,
              settings.versionAttribute(),
              checkpoint,
              settings.startingPosition(),
              settings.fingerprint());
      stream.initialize(stream.listShards(streams), nowSecond);
      stream.nextDiscoveryNanos = System.nanoTime() + settings.discoveryInterval().toNanos();
      reader.tables.add(stream);
      context
          .checkpointStore()
          .save(checkpointName(context, table), stream.checkpoint(reader.tracker).toJson());
    }
    reader.coordinator.start();
    return reader;
  }

  static String checkpointName(SourceContext context, String table) {
    return "dynamodb-streams/" + context.pipelineName() + "/" + table;
  }

  // ---------------------------------------------------------------- the pipeline's poll thread

  /** Hands out up to {@code maxEvents} records, waiting up to {@code maxWait} for the first. */
  public List<ChangeEvent> poll(int maxEvents, Duration maxWait) throws Exception {
    long deadline = System.nanoTime() + maxWait.toNanos();
    List<ChangeEvent> events = new ArrayList<>();
    List<DeadLetter> letters = new ArrayList<>();
    lock.lockInterruptibly();
    try {
      while (true) {
        throwIfFailed();
        buffered -= handOut.take(tables, maxEvents, events, letters);
        long left = deadline - System.nanoTime();
        if (!events.isEmpty() || !letters.isEmpty() || left <= 0) {
          break;
        }
        changed.awaitNanos(left);
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (!letters.isEmpty()) {
      for (DeadLetter letter : letters) {
        context.deadLetter(letter);
      }
      lock.lock();
      try {
        tracker.settleLeadingDeadLetters();
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
    return events;
  }

  /** Every record handed out up to {@code position} is settled: checkpoints move. */
  public void commit(SourcePosition position) throws Exception {
    if (!(position instanceof StreamPosition p)) {
      throw new IllegalArgumentException("not a position of this source: " + position);
    }
    Map<String, String> toSave = new LinkedHashMap<>();
    lock.lockInterruptibly();
    try {
      throwIfFailed();
      Set<String> moved = tracker.commit(p.ordinal());
      moved.addAll(tracker.settleLeadingDeadLetters());
      Set<TableStream> touched = new HashSet<>();
      for (TableStream table : tables) {
        for (ShardState s : table.reading.values()) {
          if (moved.contains(s.id) || finish(s)) {
            touched.add(table);
          }
        }
      }
      for (TableStream table : touched) {
        toSave.put(checkpointName(context, table.name), table.checkpoint(tracker).toJson());
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    for (Map.Entry<String, String> e : toSave.entrySet()) {
      context.checkpointStore().save(e.getKey(), e.getValue());
    }
  }

  /** Marks a shard done once it is read to its end and all of it settled. Holds the lock. */
  private boolean finish(ShardState s) {
    if (s.done || !s.exhausted() || !tracker.settled(s.id)) {
      return false;
    }
    s.done = true;
    s.table.lineage.markDone(s.id);
    return true;
  }

  private void throwIfFailed() {
    RuntimeException e = failure;
    if (e != null) {
      throw e;
    }
  }

  // ---------------------------------------------------------------- the coordinator thread

  private void coordinate() {
    long nextStatus = 0;
    int listingFailures = 0;
    while (!closed && failure == null) {
      try {
        discovery.discover(tables);
        listingFailures = 0;
        lock.lockInterruptibly();
        try {
          long now = System.nanoTime();
          long wake = now + TimeUnit.SECONDS.toNanos(1);
          List<ShardState> due = new ArrayList<>();
          boolean readersFree = true;
          for (TableStream table : tables) {
            startReadable(table);
            for (ShardState s : table.reading.values()) {
              finish(s);
              // Conversions first: they free the page slot that lets a shard fetch again.
              readersFree = readersFree && submitConversion(s, now);
              if (!s.converting && !s.raw.isEmpty() && now < s.nextConversionNanos) {
                wake = Math.min(wake, s.nextConversionNanos);
              }
              if (fetchable(s)) {
                if (now < s.nextFetchNanos) {
                  wake = Math.min(wake, s.nextFetchNanos);
                } else {
                  due.add(s);
                }
              }
            }
          }
          // Longest due first: with more due shards than readers, none starves (a busy open shard
          // early in the listing must not keep a parent that gates its children from being read).
          due.sort(java.util.Comparator.comparingLong(s -> s.nextFetchNanos));
          for (ShardState s : due) {
            if (!readersFree || !submit(s)) {
              break;
            }
          }
          for (TableStream table : tables) {
            if (!table.childLookups.isEmpty()) {
              wake = Math.min(wake, table.nextChildLookupNanos);
            }
            wake = Math.min(wake, table.nextDiscoveryNanos);
          }
          if (now >= nextStatus) {
            status = statusNow();
            nextStatus = now + TimeUnit.MILLISECONDS.toNanos(200);
          }
          long wait = wake - System.nanoTime();
          if (wait > 0) {
            changed.awaitNanos(wait);
          }
        } finally {
          lock.unlock();
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        if (AwsErrors.isTransient(e)) {
          throttles.incrementAndGet();
          LOG.warn("Listing shards failed, retrying: {}", e.toString());
          outages.failure(e);
          if (!sleepQuietly(context.outagePolicy().delay(++listingFailures).toNanos())) {
            return;
          }
        } else {
          fail(e);
        }
      }
    }
  }

  /** Starts the shards the lineage lets read. Holds the lock. */
  private void startReadable(TableStream table) {
    for (String id : table.lineage.readable()) {
      ShardCheckpoint planned = table.loadedCheckpoint(id);
      VersionClock clock;
      if (planned != null) {
        clock = planned.clock();
      } else {
        String parent = table.lineage.parentOf(id);
        if (parent != null && tracker.tracks(parent)) {
          clock = tracker.checkpoint(parent, true).clock();
        } else if (parent != null && table.loadedCheckpoint(parent) != null) {
          clock = java.util.Objects.requireNonNull(table.loadedCheckpoint(parent)).clock();
        } else {
          clock = VersionClock.start();
        }
      }
      SequenceNumber after = planned == null ? null : planned.sequence();
      long notBefore = planned == null ? 0 : planned.notBeforeSecond();
      ShardState state =
          new ShardState(table, id, notBefore, after, table.trimTolerant(id), clock.copy());
      table.reading.put(id, state);
      table.lineage.markStarted(id);
      tracker.start(id, after, clock, notBefore);
    }
  }

  /**
   * Whether {@code s} may fetch: no fetch running, not at its end, and no fetched page waiting for
   * conversion (at most one page ahead; a page being converted does not count). Holds the lock.
   */
  private static boolean fetchable(ShardState s) {
    return !s.done && !s.fetching && !s.ended && s.raw.isEmpty();
  }

  /**
   * Submits a fetch of the due shard {@code s} if there is room; false when the readers or the
   * buffer are full (woken again when a task ends or poll takes records). Holds the lock.
   */
  private boolean submit(ShardState s) {
    if (inFlight >= settings.maxConcurrentReads()
        || buffered + fetchedAhead >= settings.maxBufferedRecords()) {
      return false;
    }
    if (s.buffer.size() >= settings.recordsPerRequest()) {
      return true; // this shard waits for the pipeline; others may go on
    }
    s.fetching = true;
    inFlight++;
    readers.execute(() -> runFetch(s));
    return true;
  }

  /**
   * Submits the conversion of {@code s}'s fetched page if it is due and there is a reader; false
   * when the readers are busy. Holds the lock.
   */
  private boolean submitConversion(ShardState s, long now) {
    if (s.converting || s.raw.isEmpty() || now < s.nextConversionNanos) {
      return true;
    }
    if (inFlight >= settings.maxConcurrentReads()) {
      return false;
    }
    List<Record> page = new ArrayList<>(s.raw);
    s.raw.clear();
    s.converting = true;
    inFlight++;
    readers.execute(() -> runConversion(s, page));
    return true;
  }

  private void runFetch(ShardState s) {
    ShardFetcher.Outcome outcome;
    try {
      outcome = fetcher.fetch(s);
    } catch (RuntimeException e) {
      outcome = ShardFetcher.Outcome.failed(e);
    }
    lock.lock();
    try {
      s.fetching = false;
      inFlight--;
      long now = System.nanoTime();
      s.raw.addAll(outcome.records());
      fetchedAhead += outcome.records().size();
      s.lagSecond = outcome.lagSecond();
      if (outcome.error() != null) {
        handleError(s, outcome.error(), now);
      } else {
        s.failures = 0;
        outages.success();
        if (outcome.ended() && !s.ended) {
          s.ended = true;
          if (s.table.lineage.childrenOf(s.id).isEmpty()) {
            s.table.childLookups.putIfAbsent(s.id, 0);
            s.table.nextChildLookupNanos = now;
          }
        }
        boolean closed = s.ended || s.table.lineage.isClosed(s.id);
        s.nextFetchNanos = outcome.full() || closed ? now : now + settings.pollInterval().toNanos();
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void runConversion(ShardState s, List<Record> page) {
    ShardFetcher.Conversion conversion;
    try {
      conversion = ShardFetcher.convert(s, page);
    } catch (RuntimeException e) {
      conversion = new ShardFetcher.Conversion(List.of(), page, e); // stops the reader anyway
    }
    lock.lock();
    try {
      s.converting = false;
      inFlight--;
      fetchedAhead -= page.size() - conversion.left().size();
      for (int i = conversion.left().size() - 1; i >= 0; i--) {
        s.raw.addFirst(conversion.left().get(i)); // before a page fetched meanwhile
      }
      s.buffer.addAll(conversion.records());
      buffered += conversion.records().size();
      if (conversion.error() != null) {
        handleError(s, conversion.error(), System.nanoTime());
        s.nextConversionNanos = s.nextFetchNanos;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** A fetch or conversion failed: back off if transient, otherwise stop. Holds the lock. */
  private void handleError(ShardState s, RuntimeException e, long now) {
    if (e instanceof StreamDataLostException || !AwsErrors.isTransient(e)) {
      fail(e);
      return;
    }
    throttles.incrementAndGet();
    outages.failure(e);
    s.failures++;
    s.nextFetchNanos = now + context.outagePolicy().delay(s.failures).toNanos();
    if (s.failures % 10 == 0) {
      LOG.warn(
          "Shard {} of {}: {} failures in a row, backing off: {}",
          s.id,
          s.table.name,
          s.failures,
          e.toString());
    }
  }

  private void fail(RuntimeException e) {
    lock.lock();
    try {
      if (failure == null) {
        failure =
            e instanceof DriftlessException
                ? e
                : new DriftlessException("DynamoDB Streams source failed: " + e, e);
        LOG.error("DynamoDB Streams source stops: {}", failure.getMessage());
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Sleeps; false if interrupted (the reader closes). */
  private static boolean sleepQuietly(long nanos) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  // ---------------------------------------------------------------- status and close

  /** Stable status values; never blocks. */
  public Map<String, Object> statusDetails() {
    Map<String, Object> details = new LinkedHashMap<>(status);
    details.put("iteratorRefreshes", iteratorRefreshes.get());
    details.put("throttles", throttles.get());
    details.put("ttlDeletes", ttlDeletes.get());
    return details;
  }

  /** Holds the lock. */
  private Map<String, Object> statusNow() {
    return ReaderStatus.snapshot(
        tables,
        buffered + fetchedAhead,
        tracker.unsettledCount(),
        inFlight,
        readerThreads.get(),
        context.clock().instant().getEpochSecond());
  }

  @Override
  public void close() throws InterruptedException {
    closed = true;
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    coordinator.interrupt();
    coordinator.join(TimeUnit.SECONDS.toMillis(10));
    readers.shutdownNow();
    readers.awaitTermination(10, TimeUnit.SECONDS);
  }
}
