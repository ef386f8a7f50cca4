package dev.driftless.core.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.PipelineStatus.State;
import dev.driftless.core.RetriableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * The writer loop: on the dispatch thread, has the {@link KeyScheduler} form batches from keys that
 * have pending events and no write in flight, within the {@link AdaptiveLimit}'s concurrency and
 * after {@code linger}; hands each to a writer thread, where the {@link BatchWriter} writes it and
 * the events are settled in the {@link SettleLedger} (its {@link BatchWriter.Callbacks}).
 *
 * <p>Owns no state of its own: what it reads and changes is the {@link RunnerState}'s, under its
 * lock. Runs until the pipeline stops or fails.
 */
final class Dispatcher implements Runnable {
  private final PipelineSettings settings;
  private final RunnerState s;
  private final BatchWriter writer;
  private final ExecutorService writers;
  private final Consumer<Throwable> fail;
  private final Listeners listeners;
  private final FreshnessWindow freshness;

  Dispatcher(
      PipelineSettings settings,
      RunnerState state,
      OutagePolicy policy,
      DeadLetterer deadLetterer,
      ExecutorService writers,
      Consumer<Throwable> fail,
      Listeners listeners,
      FreshnessWindow freshness) {
    this.settings = settings;
    this.s = state;
    this.listeners = listeners;
    this.freshness = freshness;
    this.writer = new BatchWriter(settings.sink(), policy, deadLetterer, new WriterCallbacks());
    this.writers = writers;
    this.fail = fail;
  }

