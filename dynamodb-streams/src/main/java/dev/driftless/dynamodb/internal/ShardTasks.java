package dev.driftless.dynamodb.internal;

import dev.driftless.core.spi.SourceContext;
import dev.driftless.dynamodb.StreamDataLostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.model.Record;

/**
 * The shards' two tasks on the {@link StreamReader}'s fixed pool of reader threads: a fetch
 * (GetRecords) and a conversion of the page fetched before, at most one of each per shard, and the
 * counts that bound them (tasks in flight, records fetched ahead and buffered). The reader's
 * coordinator submits tasks; their results come back under the reader's lock, which guards the
 * counts.
 */
final class ShardTasks {
  private static final Logger LOG = LoggerFactory.getLogger(ShardTasks.class);

  private final ReaderSettings settings;
  private final SourceContext context;
  private final ShardFetcher fetcher;
  private final ReentrantLock lock;
  private final Condition changed;
  private final OutageReport outages;
  private final AtomicLong throttles;
  private final Consumer<RuntimeException> fail;
  private final AtomicInteger readerThreads = new AtomicInteger();
  private final ExecutorService readers;

  /** Records converted and waiting to be handed out. Guarded by the reader's lock. */
  int buffered;

  /** Records fetched and not yet converted (waiting or being converted). Guarded by the lock. */
  int fetchedAhead;

  /** Reader tasks running (fetches and conversions). Guarded by the reader's lock. */
  int inFlight;

  /**
   * Set by {@link #close}: the requests it interrupts fail (the SDK's {@code AbortedException}),
   * and that is no outage.
   */
  private volatile boolean closing;

  ShardTasks(
      ReaderSettings settings,
      SourceContext context,
      ShardFetcher fetcher,
      ReentrantLock lock,
      Condition changed,
      OutageReport outages,
      AtomicLong throttles,
      Consumer<RuntimeException> fail) {
    this.settings = settings;
    this.context = context;
    this.fetcher = fetcher;
    this.lock = lock;
    this.changed = changed;
    this.outages = outages;
    this.throttles = throttles;
    this.fail = fail;
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
  }

  /** Reader threads started so far. */
  int threads() {
    return readerThreads.get();
  }

  /**
   * Whether {@code s} may fetch: no fetch running, not at its end, and no fetched page waiting for
   * conversion (at most one page ahead; a page being converted does not count). Holds the lock.
   */
  static boolean fetchable(ShardState s) {
    return !s.done && !s.fetching && !s.ended && s.raw.isEmpty();
  }

  /**
   * Submits a fetch of the due shard {@code s} if there is room; false when the readers or the
   * buffer are full (woken again when a task ends or poll takes records). Holds the lock.
   */
  boolean submit(ShardState s) {
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
  boolean submitConversion(ShardState s, long now) {
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
    long startNanos = System.nanoTime();
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
      if (s.lost) {
        changed.signalAll();
        return; // its lease was lost, or its table is being resynced
      }
      long now = System.nanoTime();
      s.raw.addAll(outcome.records());
      fetchedAhead += outcome.records().size();
      s.lagSecond = outcome.lagSecond();
      if (outcome.error() != null) {
        handleError(s, outcome.error(), now);
      } else {
        s.failures = 0;
        outages.success();
        if (outcome.records().isEmpty() && !outcome.ended()) {
          s.quiet = true;
          s.quietSinceNanos = startNanos;
        }
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
      if (s.lost) {
        fetchedAhead -= page.size();
        changed.signalAll();
        return; // its lease was lost, or its table is being resynced
      }
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
    if (closing) {
      return;
    }
    if (e instanceof StreamDataLostException || !AwsErrors.isTransient(e)) {
      fail.accept(e);
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

  void close() throws InterruptedException {
    closing = true;
    readers.shutdownNow();
    readers.awaitTermination(10, TimeUnit.SECONDS);
  }
}
