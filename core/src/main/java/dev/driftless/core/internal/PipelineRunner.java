package dev.driftless.core.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.PipelineStatus.State;
import dev.driftless.core.RetriableException;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.SourceContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's engine.
 *
 * <h2>Threads</h2>
 *
 * <ul>
 *   <li>The <b>poll thread</b> runs the {@link SourcePoller}: it polls when there is room (in
 *       events and bytes), hands events to the runner, commits the settled position, and calls
 *       {@code keepAlive} while the pipeline is full.
 *   <li>The <b>dispatch thread</b> has the {@link KeyScheduler} form batches from keys that have
 *       pending events and no write in flight, within the adaptive concurrency limit.
 *   <li><b>Writer threads</b> (as many as the parallelism) write one batch each with the {@link
 *       BatchWriter}, then settle the batch's events in the {@link SettleLedger}.
 *   <li>Repairs and replays run on the caller's thread through the {@link RepairCoordinator}.
 * </ul>
 *
 * <h2>Bounds</h2>
 *
 * <p>Events received and not yet settled never exceed {@code maxInFlightEvents}; their estimated
 * bytes never exceed {@code maxInFlightBytes} plus one poll (at most {@code batchSize} events),
 * because the source is polled only while there is room left.
 *
 * <h2>Commit</h2>
 *
 * <p>Stream events are settled out of order (different keys finish at different times); the
 * committed position is that of the last event of the longest settled prefix, in arrival order.
 *
 * <p>The parts and the state each owns are described in {@code docs/architecture.md}.
 */
