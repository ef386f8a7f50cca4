package dev.driftless.core.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.driftless.core.PipelineStatus.State;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The runner's shared state and the one lock that guards it: the lifecycle state, the parts that
 * are not thread-safe ({@link KeyScheduler}, {@link SettleLedger}, {@link AdaptiveLimit}), and what
 * the threads tell each other (batches in flight, the sink's start and outage, the first failure).
 * Every field is {@code @GuardedBy("lock")}, checked by Error Prone; the runner's parts ({@link
 * Dispatcher}, {@link EventIntake}, {@link PipelineRunner}) take the lock around what they read or
 * change.
 */
final class RunnerState {
  final ReentrantLock lock = new ReentrantLock();

  /** Signalled on every change of state, settlement or capacity. */
  final Condition changed = lock.newCondition();

  /** Signalled when the dispatcher may have a batch to form; only it waits here. */
  final Condition dispatchable = lock.newCondition();

  @GuardedBy("lock")
  final KeyScheduler scheduler = new KeyScheduler();

  @GuardedBy("lock")
  final SettleLedger ledger = new SettleLedger();

  @GuardedBy("lock")
  final AdaptiveLimit limit;

  @GuardedBy("lock")
  State state = State.NEW;

  /** Batches handed to writer threads and not yet finished. */
  @GuardedBy("lock")
  int activeBatches;

  @GuardedBy("lock")
  @Nullable Throwable failure;

  /** Whether the poll loop ended: nothing more arrives, so lingering for a fuller batch is moot. */
  @GuardedBy("lock")
  boolean pollStopped;

  /** Whether the sink's start returned; until then nothing is written. */
  @GuardedBy("lock")
  boolean sinkStarted;

  /** Why the sink is unavailable, while the pipeline retries it. */
  @GuardedBy("lock")
  @Nullable String sinkOutage;

  /** When the sink's outage started (nanoTime), while {@link #sinkOutage} is set. */
  @GuardedBy("lock")
  long sinkOutageSinceNanos;

  @GuardedBy("lock")
  boolean closing;

  RunnerState(AdaptiveLimit limit) {
    this.limit = limit;
  }

  /** Wakes every waiter: state, settlement, capacity or dispatchability changed. */
  @GuardedBy("lock")
  void wakeAllLocked() {
    changed.signalAll();
    dispatchable.signalAll();
  }

  /** Settles one event; settling frees room and may make the pipeline idle, it forms no batch. */
  @GuardedBy("lock")
  void settleLocked(Entry entry, Outcome outcome) {
    ledger.settle(entry, outcome);
    changed.signalAll();
  }

  /** Whether the pipeline is stopping: halted or failed. */
  boolean stopping() {
    lock.lock();
    try {
      return state == State.STOPPED || state == State.FAILED;
    } finally {
      lock.unlock();
    }
  }

  boolean draining() {
    lock.lock();
    try {
      return state == State.DRAINING;
    } finally {
      lock.unlock();
    }
  }

  /**
   * @throws IllegalStateException unless the pipeline runs
   */
  void requireRunning(String pipeline) {
    lock.lock();
    try {
      if (state != State.RUNNING) {
        throw new IllegalStateException("pipeline " + pipeline + " is not running: " + state);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * The sink started: writing may go on. Returns how long the outage before lasted, or {@code null}
   * if there was none.
   */
  @Nullable Duration sinkStarted() {
    lock.lock();
    try {
      sinkStarted = true;
      wakeAllLocked();
      return sinkAnsweredLocked();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Records why the sink is unavailable, for the status; returns whether this starts an outage
   * (none was recorded).
   */
  boolean sinkOutage(Throwable cause) {
    lock.lock();
    try {
      return sinkOutageLocked(cause);
    } finally {
      lock.unlock();
    }
  }

  @GuardedBy("lock")
  boolean sinkOutageLocked(Throwable cause) {
    boolean starts = sinkOutage == null;
    if (starts) {
      sinkOutageSinceNanos = System.nanoTime();
    }
    sinkOutage = String.valueOf(cause);
    return starts;
  }

  /** The sink answered: returns how long its outage lasted, or {@code null} if there was none. */
  @Nullable Duration sinkAnswered() {
    lock.lock();
    try {
      return sinkAnsweredLocked();
    } finally {
      lock.unlock();
    }
  }

  @GuardedBy("lock")
  private @Nullable Duration sinkAnsweredLocked() {
    if (sinkOutage == null) {
      return null;
    }
    sinkOutage = null;
    return Duration.ofNanos(System.nanoTime() - sinkOutageSinceNanos);
  }

  /**
   * Records the first failure and moves the pipeline to FAILED; false if it had already stopped or
   * failed (the failure is still recorded if it is the first).
   */
  boolean fail(Throwable cause) {
    lock.lock();
    try {
      if (failure == null) {
        failure = cause;
      }
      if (state == State.FAILED || state == State.STOPPED) {
        return false;
      }
      state = State.FAILED;
      wakeAllLocked();
      return true;
    } finally {
      lock.unlock();
    }
  }

  Optional<Throwable> failure() {
    lock.lock();
    try {
      return Optional.ofNullable(failure);
    } finally {
      lock.unlock();
    }
  }

  /** Waits until every event received so far is settled, or the pipeline no longer runs. */
  boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (state == State.RUNNING && !ledger.idle()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        changed.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  long peakInFlightEvents() {
    lock.lock();
    try {
      return ledger.peakInFlightEvents();
    } finally {
      lock.unlock();
    }
  }

  long peakInFlightBytes() {
    lock.lock();
    try {
      return ledger.peakInFlightBytes();
    } finally {
      lock.unlock();
    }
  }
}
