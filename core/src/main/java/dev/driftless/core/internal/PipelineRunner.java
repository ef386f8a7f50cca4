package dev.driftless.core.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.PipelineStatus.State;
import dev.driftless.core.RetriableException;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.spi.SinkContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 *       events and bytes), hands events to the {@link EventIntake}, commits the settled position,
 *       and calls {@code keepAlive} while the pipeline is full.
 *   <li>The <b>dispatch thread</b> runs the {@link Dispatcher}: the {@link KeyScheduler} forms
 *       batches from keys that have pending events and no write in flight, within the adaptive
 *       concurrency limit.
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
 * <p>The state the threads share, and its one lock, is the {@link RunnerState}'s; this class keeps
 * the threads and the lifecycle. The parts and the state each owns are described in {@code
 * docs/architecture.md}.
 */
public final class PipelineRunner implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineRunner.class);

  private final PipelineSettings settings;
  private final Clock clock;
  private final RunnerState s;
  private final OutagePolicy outagePolicy;
  private final SourceOutage sourceOutage;
  private final DeadLetterer deadLetterer;
  private final EventIntake intake;
  private final RepairCoordinator repairs;
  private final Listeners listeners;
  private final FreshnessWindow freshness = new FreshnessWindow(System.nanoTime());

  // Set by start() before any of the runner's threads starts (Thread.start publishes them), and
  // never changed afterwards.
  private @Nullable Thread pollThread;
  private @Nullable Thread dispatchThread;
  private @Nullable Thread sinkStartThread;
  private @Nullable ExecutorService writers;

  private final CountDownLatch terminated = new CountDownLatch(1);

  public PipelineRunner(PipelineSettings settings) {
    this.settings = settings;
    this.clock = settings.clock();
    this.s =
        new RunnerState(
            new AdaptiveLimit(settings.parallelism(), settings.retry().initialDelay().toNanos()));
    this.outagePolicy = OutagePolicy.of(settings.retry(), settings.outageDeadline());
    this.listeners = new Listeners(settings.name(), settings.listeners());
    this.sourceOutage = new SourceOutage(outagePolicy, clock, listeners);
    this.deadLetterer =
        new DeadLetterer(settings.name(), settings.deadLetterStore(), clock, this::fail, listeners);
    this.intake = new EventIntake(settings, s, deadLetterer, sourceOutage, this::fail, listeners);
    this.repairs =
        new RepairCoordinator(
            settings,
            new RepairCoordinator.Intake() {
              @Override
              public void requireRunning() {
                s.requireRunning(settings.name());
              }

              @Override
              public void accept(ChangeEvent event, ReplayTicket ticket)
                  throws InterruptedException {
                intake.accept(event, false, ticket);
              }
            });
  }

  // ---------------------------------------------------------------- lifecycle

  /** Starts the sink, then the source, then the threads. */
  public void start() {
    s.lock.lock();
    try {
      if (s.state != State.NEW) {
        throw new IllegalStateException("pipeline " + settings.name() + " was already started");
      }
      s.state = State.RUNNING;
    } finally {
      s.lock.unlock();
    }
    SinkContext sinkContext = RunnerContexts.sink(settings);
    boolean sinkStarted = false;
    try {
      try {
        settings.sink().start(sinkContext);
        sinkStarted = true;
      } catch (RetriableException e) { // Failures: an outage; anything else fails the start
        // The index is unreachable right now (a rolling restart, or the application started
        // first): an outage like any other, retried in the background; nothing is written before.
        LOG.info(
            "Pipeline {}: starting without the sink; it is retried meanwhile", settings.name());
        if (s.sinkOutage(e)) {
          listeners.outageStarted(PipelineListener.Side.SINK, e);
        }
      }
      settings.source().start(RunnerContexts.source(settings, outagePolicy, intake));
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
    ExecutorService w = Executors.newFixedThreadPool(settings.parallelism(), writerThreads);
    writers = w;
    Thread poll =
        new Thread(
            new SourcePoller(settings, outagePolicy, sourceOutage, intake, listeners),
            threadName("poll"));
    Thread dispatch =
        new Thread(
            new Dispatcher(
                settings, s, outagePolicy, deadLetterer, w, this::fail, listeners, freshness),
            threadName("dispatch"));
    poll.setDaemon(true);
    dispatch.setDaemon(true);
    pollThread = poll;
    dispatchThread = dispatch;
    if (sinkStarted) {
      s.sinkStarted(); // no outage before: nothing to tell
    } else {
      Thread retry = new Thread(sinkStartRetry(sinkContext), threadName("sink-start"));
      retry.setDaemon(true);
      sinkStartThread = retry;
      retry.start();
    }
    poll.start();
    dispatch.start();
    LOG.info("Pipeline {} started", settings.name());
    listeners.tell("started", l -> l.started(settings.name()));
  }

  private SinkStartRetry sinkStartRetry(SinkContext sinkContext) {
    return new SinkStartRetry(
        settings.sink(),
        sinkContext,
        outagePolicy,
        new SinkStartRetry.Listener() {
          @Override
          public void retrying(Throwable cause) {
            if (s.sinkOutage(cause)) {
              listeners.outageStarted(PipelineListener.Side.SINK, cause);
            }
            listeners.tell(
                "retrying", l -> l.retrying(settings.name(), PipelineListener.Side.SINK, cause));
          }

          @Override
          public void started() {
            LOG.info("Pipeline {}: the sink started; writing begins", settings.name());
            Duration lasted = s.sinkStarted();
            if (lasted != null) {
              listeners.outageEnded(PipelineListener.Side.SINK, lasted);
            }
          }

          @Override
          public void failed(DriftlessException cause) {
            fail(cause);
          }

          @Override
          public boolean stopping() {
            return s.stopping() || s.draining();
          }
        });
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

  /** See {@link dev.driftless.core.Pipeline#awaitCaughtUp}. */
  public boolean awaitCaughtUp(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    s.requireRunning(settings.name());
    SourcePosition head =
        settings
            .source()
            .head()
            .orElseThrow(
                () ->
                    new UnsupportedOperationException(
                        "source "
                            + settings.source().getClass().getName()
                            + " cannot tell its head position"));
    while (!settings.source().reached(head)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      s.lock.lock();
      try {
        if (s.state != State.RUNNING) {
          return false;
        }
        // Commits wake this; the source's own progress (a keepalive confirming the server's WAL
        // end) does not, so look again at least every 10 ms.
        s.changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
      } finally {
        s.lock.unlock();
      }
    }
    return true;
  }

  /** The pipeline's listeners (see {@link dev.driftless.core.PipelineListener}). */
  public Listeners listeners() {
    return listeners;
  }

  /**
   * Waits until every event received so far is settled, or the pipeline stopped. Note that events
   * the source has not yet returned are not "received".
   */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    return s.awaitIdle(timeout);
  }

  /**
   * Simulates a crash: stops every thread at once, without draining or committing, and closes the
   * source and sink. What was committed before stays committed; everything else is replayed by the
   * next run.
   */
  public void halt() {
    s.lock.lock();
    try {
      if (s.state == State.STOPPED || s.state == State.FAILED) {
        return;
      }
      s.state = State.STOPPED;
      s.wakeAllLocked();
    } finally {
      s.lock.unlock();
    }
    repairs.stop("pipeline " + settings.name() + " halted");
    stopThreads();
    closeQuietly();
    terminated.countDown();
    PipelineStatus last = status();
    listeners.tell("stopped", l -> l.stopped(settings.name(), last));
  }

  /** Drains (up to the drain timeout), commits, and closes the source and sink. Idempotent. */
  @Override
  public void close() {
    s.lock.lock();
    try {
      if (s.closing) {
        return;
      }
      s.closing = true;
      if (s.state == State.NEW) {
        s.state = State.STOPPED;
        repairs.stop("pipeline " + settings.name() + " was closed before it started");
        terminated.countDown();
        return;
      }
      if (s.state == State.RUNNING) {
        s.state = State.DRAINING;
      }
      s.wakeAllLocked();
    } finally {
      s.lock.unlock();
    }
    Thread poll = pollThread;
    try {
      if (poll != null) {
        poll.join(TimeUnit.SECONDS.toMillis(5) + settings.drainTimeout().toMillis());
      }
      awaitDrained();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    s.lock.lock();
    try {
      if (s.state == State.DRAINING) {
        s.state = State.STOPPED;
      }
      s.wakeAllLocked();
    } finally {
      s.lock.unlock();
    }
    // What the drain did not settle in time is replayed by the next run; its repairs fail now.
    repairs.stop("pipeline " + settings.name() + " closed before the repaired key was written");
    stopThreads();
    intake.commitSettled();
    closeQuietly();
    terminated.countDown();
    PipelineStatus last = status();
    LOG.info("Pipeline {} stopped: {}", settings.name(), last.summary());
    if (last.state() == State.STOPPED) {
      listeners.tell("stopped", l -> l.stopped(settings.name(), last));
    }
  }

  /** While draining, waits up to the drain timeout for the events in flight to settle. */
  private void awaitDrained() throws InterruptedException {
    long deadline = System.nanoTime() + settings.drainTimeout().toNanos();
    s.lock.lock();
    try {
      // A sink that never started cannot drain anything: its events are replayed by the next run.
      while (s.state == State.DRAINING && s.ledger.inFlightEvents() > 0 && s.sinkStarted) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          LOG.warn(
              "Pipeline {}: drain timeout {} reached with {} events in flight; they will be"
                  + " replayed by the next run",
              settings.name(),
              settings.drainTimeout(),
              s.ledger.inFlightEvents());
          return;
        }
        s.changed.awaitNanos(left);
      }
    } finally {
      s.lock.unlock();
    }
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
    if (!s.fail(cause)) {
      return;
    }
    LOG.error("Pipeline {} failed", settings.name(), cause);
    listeners.tell("failed", l -> l.failed(settings.name(), cause));
    repairs.stop("pipeline " + settings.name() + " failed: " + cause);
    if (pollThread == null) {
      return; // failed while starting: the caller cleans up
    }
    Thread stopper =
        new Thread(
            () -> {
              stopThreads();
              intake.commitSettled();
              closeQuietly();
              terminated.countDown();
            },
            threadName("stopper"));
    stopper.setDaemon(true);
    stopper.start();
  }

  public Optional<Throwable> failure() {
    return s.failure();
  }

  // ---------------------------------------------------------------- status

  public String name() {
    return settings.name();
  }

  public PipelineStatus status() {
    PipelineStatus.Builder b = PipelineStatus.builder();
    try {
      b.source(settings.source().statusDetails());
    } catch (RuntimeException e) {
      b.source(Map.of("statusError", String.valueOf(e.getMessage())));
    }
    b.sourceOutage(sourceOutage.describe());
    b.freshness(freshness.snapshot(System.nanoTime()));
    Instant now = clock.instant();
    s.lock.lock();
    try {
      Throwable f = s.failure;
      s.ledger.status(b, now);
      b.state(s.state);
      b.concurrencyLimit(s.limit.concurrency());
      b.failure(f == null ? null : String.valueOf(f.getMessage()));
      b.sinkOutage(s.sinkOutage);
    } finally {
      s.lock.unlock();
    }
    return b.build();
  }

  /** The most events ever in flight at once. */
  public long peakInFlightEvents() {
    return s.peakInFlightEvents();
  }

  /** The most estimated bytes ever in flight at once. */
  public long peakInFlightBytes() {
    return s.peakInFlightBytes();
  }

  // ---------------------------------------------------------------- repair and replay

  /** See {@link dev.driftless.core.Pipeline#repair(Collection)}. */
  public Pipeline.RepairResult repair(Collection<DocumentKey> keys) throws InterruptedException {
    return repairs.repair(keys);
  }

  /** See {@link dev.driftless.core.Pipeline#replayDeadLetters(int)}. */
  public Pipeline.ReplayResult replayDeadLetters(int max) throws InterruptedException {
    return repairs.replayDeadLetters(max);
  }
}
