package dev.driftless.dynamodb.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.dynamodb.StreamDataLostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
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
  private final ShardTasks tasks;
  private final ShardDiscovery discovery;
  private final OutageReport outages;
  private final TableStart tableStart;

  /** The tables' backfills; its state is guarded by {@link #lock}. */
  private final ScanBackfill backfill;

  private final Resyncs resyncs;

  /** With leases: which shards this instance reads, and where their checkpoints go. */
  private final @Nullable LeasedProgress leases;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  /** Guarded by {@link #lock}. */
  private final SettleTracker tracker = new SettleTracker();

  /** Guarded by {@link #lock}. */
  private final HandOut handOut;

  private volatile @Nullable RuntimeException failure;
  private volatile boolean closed;
  private volatile Map<String, Object> status = Map.of();
  private final AtomicLong iteratorRefreshes = new AtomicLong();
  private final AtomicLong throttles = new AtomicLong();
  private final AtomicLong ttlDeletes = new AtomicLong();
  private final Thread coordinator;

  private StreamReader(
      ReaderSettings settings,
      DynamoDbClient dynamoDb,
      DynamoDbStreamsClient streams,
      SourceContext context) {
    this.settings = settings;
    this.context = context;
    this.discovery = new ShardDiscovery(settings, dynamoDb, streams, lock, tracker);
    this.outages = new OutageReport(context);
    this.tableStart = new TableStart(settings, dynamoDb, streams, context);
    this.resyncs = new Resyncs(settings.onDataLoss(), tableStart);
    this.backfill =
        new ScanBackfill(
            tableStart.backfillSettings(),
            dynamoDb,
            context,
            lock,
            changed,
            outages,
            throttles,
            this::fail);
    this.handOut = new HandOut(tracker, ttlDeletes, context);
    String pipeline = context.pipelineName();
    this.leases =
        settings.leases() == null
            ? null
            : new LeasedProgress(
                settings,
                dynamoDb,
                pipeline,
                lock,
                changed,
                tracker,
                tables,
                this::finish,
                this::stop);
    this.tasks =
        new ShardTasks(
            settings,
            context,
            new ShardFetcher(settings, streams, iteratorRefreshes),
            lock,
            changed,
            outages,
            throttles,
            this::fail);
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
    LeasedProgress leased = reader.leases;
    ShardLeasing leasing = leased == null ? null : leased.leasing();
    try {
      reader.open(dynamoDb, streams, leasing, nowSecond);
    } catch (Exception e) {
      if (leasing != null) {
        leasing.close(true); // leases taken on the way go back at once
      }
      throw e;
    }
    reader.coordinator.start();
    return reader;
  }

  /** Opens the tables (and, with leases, the lease table); see {@link #start}. */
  private void open(
      DynamoDbClient dynamoDb,
      DynamoDbStreamsClient streams,
      @Nullable ShardLeasing leasing,
      long nowSecond)
      throws Exception {
    if (leasing != null) {
      leasing.open();
    }
    for (String table : settings.tables()) {
      String stored =
          leasing != null
              ? null
              : context.checkpointStore().load(checkpointName(context, table)).orElse(null);
      TableCheckpoint checkpoint = stored == null ? null : TableCheckpoint.parse(stored);
      TableStream stream = tableStart.open(table, checkpoint);
      if (leasing == null) {
        addAndSave(stream);
        continue;
      }
      stream.nextDiscoveryNanos = System.nanoTime() + settings.discoveryInterval().toNanos();
      tables.add(stream);
      leasing.checkStream(table, stream.streamArn);
      leasing.sync(ShardLeasing.LineageView.of(stream), nowSecond);
    }
    if (leasing != null) {
      leasing.startRounds("driftless-ddb-leases-" + context.pipelineName());
    }
  }

  /**
   * Starts reading {@code stream} (and backfilling it, if its backfill is not done), and saves its
   * checkpoint at once: a restart before the first commit keeps the same anchor and shard plan.
   */
  private void addAndSave(TableStream stream) throws Exception {
    stream.nextDiscoveryNanos = System.nanoTime() + settings.discoveryInterval().toNanos();
    BackfillCheckpoint fill = stream.backfill;
    long estimate = fill != null && !fill.done() ? tableStart.itemEstimate(stream.name) : -1;
    String json;
    lock.lock();
    try {
      tables.add(stream);
      if (fill != null && !fill.done()) {
        backfill.add(stream, estimate);
      }
      changed.signalAll();
      json = stream.checkpoint(tracker).toJson();
    } finally {
      lock.unlock();
    }
    context.checkpointStore().save(checkpointName(context, stream.name), json);
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
    boolean settleable;
    lock.lockInterruptibly();
    try {
      while (true) {
        throwIfFailed();
        if (backfill.hasItems()) {
          // Stream and backfill share the poll: the stream never waits behind a long backfill.
          tasks.buffered -= handOut.take(tables, (maxEvents + 1) / 2, events, letters);
          backfill.take(maxEvents - events.size(), handOut, events, letters);
          if (events.size() < maxEvents) {
            tasks.buffered -= handOut.take(tables, maxEvents - events.size(), events, letters);
          }
        } else {
          tasks.buffered -= handOut.take(tables, maxEvents, events, letters);
        }
        long left = deadline - System.nanoTime();
        if (!events.isEmpty() || !letters.isEmpty() || left <= 0) {
          break;
        }
        changed.awaitNanos(left);
      }
      settleable = backfill.settleable();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (!letters.isEmpty() || settleable) {
      for (DeadLetter letter : letters) {
        context.deadLetter(letter);
      }
      Map<String, String> toSave = new LinkedHashMap<>();
      List<String> resynced;
      lock.lock();
      try {
        tracker.settleLeadingDeadLetters();
        resynced = checkpoints(backfill.settleCommitted(), toSave);
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      save(toSave, resynced);
    }
    return events;
  }

  /** Every record handed out up to {@code position} is settled: checkpoints move. */
  public void commit(SourcePosition position) throws Exception {
    if (!(position instanceof StreamPosition p)) {
      throw new IllegalArgumentException("not a position of this source: " + position);
    }
    if (leases != null) {
      leases.commit(p.ordinal(), this::throwIfFailed);
      return;
    }
    Map<String, String> toSave = new LinkedHashMap<>();
    List<String> resynced;
    lock.lockInterruptibly();
    try {
      throwIfFailed();
      Set<String> moved = tracker.commit(p.ordinal());
      moved.addAll(tracker.settleLeadingDeadLetters());
      Set<TableStream> touched = backfill.commit(p.ordinal());
      for (TableStream table : tables) {
        for (ShardState s : table.reading.values()) {
          if (moved.contains(s.id) || finish(s)) {
            touched.add(table);
          }
        }
      }
      resynced = checkpoints(touched, toSave);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    save(toSave, resynced);
  }

  /**
   * Puts the checkpoints of {@code touched} into {@code toSave}; returns the tables whose resync
   * they complete. Holds the lock.
   */
  private List<String> checkpoints(Set<TableStream> touched, Map<String, String> toSave) {
    for (TableStream table : touched) {
      toSave.put(checkpointName(context, table.name), table.checkpoint(tracker).toJson());
    }
    return backfill.drainFinishedResyncs();
  }

  /** Saves checkpoints, then tells the pipeline of resyncs they completed. */
  private void save(Map<String, String> checkpoints, List<String> resynced) throws Exception {
    for (Map.Entry<String, String> e : checkpoints.entrySet()) {
      context.checkpointStore().save(e.getKey(), e.getValue());
    }
    for (String table : resynced) {
      LOG.info("Resync of table {} complete: every item read again and settled", table);
      context.resynced();
    }
  }

  /**
   * Stops reading a shard whose lease was lost: nothing of it read or handed out is ever committed
   * by this instance. Holds the lock.
   */
  private void stop(ShardState s) {
    s.lost = true;
    tasks.buffered -= s.buffer.size();
    tasks.fetchedAhead -= s.raw.size();
    s.buffer.clear();
    s.raw.clear();
    s.table.reading.remove(s.id);
    s.table.lineage.markStopped(s.id);
    tracker.forget(s.id);
    LOG.info("Shard {} of {}: lease lost, reading stopped", s.id, s.table.name);
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
    long nextLeaseSync = 0;
    int listingFailures = 0;
    while (!closed && failure == null) {
      try {
        resyncPending();
        discovery.discover(tables);
        listingFailures = 0;
        if (leases != null) {
          leases.follow(this::throwIfFailed);
          if (System.nanoTime() - nextLeaseSync >= 0) {
            leases.sync(context.clock().instant().getEpochSecond());
            nextLeaseSync = System.nanoTime() + settings.discoveryInterval().toNanos();
          }
        }
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
              readersFree = readersFree && tasks.submitConversion(s, now);
              if (!s.converting && !s.raw.isEmpty() && now < s.nextConversionNanos) {
                wake = Math.min(wake, s.nextConversionNanos);
              }
              if (ShardTasks.fetchable(s)) {
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
            if (!readersFree || !tasks.submit(s)) {
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
        if (closed) {
          return; // close interrupted a request: no outage
        }
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

  /** Starts the shards the lineage lets read (with leases: those held). Holds the lock. */
  private void startReadable(TableStream table) {
    for (String id : table.lineage.readable()) {
      ShardState state = leases != null ? leases.plan(table, id) : table.plan(id, tracker);
      if (state == null) {
        continue; // another instance holds its lease
      }
      table.reading.put(id, state);
      table.lineage.markStarted(id);
      tracker.start(id, state.startAfter, state.clock, state.notBeforeSecond);
    }
  }

  private void fail(RuntimeException e) {
    lock.lock();
    try {
      if (failure == null && resyncs.offer(e)) {
        changed.signalAll(); // the coordinator resyncs the table
        return;
      }
    } finally {
      lock.unlock();
    }
    halt(e);
  }

  /** Stops the reader: the next poll or commit throws {@code e}. */
  private void halt(RuntimeException e) {
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

  /**
   * Resyncs the tables that lost stream data: their shards are abandoned (buffered records dropped,
   * unsettled ones forgotten: the resync's backfill covers them), the stream is opened afresh and a
   * backfill with a new anchor starts. Coordinator thread; blocks on requests without the lock.
   */
  private void resyncPending() throws InterruptedException {
    Map<String, StreamDataLostException> lost;
    lock.lockInterruptibly();
    try {
      lost = resyncs.drain();
      for (java.util.Iterator<TableStream> it = tables.iterator(); it.hasNext(); ) {
        TableStream t = it.next();
        if (lost.containsKey(t.name)) {
          it.remove();
          int[] dropped = t.abandon(tracker);
          tasks.buffered -= dropped[0];
          tasks.fetchedAhead -= dropped[1];
          backfill.remove(t);
        }
      }
    } finally {
      lock.unlock();
    }
    for (StreamDataLostException loss : lost.values()) {
      try {
        addAndSave(resyncs.reopen(loss));
      } catch (RuntimeException e) {
        if (!AwsErrors.isTransient(e)) {
          halt(e);
          return;
        }
        lock.lockInterruptibly();
        try {
          resyncs.offer(loss);
        } finally {
          lock.unlock();
        }
        throw e; // the coordinator backs off and tries again
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        halt(new DriftlessException("saving the resync of table " + loss.table() + " failed", e));
        return;
      }
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

  // ---------------------------------------------------------------- awaitCaughtUp

  /**
   * "Now", for {@link #reached}; empty with leases, where other instances read some of the shards
   * and this one cannot tell whether they caught up.
   */
  public java.util.Optional<SourcePosition> head() {
    return leases != null
        ? java.util.Optional.empty()
        : java.util.Optional.of(new CaughtUpMark(System.nanoTime()));
  }

  /** See {@link CaughtUpMark#reachedBy}. Any thread; takes the lock briefly. */
  public boolean reached(CaughtUpMark mark) {
    lock.lock();
    try {
      return failure == null
          && !closed
          && mark.reachedBy(tables, settings.tables().size(), backfill, tracker);
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- status and close

  /** Stable status values; never blocks. */
  public Map<String, Object> statusDetails() {
    Map<String, Object> details = new LinkedHashMap<>(status);
    details.put("iteratorRefreshes", iteratorRefreshes.get());
    details.put("throttles", throttles.get());
    details.put("ttlDeletes", ttlDeletes.get());
    details.put("resyncs", resyncs.count());
    if (leases != null) {
      details.putAll(leases.leasing().status());
    }
    return details;
  }

  /** Holds the lock. */
  private Map<String, Object> statusNow() {
    return ReaderStatus.snapshot(
        tables,
        tasks.buffered + tasks.fetchedAhead,
        tracker.unsettledCount(),
        tasks.inFlight,
        tasks.threads(),
        context.clock().instant().getEpochSecond(),
        backfill.status());
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
    backfill.close();
    tasks.close();
    if (leases != null) {
      leases.leasing().close(true);
    }
  }
}