public final class PipelineRunner implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineRunner.class);

  private final PipelineSettings settings;
  private final Clock clock;
  private final java.util.List<Runnable> resyncListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final ReentrantLock lock = new ReentrantLock();

  /** Signalled on every change of state, settlement or capacity. */
  private final Condition changed = lock.newCondition();

  /** Signalled when the dispatcher may have a batch to form; only it waits here. */
  private final Condition dispatchable = lock.newCondition();

  @GuardedBy("lock")
  private final KeyScheduler scheduler = new KeyScheduler();

  @GuardedBy("lock")
  private final SettleLedger ledger = new SettleLedger();

  @GuardedBy("lock")
  private final AdaptiveLimit limit;

  private final RepairCoordinator repairs;
  private final OutagePolicy outagePolicy;
  private final SourceOutage sourceOutage;
  private final DeadLetterer deadLetterer;
  private final BatchWriter writer;

  @GuardedBy("lock")
  private State state = State.NEW;

  @GuardedBy("lock")
  private int activeBatches;

  @GuardedBy("lock")
  private @Nullable Throwable failure;

  @GuardedBy("lock")
  private boolean pollStopped;

  /** Whether the sink's start returned; until then nothing is written. */
  @GuardedBy("lock")
  private boolean sinkStarted;

  /** Why the sink is unavailable, while the pipeline retries it. */
  @GuardedBy("lock")
  private @Nullable String sinkOutage;

  // Set by start() before any of the runner's threads starts (Thread.start publishes them), and
  // never changed afterwards.
  private @Nullable Thread pollThread;
  private @Nullable Thread dispatchThread;
  private @Nullable Thread sinkStartThread;
  private @Nullable ExecutorService writers;

  private final java.util.concurrent.CountDownLatch terminated =
      new java.util.concurrent.CountDownLatch(1);

  @GuardedBy("lock")
  private boolean closing;

  public PipelineRunner(PipelineSettings settings) {
    this.settings = settings;
    this.clock = settings.clock();
    this.limit =
        new AdaptiveLimit(settings.parallelism(), settings.retry().initialDelay().toNanos());
    this.outagePolicy = OutagePolicy.of(settings.retry(), settings.outageDeadline());
    this.sourceOutage = new SourceOutage(outagePolicy, clock);
    this.deadLetterer =
        new DeadLetterer(settings.name(), settings.deadLetterStore(), clock, this::fail);
    this.writer =
        new BatchWriter(settings.sink(), outagePolicy, deadLetterer, new WriterCallbacks());
    this.repairs =
        new RepairCoordinator(
            settings,
            new RepairCoordinator.Intake() {
              @Override
              public void requireRunning() {
                PipelineRunner.this.requireRunning();
              }

              @Override
              public void accept(ChangeEvent event, ReplayTicket ticket)
                  throws InterruptedException {
                PipelineRunner.this.accept(event, false, ticket);
              }
            });
  }

  // ---------------------------------------------------------------- lifecycle

  /** Starts the sink, then the source, then the threads. */
  public void start() {
    lock.lock();
    try {
      if (state != State.NEW) {
        throw new IllegalStateException("pipeline " + settings.name() + " was already started");
      }
      state = State.RUNNING;
    } finally {
      lock.unlock();
    }
    SinkContext sinkContext = RunnerContexts.sink(settings);
    boolean sinkStarted = false;
    try {
      try {
        settings.sink().start(sinkContext);
        sinkStarted = true;
      } catch (RetriableException e) {
        // The index is unreachable right now (a rolling restart, or the application started
        // first): an outage like any other, retried in the background; nothing is written before.
        LOG.warn(
            "Pipeline {}: the sink is unavailable ({}); starting anyway and retrying it with"
                + " backoff",
            settings.name(),
            e.toString());
        recordSinkOutage(e);
      }
      settings
          .source()
          .start(
              RunnerContexts.source(
                  settings,
                  outagePolicy,
                  new RunnerContexts.SourceCallbacks() {
                    @Override
                    public void resynced() {
                      notifyResynced();
                    }

                    @Override
                    public void deadLetter(DeadLetter letter) throws Exception {
                      storeUnreadable(letter);
                    }

                    @Override
                    public void outageStarted(Throwable cause) {
                      LOG.warn(
                          "Pipeline {}: the source reports an outage: {}",
                          settings.name(),
                          cause.toString());
                      sourceOutage.reported(cause);
                    }

                    @Override
                    public void outageEnded() {
                      sourceOutage.reportedEnded();
                    }
                  }));
    } catch (Exception e) {
      fail(new DriftlessException("pipeline " + settings.name() + " failed to start: " + e, e));
      closeQuietly();
      terminated.countDown();
      throw (DriftlessException) requireFailure();
    }
    AtomicInteger writerIds = new AtomicInteger();
    ThreadFactory writerThreads =
        r -> {
          Thread t = new Thread(r, threadName("writer-" + writerIds.incrementAndGet()));
          t.setDaemon(true);
          return t;
        };
    writers = Executors.newFixedThreadPool(settings.parallelism(), writerThreads);
    Thread poll =
        new Thread(
            new SourcePoller(settings, outagePolicy, sourceOutage, new PollGate()),
            threadName("poll"));
    Thread dispatch = new Thread(this::dispatchLoop, threadName("dispatch"));
    poll.setDaemon(true);
    dispatch.setDaemon(true);
    pollThread = poll;
    dispatchThread = dispatch;
    if (sinkStarted) {
      markSinkStarted();
    } else {
      Thread retry =
          new Thread(
              new SinkStartRetry(
                  settings.sink(),
                  sinkContext,
                  outagePolicy,
                  new SinkStartRetry.Listener() {
                    @Override
                    public void retrying(Throwable cause) {
                      recordSinkOutage(cause);
                    }

                    @Override
                    public void started() {
                      LOG.info("Pipeline {}: the sink started; writing begins", settings.name());
                      markSinkStarted();
                    }

                    @Override
                    public void failed(DriftlessException cause) {
                      fail(cause);
                    }

                    @Override
                    public boolean stopping() {
                      return isStopping() || isDraining();
                    }
                  }),
              threadName("sink-start"));
      retry.setDaemon(true);
      sinkStartThread = retry;
      retry.start();
    }
    poll.start();
    dispatch.start();
    LOG.info("Pipeline {} started", settings.name());
  }

  /** Lets the dispatcher write: the sink has started. */
  private void markSinkStarted() {
    lock.lock();
    try {
      sinkStarted = true;
      sinkOutage = null;
      wakeAllLocked();
    } finally {
      lock.unlock();
    }
  }

  /** Records why the sink is unavailable, for {@link #status()}. */
  private void recordSinkOutage(Throwable cause) {
    lock.lock();
    try {
      sinkOutage = String.valueOf(cause);
    } finally {
      lock.unlock();
    }
  }

  private boolean isDraining() {
    lock.lock();
    try {
      return state == State.DRAINING;
    } finally {
      lock.unlock();
    }
  }

  private Throwable requireFailure() {
    Throwable f = failure().orElse(null);
    if (f == null) {
      throw new IllegalStateException("no failure recorded");
    }
    return f;
  }

  private String threadName(String role) {
    return "driftless-" + settings.name() + "-" + role;
  }

  /** Waits until the pipeline stopped. */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Waits until every event received so far is settled and the settled position is committed, or
   * the pipeline stopped. Note that events the source has not yet returned are not "received".
   */
  /** Adds a listener for {@link SourceContext#resynced}; the returned handle removes it. */
  public AutoCloseable onSourceResynced(Runnable listener) {
    resyncListeners.add(listener);
    return () -> resyncListeners.remove(listener);
  }

  private void notifyResynced() {
    LOG.info(
        "Pipeline {}: the source resynced from scratch; telling {} listener(s)",
        settings.name(),
        resyncListeners.size());
    for (Runnable listener : resyncListeners) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        LOG.warn("A resync listener of pipeline {} failed", settings.name(), e);
      }
    }
  }

  public boolean awaitIdle(Duration timeout) throws InterruptedException {
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

  /**
   * Simulates a crash: stops every thread at once, without draining or committing, and closes the
   * source and sink. What was committed before stays committed; everything else is replayed by the
   * next run.
   */
  public void halt() {
    lock.lock();
    try {
      if (state == State.STOPPED || state == State.FAILED) {
        return;
      }
      state = State.STOPPED;
      wakeAllLocked();
    } finally {
      lock.unlock();
    }
    repairs.stop("pipeline " + settings.name() + " halted");
    stopThreads();
    closeQuietly();
    terminated.countDown();
  }

  /** Drains (up to the drain timeout), commits, and closes the source and sink. Idempotent. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closing) {
        return;
      }
      closing = true;
      if (state == State.NEW) {
        state = State.STOPPED;
        repairs.stop("pipeline " + settings.name() + " was closed before it started");
        terminated.countDown();
        return;
      }
      if (state == State.RUNNING) {
        state = State.DRAINING;
      }
      wakeAllLocked();
    } finally {
      lock.unlock();
    }
    Thread poll = pollThread;
    try {
      if (poll != null) {
        poll.join(TimeUnit.SECONDS.toMillis(5) + settings.drainTimeout().toMillis());
      }
      long deadline = System.nanoTime() + settings.drainTimeout().toNanos();
      lock.lock();
      try {
        // A sink that never started cannot drain anything: its events are replayed by the next run.
        while (state == State.DRAINING && ledger.inFlightEvents() > 0 && sinkStarted) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            LOG.warn(
                "Pipeline {}: drain timeout {} reached with {} events in flight; they will be"
                    + " replayed by the next run",
                settings.name(),
                settings.drainTimeout(),
                ledger.inFlightEvents());
            break;
          }
          changed.awaitNanos(left);
        }
      } finally {
        lock.unlock();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    lock.lock();
    try {
      if (state == State.DRAINING) {
        state = State.STOPPED;
      }
      wakeAllLocked();
    } finally {
      lock.unlock();
    }
    // What the drain did not settle in time is replayed by the next run; its repairs fail now.
    repairs.stop("pipeline " + settings.name() + " closed before the repaired key was written");
    stopThreads();
    commitSettled();
    closeQuietly();
    terminated.countDown();
    LOG.info("Pipeline {} stopped: {}", settings.name(), status().summary());
  }

  private void stopThreads() {
    Thread self = Thread.currentThread();
    for (Thread t : new Thread[] {pollThread, dispatchThread, sinkStartThread}) {
      if (t != null && t != self) {
        t.interrupt();
      }
    }
    ExecutorService w = writers;
    if (w != null) {
      w.shutdownNow();
    }
    try {
      for (Thread t : new Thread[] {pollThread, dispatchThread, sinkStartThread}) {
        if (t != null && t != self) {
          t.join(5_000);
        }
      }
      if (w != null && !w.awaitTermination(5, TimeUnit.SECONDS)) {
        LOG.warn("Pipeline {}: writer threads did not stop within 5 s", settings.name());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeQuietly() {
    try {
      settings.source().close();
    } catch (Exception e) {
      LOG.warn("Pipeline {}: closing the source failed", settings.name(), e);
    }
    try {
      settings.sink().close();
    } catch (Exception e) {
      LOG.warn("Pipeline {}: closing the sink failed", settings.name(), e);
    }
  }

  /** Records the first failure and stops the pipeline's threads (asynchronously). */
  private void fail(Throwable cause) {
    lock.lock();
    try {
      if (failure == null) {
        failure = cause;
      }
      if (state == State.FAILED || state == State.STOPPED) {
        return;
      }
      state = State.FAILED;
      wakeAllLocked();
    } finally {
      lock.unlock();
    }
    LOG.error("Pipeline {} failed", settings.name(), cause);
    repairs.stop("pipeline " + settings.name() + " failed: " + cause);
    if (pollThread == null) {
      return; // failed while starting: the caller cleans up
    }
    Thread stopper =
        new Thread(
            () -> {
              stopThreads();
              commitSettled();
              closeQuietly();
              terminated.countDown();
            },
            threadName("stopper"));
    stopper.setDaemon(true);
    stopper.start();
  }

  public Optional<Throwable> failure() {
    lock.lock();
    try {
      return Optional.ofNullable(failure);
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- status

  public PipelineStatus status() {
    Map<String, Object> details;
    try {
      details = settings.source().statusDetails();
    } catch (RuntimeException e) {
      details = Map.of("statusError", String.valueOf(e.getMessage()));
    }
    StatusBuilder b = new StatusBuilder();
    b.source = details;
    b.sourceOutage = sourceOutage.describe();
    Instant now = clock.instant();
    lock.lock();
    try {
      Throwable f = failure;
      ledger.status(b, now);
      b.state = state;
      b.concurrencyLimit = limit.concurrency();
      b.failure = f == null ? null : String.valueOf(f.getMessage());
      b.sinkOutage = sinkOutage;
    } finally {
      lock.unlock();
    }
    return b.build();
  }

  /** The most events ever in flight at once. */
  public long peakInFlightEvents() {
    lock.lock();
    try {
      return ledger.peakInFlightEvents();
    } finally {
      lock.unlock();
    }
  }

  /** The most estimated bytes ever in flight at once. */
  public long peakInFlightBytes() {
    lock.lock();
    try {
      return ledger.peakInFlightBytes();
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- polling

  /** The poll loop's view of the runner. */
  private final class PollGate implements SourcePoller.Gate {
    @Override
    public int awaitRoom(long maxWaitNanos) throws InterruptedException {
      lock.lock();
      try {
        if (state != State.RUNNING) {
          return -1;
        }
        int room =
            ledger.room(
                settings.maxInFlightEvents(), settings.maxInFlightBytes(), settings.batchSize());
        if (room == 0) {
          changed.await(maxWaitNanos, TimeUnit.NANOSECONDS);
        }
        return room;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public int awaitNothingInFlight(long maxWaitNanos) throws InterruptedException {
      lock.lock();
      try {
        if (state != State.RUNNING) {
          return -1;
        }
        if (ledger.inFlightEvents() == 0) {
          return 1;
        }
        changed.await(maxWaitNanos, TimeUnit.NANOSECONDS);
        return 0;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public boolean quietAndUncommitted() {
      lock.lock();
      try {
        return ledger.inFlightEvents() == 0 && ledger.uncommitted();
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void commitSettled() {
      PipelineRunner.this.commitSettled();
    }

    @Override
    public void accept(ChangeEvent event) throws InterruptedException {
      PipelineRunner.this.accept(event, true, null);
    }

    @Override
    public boolean stopping() {
      return isStopping();
    }

    @Override
    public void failed(Throwable cause) {
      fail(cause);
    }

    @Override
    public void ended() {
      lock.lock();
      try {
        pollStopped = true;
        wakeAllLocked();
      } finally {
        lock.unlock();
      }
    }
  }

  private boolean isStopping() {
    lock.lock();
    try {
      return state == State.STOPPED || state == State.FAILED;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Maps one event and hands it to the scheduler (or dead-letters it if the mapper fails). Called
   * from the poll thread, and from a replay.
   */
  private void accept(ChangeEvent raw, boolean commitBearing, @Nullable ReplayTicket ticket)
      throws InterruptedException {
    ChangeEvent mapped;
    String mapError = null;
    String mapErrorType = null;
    try {
      mapped = EventMapping.map(settings.mapper(), raw);
    } catch (Exception e) {
      mapped = raw;
      mapErrorType = "mapper:" + e.getClass().getName();
      mapError = String.valueOf(e.getMessage());
    }
    Entry entry;
    lock.lock();
    try {
      entry = ledger.receive(mapped, commitBearing, ticket);
      if (mapError == null) {
        scheduler.add(entry, System.nanoTime());
        // Only the dispatcher can act on a new event: waking every waiter per event is costly.
        dispatchable.signal();
      }
    } finally {
      lock.unlock();
    }
    if (mapError != null && mapErrorType != null) {
      entry.attempts = 1;
      // The raw row may hold columns the mapper drops (a password hash): its letter keeps what a
      // replay needs (key, version, position) and the error, never the row.
      Outcome outcome = deadLetterer.deadLetter(entry, mapErrorType, mapError, false);
      if (outcome != null) {
        lock.lock();
        try {
          settleLocked(entry, outcome);
        } finally {
          lock.unlock();
        }
      }
    }
  }

  // ---------------------------------------------------------------- dispatching

  private void dispatchLoop() {
    try {
      while (true) {
        List<KeyScheduler.Item> batch;
        lock.lock();
        try {
          while (true) {
            if (state == State.STOPPED || state == State.FAILED) {
              return;
            }
            if (sinkStarted && scheduler.hasReady() && activeBatches < limit.concurrency()) {
              long lingerLeft = lingerLeftNanos();
              if (lingerLeft <= 0) {
                break;
              }
              dispatchable.awaitNanos(lingerLeft);
            } else {
              dispatchable.await();
            }
          }
          SettleLedger settle = ledger; // formBatch runs the settler now, under this lock
          long inFlight = settle.inFlightEvents();
          batch =
              scheduler.formBatch(
                  limit.batchSize(settings.batchSize()),
                  settings.batchBytes(),
                  System.nanoTime(),
                  settle::settle);
          if (ledger.inFlightEvents() != inFlight) {
            changed.signalAll(); // skipped stale keys settled: room, or idle
          }
          if (batch.isEmpty()) {
            continue;
          }
          activeBatches++;
        } finally {
          lock.unlock();
        }
        ExecutorService w = writers;
        if (w == null) {
          return;
        }
        List<KeyScheduler.Item> toWrite = batch;
        w.execute(() -> writeBatch(toWrite));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable e) {
      fail(new DriftlessException("dispatcher failed: " + e, e));
    }
  }

  /** How long the ready keys may still wait for a fuller batch; zero or less means go. */
  @GuardedBy("lock")
  private long lingerLeftNanos() {
    if (state != State.RUNNING || pollStopped) {
      return 0;
    }
    return scheduler.lingerLeftNanos(
        settings.linger().toNanos(), limit.batchSize(settings.batchSize()), System.nanoTime());
  }

  // ---------------------------------------------------------------- writing

  private void writeBatch(List<KeyScheduler.Item> batch) {
    boolean throttled = false;
    try {
      throttled = writer.write(batch);
      lock.lock();
      try {
        sinkOutage = null; // the sink answered
      } finally {
        lock.unlock();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable e) {
      fail(e instanceof DriftlessException ? e : new DriftlessException("writer failed: " + e, e));
    } finally {
      lock.lock();
      try {
        activeBatches--;
        if (!throttled) {
          limit.onSuccess();
        }
        wakeAllLocked();
      } finally {
        lock.unlock();
      }
    }
  }

  /** The writer's view of the runner: stopping, retries, and settling written items. */
  private final class WriterCallbacks implements BatchWriter.Callbacks {
    @Override
    public boolean stopping() {
      return isStopping();
    }

    @Override
    public void retrying(Throwable cause) {
      lock.lock();
      try {
        ledger.countRetry();
        sinkOutage = String.valueOf(cause);
        if (cause instanceof RetriableException r && r.throttled()) {
          limit.onThrottled(System.nanoTime());
        }
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void finished(KeyScheduler.Item item, Outcome outcome) {
      lock.lock();
      try {
        for (Entry e : item.superseded()) {
          settleLocked(e, Outcome.COALESCED);
        }
        settleLocked(item.newest(), outcome);
        scheduler.finished(item, outcome == Outcome.APPLIED, System.nanoTime());
        dispatchable.signal();
      } finally {
        lock.unlock();
      }
    }
  }

  /** A change the source could not read: stored at once, on the poll thread (see SourceContext). */
  private void storeUnreadable(DeadLetter letter) throws Exception {
    deadLetterer.storeUnreadable(letter);
    lock.lock();
    try {
      ledger.countUnreadable();
    } finally {
      lock.unlock();
    }
  }

  /** Wakes every waiter: state, settlement, capacity or dispatchability changed. */
  private void wakeAllLocked() {
    changed.signalAll();
    dispatchable.signalAll();
  }

  // ---------------------------------------------------------------- settling and committing

  @GuardedBy("lock")
  private void settleLocked(Entry entry, Outcome outcome) {
    ledger.settle(entry, outcome);
    changed.signalAll(); // settling frees room and may make the pipeline idle; it forms no batch
  }

  /** Commits the settled position to the source, if it moved. */
  private void commitSettled() {
    SourcePosition position;
    long events;
    lock.lock();
    try {
      position = ledger.commitCandidate();
      events = ledger.settledStreamEvents();
      if (position == null) {
        return;
      }
    } finally {
      lock.unlock();
    }
    try {
      settings.source().commit(position);
    } catch (Exception e) {
      LOG.warn(
          "Pipeline {}: committing position {} failed; will retry: {}",
          settings.name(),
          position.asString(),
          e.toString());
      return;
    }
    lock.lock();
    try {
      ledger.committed(position, events);
      wakeAllLocked();
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- replay

  /** See {@link dev.driftless.core.Pipeline#repair(Collection)}. */
  public Pipeline.RepairResult repair(Collection<DocumentKey> keys) throws InterruptedException {
    return repairs.repair(keys);
  }

  /** See {@link dev.driftless.core.Pipeline#replayDeadLetters(int)}. */
  public Pipeline.ReplayResult replayDeadLetters(int max) throws InterruptedException {
    return repairs.replayDeadLetters(max);
  }

  private void requireRunning() {
    lock.lock();
    try {
      if (state != State.RUNNING) {
        throw new IllegalStateException(
            "pipeline " + settings.name() + " is not running: " + state);
      }
    } finally {
      lock.unlock();
    }
  }
}
