package dev.driftless.core.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.PipelineStatus.State;
import dev.driftless.core.RetriableException;
import java.util.List;
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

  Dispatcher(
      PipelineSettings settings,
      RunnerState state,
      OutagePolicy policy,
      DeadLetterer deadLetterer,
      ExecutorService writers,
      Consumer<Throwable> fail) {
    this.settings = settings;
    this.s = state;
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
      throttled = writer.write(batch);
      s.sinkOutage(null); // the sink answered
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

  /** The writer's view of the runner: stopping, retries, and settling written items. */
  private final class WriterCallbacks implements BatchWriter.Callbacks {
    @Override
    public boolean stopping() {
      return s.stopping();
    }

    @Override
    public void retrying(Throwable cause) {
      s.lock.lock();
      try {
        s.ledger.countRetry();
        s.sinkOutage = String.valueOf(cause);
        if (cause instanceof RetriableException r && r.throttled()) {
          s.limit.onThrottled(System.nanoTime());
        }
      } finally {
        s.lock.unlock();
      }
    }

    @Override
    public void finished(KeyScheduler.Item item, Outcome outcome) {
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