  @Override
  public void run() {
    try {
      while (true) {
        List<KeyScheduler.Item> batch;
        s.lock.lock();
        try {
          while (true) {
            if (s.state == State.STOPPED || s.state == State.FAILED) {
              return;
            }
            if (s.sinkStarted
                && s.scheduler.hasReady()
                && s.activeBatches < s.limit.concurrency()) {
              long lingerLeft = lingerLeftNanos();
              if (lingerLeft <= 0) {
                break;
              }
              s.dispatchable.awaitNanos(lingerLeft);
            } else {
              s.dispatchable.await();
            }
          }
          SettleLedger settle = s.ledger; // formBatch runs the settler now, under this lock
          long inFlight = settle.inFlightEvents();
          batch =
              s.scheduler.formBatch(
                  s.limit.batchSize(settings.batchSize()),
                  settings.batchBytes(),
                  System.nanoTime(),
                  settle::settle);
          if (s.ledger.inFlightEvents() != inFlight) {
            s.changed.signalAll(); // skipped stale keys settled: room, or idle
          }
          if (batch.isEmpty()) {
            continue;
          }
          s.activeBatches++;
        } finally {
          s.lock.unlock();
        }
        List<KeyScheduler.Item> toWrite = batch;
        writers.execute(() -> write(toWrite));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable e) {
      fail.accept(new DriftlessException("dispatcher failed: " + e, e));
    }
  }

  /** How long the ready keys may still wait for a fuller batch; zero or less means go. */
  @GuardedBy("s.lock")
  private long lingerLeftNanos() {
    if (s.state != State.RUNNING || s.pollStopped) {
      return 0;
    }
    return s.scheduler.lingerLeftNanos(
        settings.linger().toNanos(), s.limit.batchSize(settings.batchSize()), System.nanoTime());
  }

  /** On a writer thread: writes one batch, then frees its slot. */
  private void write(List<KeyScheduler.Item> batch) {
    boolean throttled = false;
    try {
      long started = System.nanoTime();
      throttled = writer.write(batch);
      Duration lasted = s.sinkAnswered();
      if (lasted != null) {
        listeners.outageEnded(PipelineListener.Side.SINK, lasted);
      }
      tellWritten(batch, System.nanoTime() - started);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable e) {
      fail.accept(
          e instanceof DriftlessException ? e : new DriftlessException("writer failed: " + e, e));
    } finally {
      s.lock.lock();
      try {
        s.activeBatches--;
        if (!throttled) {
          s.limit.onSuccess();
        }
        s.wakeAllLocked();
      } finally {
        s.lock.unlock();
      }
    }
  }

  /**
   * Tells the listeners how the batch ended (the items that settled; a stopping write leaves some).
   */
  private void tellWritten(List<KeyScheduler.Item> batch, long latencyNanos) {
    if (listeners.isEmpty()) {
      return;
    }
    int events = 0;
    int applied = 0;
    int stale = 0;
    int dead = 0;
    long bytes = 0;
    long[] fresh = new long[batch.size()];
    String[] freshCollections = new String[batch.size()];
    int freshCount = 0;
    Map<String, int[]> perCollection = new TreeMap<>();
    for (KeyScheduler.Item item : batch) {
      Entry e = item.newest();
      Outcome outcome = e.outcome;
      if (outcome == null) {
        continue; // not settled: the pipeline is stopping
      }
      events++;
      bytes += e.bytes;
      String collection = e.event.key().collection();
      int[] counts = perCollection.computeIfAbsent(collection, c -> new int[3]);
      switch (outcome) {
        case APPLIED -> {
          applied++;
          counts[0]++;
        }
        case STALE -> {
          stale++;
          counts[1]++;
        }
        case DEAD_LETTERED -> {
          dead++;
          counts[2]++;
        }
        default -> {}
      }
      if (e.freshnessNanos >= 0) {
        freshCollections[freshCount] = collection;
        fresh[freshCount++] = e.freshnessNanos;
      }
    }
    List<PipelineListener.CollectionCounts> collections = new ArrayList<>(perCollection.size());
    perCollection.forEach(
        (c, n) -> collections.add(new PipelineListener.CollectionCounts(c, n[0], n[1], n[2])));
    PipelineListener.BatchWritten written =
        new PipelineListener.BatchWritten(
            events,
            applied,
            stale,
            dead,
            bytes,
            Duration.ofNanos(latencyNanos),
            Arrays.copyOf(fresh, freshCount),
            Arrays.copyOf(freshCollections, freshCount),
            collections);
    listeners.tell("batchWritten", l -> l.batchWritten(listeners.pipeline(), written));
  }

  /** The writer's view of the runner: stopping, retries, and settling written items. */
  private final class WriterCallbacks implements BatchWriter.Callbacks {
    @Override
    public boolean stopping() {
      return s.stopping();
    }

    @Override
    public void retrying(Throwable cause) {
      boolean starts;
      int throttledTo = -1;
      s.lock.lock();
      try {
        s.ledger.countRetry();
        starts = s.sinkOutageLocked(cause);
        if (cause instanceof RetriableException r && r.throttled()) {
          s.limit.onThrottled(System.nanoTime());
          throttledTo = s.limit.concurrency();
        }
      } finally {
        s.lock.unlock();
      }
      if (starts) {
        listeners.outageStarted(PipelineListener.Side.SINK, cause);
      }
      listeners.tell(
          "retrying", l -> l.retrying(listeners.pipeline(), PipelineListener.Side.SINK, cause));
      if (throttledTo >= 0) {
        int limit = throttledTo;
        listeners.tell("throttled", l -> l.throttled(listeners.pipeline(), limit));
      }
    }

    @Override
    public void finished(KeyScheduler.Item item, Outcome outcome) {
      Entry newest = item.newest();
      if ((outcome == Outcome.APPLIED || outcome == Outcome.STALE)
          && newest.commitBearing
          && newest.event.fromChangeLog()) {
        long nanos =
            Duration.between(newest.event.committedAt(), settings.clock().instant()).toNanos();
        newest.freshnessNanos = Math.max(0, nanos);
        freshness.record(newest.freshnessNanos, System.nanoTime());
      }
      s.lock.lock();
      try {
        for (Entry e : item.superseded()) {
          s.settleLocked(e, Outcome.COALESCED);
        }
        s.settleLocked(item.newest(), outcome);
        s.scheduler.finished(item, outcome == Outcome.APPLIED, System.nanoTime());
        s.dispatchable.signal();
      } finally {
        s.lock.unlock();
      }
    }
  }
}
