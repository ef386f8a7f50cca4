package dev.driftless.dynamodb.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.dynamodb.BackfillSettings;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;

/**
 * The backfill of the followed tables: {@code parallelism} threads each claim a segment ({@link
 * SegmentProgress}) and scan it page by page ({@code ConsistentRead}, {@code Limit} = page size,
 * resuming after the segment's settled key), within the {@link ReadBudget}, while at most {@code
 * maxBufferedItems} scanned items wait for the pipeline. {@link #take} hands items out as events
 * between the stream's records, numbered in the same order; a page's end is settled (its segment's
 * checkpoint moves) when the pipeline commits the last event handed out before it.
 *
 * <p>Versions follow the read rule ({@link ScannedItem}). The {@link StreamReader}'s lock guards
 * the buffer, the marks and the segment progress; the scanning threads request pages without it.
 */
final class ScanBackfill implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ScanBackfill.class);

  /** One table being backfilled. */
  private static final class TableScan {
    final TableStream table;
    final SegmentProgress progress;
    final long itemEstimate;
    final ItemReads reads;

    TableScan(TableStream table, SegmentProgress progress, long itemEstimate) {
      this.table = table;
      this.progress = progress;
      this.itemEstimate = itemEstimate;
      this.reads =
          new ItemReads(
              table.converter.table(), table.versionAttribute, table.converter.fingerprint());
    }
  }

  /** A scanned item, or (item null) the end of a page: {@code next} = where the segment goes on. */
  private record Entry(
      TableScan scan,
      int segment,
      @Nullable ScannedItem item,
      Instant readAt,
      @Nullable Map<String, AttributeValue> next,
      int pageItems) {}

  /** A page's end, handed out after the event with {@code ordinal}. */
  private record Mark(
      long ordinal,
      TableScan scan,
      int segment,
      @Nullable Map<String, AttributeValue> next,
      int pageItems) {}

  private final BackfillSettings settings;
  private final DynamoDbClient dynamoDb;
  private final SourceContext context;
  private final ReentrantLock lock;
  private final Condition changed;
  private final OutageReport outages;
  private final AtomicLong throttles;
  private final Consumer<RuntimeException> fail;
  private final ReadBudget budget;
  private final List<TableScan> scans = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private int started;

  // Guarded by the lock.
  private final ArrayDeque<Entry> buffer = new ArrayDeque<>();
  private final ArrayDeque<Mark> marks = new ArrayDeque<>();
  private int bufferedItems;
  private long committed;
  private final List<String> finishedResyncs = new ArrayList<>();

  private final AtomicLong itemsScanned = new AtomicLong();
  private final AtomicLong itemsHandedOut = new AtomicLong();
  private final AtomicLong pages = new AtomicLong();
  private final java.util.concurrent.atomic.DoubleAdder readUnits =
      new java.util.concurrent.atomic.DoubleAdder();
  private final long startedNanos = System.nanoTime();
  private volatile boolean closed;

  ScanBackfill(
      BackfillSettings settings,
      DynamoDbClient dynamoDb,
      SourceContext context,
      ReentrantLock lock,
      Condition changed,
      OutageReport outages,
      AtomicLong throttles,
      Consumer<RuntimeException> fail) {
    this.settings = settings;
    this.dynamoDb = dynamoDb;
    this.context = context;
    this.lock = lock;
    this.changed = changed;
    this.outages = outages;
    this.throttles = throttles;
    this.fail = fail;
    this.budget =
        new ReadBudget(settings.itemsPerSecond(), settings.readUnitsPerSecond(), System::nanoTime);
  }

  /**
   * Adds {@code table}, whose backfill is not done, and starts threads to scan it. Holds the lock.
   */
  void add(TableStream table, long itemEstimate) {
    scans.add(new TableScan(table, new CheckpointedSegments(table), itemEstimate));
    threads.removeIf(t -> t.getState() == Thread.State.TERMINATED);
    int wanted = Math.min(settings.parallelism(), remainingSegments());
    String pipeline = context.pipelineName();
    while (threads.size() < wanted && !closed) {
      Thread t = new Thread(this::work, "driftless-ddb-scan-" + pipeline + "-" + started++);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  /** Forgets {@code table}'s backfill (a resync replaces it). Holds the lock. */
  void remove(TableStream table) {
    scans.removeIf(s -> s.table == table);
    buffer.removeIf(e -> e.scan().table == table && e.item() != null && countOut());
    buffer.removeIf(e -> e.scan().table == table);
    marks.removeIf(m -> m.scan().table == table);
  }

  private boolean countOut() {
    bufferedItems--;
    return true;
  }

  private int remainingSegments() {
    int n = 0;
    for (TableScan s : scans) {
      BackfillCheckpoint state = s.progress.state();
      n += state.done() ? 0 : state.totalSegments() - state.segmentsDone();
    }
    return n;
  }

  // ---------------------------------------------------------------- scanning threads

  private void work() {
    try {
      while (!closed) {
        TableScan scan = null;
        SegmentProgress.Claim claim = null;
        lock.lockInterruptibly();
        try {
          for (TableScan s : scans) {
            claim = s.progress.claim();
            if (claim != null) {
              scan = s;
              break;
            }
          }
        } finally {
          lock.unlock();
        }
        if (scan == null || claim == null) {
          return;
        }
        scanSegment(scan, claim);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      if (!closed) {
        fail.accept(e); // at close, an interrupted request is no failure
      }
    }
  }

  private void scanSegment(TableScan scan, SegmentProgress.Claim claim)
      throws InterruptedException {
    Map<String, AttributeValue> after = claim.after();
    TableStream table = scan.table;
    long anchor = scan.progress.state().readVersion();
    while (!closed) {
      lock.lockInterruptibly();
      try {
        while (bufferedItems >= settings.maxBufferedItems() && !closed) {
          changed.await();
        }
        if (!scans.contains(scan)) {
          return; // replaced by a resync
        }
      } finally {
        lock.unlock();
      }
      long delay = budget.delayNanos();
      if (delay > 0) {
        TimeUnit.NANOSECONDS.sleep(delay);
      }
      ScanResponse page = scanPage(table.name, claim.segment(), scan.progress, after);
      double units =
          page.consumedCapacity() == null ? 0 : orZero(page.consumedCapacity().capacityUnits());
      budget.spend(page.scannedCount() == null ? page.count() : page.scannedCount(), units);
      readUnits.add(units);
      pages.incrementAndGet();
      Instant readAt = context.clock().instant();
      List<Entry> entries = new ArrayList<>(page.items().size() + 1);
      for (Map<String, AttributeValue> item : page.items()) {
        ScannedItem converted = ScannedItem.of(item, scan.reads, anchor, readAt);
        entries.add(new Entry(scan, claim.segment(), converted, readAt, null, 0));
      }
      Map<String, AttributeValue> next =
          page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty()
              ? page.lastEvaluatedKey()
              : null;
      entries.add(new Entry(scan, claim.segment(), null, readAt, next, page.items().size()));
      itemsScanned.addAndGet(page.items().size());
      lock.lockInterruptibly();
      try {
        if (!scans.contains(scan)) {
          return;
        }
        buffer.addAll(entries);
        bufferedItems += page.items().size();
        changed.signalAll();
      } finally {
        lock.unlock();
      }
      if (next == null) {
        return;
      }
      after = next;
    }
  }

  private static double orZero(@Nullable Double d) {
    return d == null ? 0 : d;
  }

  /** One page, retried with the pipeline's backoff while the failure is transient. */
  private ScanResponse scanPage(
      String table,
      int segment,
      SegmentProgress progress,
      @Nullable Map<String, AttributeValue> after)
      throws InterruptedException {
    int failures = 0;
    while (true) {
      try {
        ScanResponse r =
            dynamoDb.scan(
                b ->
                    b.tableName(table)
                        .segment(segment)
                        .totalSegments(progress.totalSegments())
                        .consistentRead(true)
                        .limit(settings.pageSize())
                        .returnConsumedCapacity(ReturnConsumedCapacity.TOTAL)
                        .exclusiveStartKey(after));
        outages.success();
        return r;
      } catch (RuntimeException e) {
        if (!AwsErrors.isTransient(e) || closed) {
          throw e;
        }
        throttles.incrementAndGet();
        outages.failure(e);
        failures++;
        if (failures % 10 == 0) {
          LOG.warn(
              "Scan of {} segment {}: {} failures in a row: {}",
              table,
              segment,
              failures,
              e.toString());
        }
        TimeUnit.NANOSECONDS.sleep(context.outagePolicy().delay(failures).toNanos());
      }
    }
  }

  // ---------------------------------------------------------------- the pipeline's poll thread

  /** Whether no table's backfill is running (every one done and settled). Holds the lock. */
  boolean idle() {
    for (TableScan s : scans) {
      if (!s.progress.state().done()) {
        return false;
      }
    }
    return true;
  }

  /** Whether scanned items wait. Holds the lock. */
  boolean hasItems() {
    return bufferedItems > 0 || !buffer.isEmpty();
  }

  /**
   * Hands out up to {@code max} scanned items as events numbered by {@code handOut} (unreadable
   * ones as dead letters). Holds the lock.
   */
  int take(int max, HandOut handOut, List<ChangeEvent> events, List<DeadLetter> letters) {
    int taken = 0;
    while (!buffer.isEmpty() && taken < max) {
      Entry e = buffer.pollFirst();
      ScannedItem item = e.item();
      if (item == null) {
        marks.addLast(
            new Mark(handOut.lastOrdinal(), e.scan(), e.segment(), e.next(), e.pageItems()));
        continue;
      }
      bufferedItems--;
      String table = e.scan().table.name;
      if (item.unreadable()) {
        letters.add(letterOf(table, e.segment(), item));
        continue;
      }
      long n = handOut.nextOrdinal();
      events.add(item.at(new StreamPosition(n, table, "scan-" + e.segment(), "backfill")));
      taken++;
    }
    if (taken > 0) {
      itemsHandedOut.addAndGet(taken);
      changed.signalAll();
    }
    return taken;
  }

  private DeadLetter letterOf(String table, int segment, ScannedItem item) {
    Instant now = context.clock().instant();
    return new DeadLetter(
        "ddb-scan:" + table + ":" + segment + ":" + item.key().id(),
        item.key(),
        item.version(),
        "scan|" + table + "|" + segment,
        "unreadable",
        null,
        String.valueOf(item.errorType()),
        "unreadable DynamoDB item read by the backfill: " + item.error(),
        1,
        now,
        now);
  }

  /**
   * Everything handed out up to {@code ordinal} is settled: pages ended before it move their
   * segments. Returns the tables whose backfill progress moved. Holds the lock.
   */
  Set<TableStream> commit(long ordinal) {
    committed = Math.max(committed, ordinal);
    Set<TableStream> touched = new LinkedHashSet<>();
    while (!marks.isEmpty() && marks.peekFirst().ordinal() <= committed) {
      Mark m = marks.pollFirst();
      if (!scans.contains(m.scan())) {
        continue;
      }
      boolean wasDone = m.scan().progress.state().done();
      m.scan().progress.settled(m.segment(), m.next(), m.pageItems());
      touched.add(m.scan().table);
      BackfillCheckpoint state = m.scan().progress.state();
      if (state.done() && !wasDone) {
        LOG.info(
            "Backfill of {} done: {} items{}",
            m.scan().table.name,
            state.items(),
            state.resync() ? " (a resync)" : "");
        if (state.resync()) {
          finishedResyncs.add(m.scan().table.name);
        }
      }
    }
    return touched;
  }

  /**
   * Settles the page ends that the last commit covers already (a page whose items were all
   * dead-lettered, or an empty one). Holds the lock.
   */
  Set<TableStream> settleCommitted() {
    return commit(committed);
  }

  /** Whether a page end waits that the last commit covers already. Holds the lock. */
  boolean settleable() {
    return !marks.isEmpty() && marks.peekFirst().ordinal() <= committed;
  }

  /** Tables whose resync backfill finished since the last call. Holds the lock. */
  List<String> drainFinishedResyncs() {
    List<String> out = List.copyOf(finishedResyncs);
    finishedResyncs.clear();
    return out;
  }

  /** Status values; none before a table had a backfill. Holds the lock. */
  Map<String, Object> status() {
    if (scans.isEmpty()) {
      return Map.of();
    }
    int done = 0;
    int total = 0;
    long settledItems = 0;
    long estimate = 0;
    boolean running = false;
    for (TableScan s : scans) {
      BackfillCheckpoint state = s.progress.state();
      total += state.totalSegments();
      done += state.done() ? state.totalSegments() : state.segmentsDone();
      settledItems += state.items();
      estimate += Math.max(s.itemEstimate, 0);
      running |= !state.done();
    }
    double seconds = Math.max(1e-3, (System.nanoTime() - startedNanos) / 1e9);
    double rate = itemsHandedOut.get() / seconds;
    long eta = -1;
    if (!running) {
      eta = 0;
    } else if (estimate > settledItems && rate > 0) {
      eta = (long) Math.ceil((estimate - settledItems) / rate);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("backfillState", running ? "running" : "done");
    m.put("backfillSegmentsDone", done);
    m.put("backfillSegmentsTotal", total);
    m.put("backfillItems", settledItems);
    m.put("backfillItemsScannedThisRun", itemsScanned.get());
    m.put("backfillItemsEstimate", estimate);
    m.put("backfillItemsPerSecond", Math.round(rate));
    m.put("backfillEtaSeconds", eta);
    m.put("backfillItemsBuffered", bufferedItems);
    m.put("backfillPages", pages.get());
    m.put("backfillReadUnits", Math.round(readUnits.sum() * 10) / 10.0);
    return m;
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
    for (Thread t : threads) {
      t.interrupt();
    }
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(10));
    }
  }
}
