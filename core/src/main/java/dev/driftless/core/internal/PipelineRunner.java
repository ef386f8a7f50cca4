package dev.driftless.core.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.ConfigurationException;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.PipelineStatus.State;
import dev.driftless.core.RetriableException;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.spi.WriteResult;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import dev.failsafe.RetryPolicyBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
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
 *   <li>The <b>poll thread</b> owns the source: it polls when there is room (in events and bytes),
 *       maps each row, hands events to the scheduler, commits the settled position, and calls
 *       {@code keepAlive} while the pipeline is full.
 *   <li>The <b>dispatch thread</b> forms batches from keys that have pending events and no write in
 *       flight, coalescing each key's pending changes to the newest, within the adaptive
 *       concurrency limit.
 *   <li><b>Writer threads</b> (as many as the parallelism) write one batch each, retrying outages
 *       with backoff and dead-lettering poison events, then settle the batch's events.
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
 */
public final class PipelineRunner implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineRunner.class);
  private static final Duration POLL_WAIT = Duration.ofMillis(100);
  private static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final PipelineSettings settings;
  private final Clock clock;
  private final java.util.List<Runnable> resyncListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final ReentrantLock lock = new ReentrantLock();

  /** Signalled on every change of state, settlement or capacity. */
  private final Condition changed = lock.newCondition();

  /** Signalled when the dispatcher may have a batch to form; only it waits here. */
  private final Condition dispatchable = lock.newCondition();

  // Guarded by lock.
  private final Map<DocumentKey, KeyQueue> keys = new HashMap<>();
  private final LinkedHashSet<KeyQueue> ready = new LinkedHashSet<>();
  private final ArrayDeque<Entry> unsettledStream = new ArrayDeque<>();
  private final AdaptiveLimit limit;
  private final RepairCoordinator repairs;
  private State state = State.NEW;
  private long nextSeq;
  private long inFlightEvents;
  private long inFlightBytes;
  private long peakInFlightEvents;
  private long peakInFlightBytes;
  private int activeBatches;

  /** Events waiting in key queues (ready or behind an in-flight write of their key). */
  private long pendingEvents;

  private long oldestReadySinceNanos;
  private @Nullable SourcePosition settledPosition;
  private long settledStreamEvents;
  private @Nullable SourcePosition committedPosition;
  private long committedStreamEvents;
  private long streamEventsReceived;
  private long received;
  private long applied;
  private long stale;
  private long deadLettered;
  private long coalesced;
  private long retries;
  private @Nullable Throwable failure;
  private boolean pollStopped;

  /** Whether the sink's start returned; until then nothing is written. Guarded by lock. */
  private boolean sinkStarted;

  /** Why the sink is unavailable, while the pipeline retries it. Guarded by lock. */
  private @Nullable String sinkOutage;

  private @Nullable Thread pollThread;
  private @Nullable Thread dispatchThread;
  private @Nullable Thread sinkStartThread;
  private @Nullable ExecutorService writers;
  private final java.util.concurrent.CountDownLatch terminated =
      new java.util.concurrent.CountDownLatch(1);
  private boolean closing;

  public PipelineRunner(PipelineSettings settings) {
    this.settings = settings;
    this.clock = settings.clock();
    this.limit =
        new AdaptiveLimit(settings.parallelism(), settings.retry().initialDelay().toNanos());
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
    SinkContext sinkContext =
        new SinkContext() {
          @Override
          public String pipelineName() {
            return settings.name();
          }

          @Override
          public int maxBatchEvents() {
            return settings.batchSize();
          }

          @Override
          public long maxBatchBytes() {
            return settings.batchBytes();
          }
        };
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
              new SourceContext() {
                @Override
                public String pipelineName() {
                  return settings.name();
                }

                @Override
                public CheckpointStore checkpointStore() {
                  return settings.checkpointStore();
                }

                @Override
                public boolean checkpointStoreConfigured() {
                  return !(settings.checkpointStore() instanceof DefaultCheckpointStore);
                }

                @Override
                public Clock clock() {
                  return clock;
                }

                @Override
                public void resynced() {
                  notifyResynced();
                }

                @Override
                public void deadLetter(DeadLetter letter) throws Exception {
                  storeUnreadable(letter);
                }
              });
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
    Thread poll = new Thread(this::pollLoop, threadName("poll"));
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
                  retryPolicy(),
                  settings.outageDeadline(),
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
    Throwable f = failure;
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
      while (state == State.RUNNING
          && (inFlightEvents > 0 || committedStreamEvents < streamEventsReceived)) {
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
        while (state == State.DRAINING && inFlightEvents > 0 && sinkStarted) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            LOG.warn(
                "Pipeline {}: drain timeout {} reached with {} events in flight; they will be"
                    + " replayed by the next run",
                settings.name(),
                settings.drainTimeout(),
                inFlightEvents);
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
    Instant now = clock.instant();
    lock.lock();
    try {
      Duration lagTime = Duration.ZERO;
      Entry head = unsettledStream.peekFirst();
      if (head != null) {
        lagTime = Duration.between(head.event.committedAt(), now);
        if (lagTime.isNegative()) {
          lagTime = Duration.ZERO;
        }
      }
      Throwable f = failure;
      SourcePosition committed = committedPosition;
      return new PipelineStatus(
          state,
          received,
          applied,
          stale,
          deadLettered,
          coalesced,
          retries,
          inFlightEvents,
          inFlightBytes,
          limit.concurrency(),
          committed == null ? null : committed.asString(),
          streamEventsReceived - committedStreamEvents,
          lagTime,
          f == null ? null : String.valueOf(f.getMessage()),
          sinkOutage,
          details,
          now);
    } finally {
      lock.unlock();
    }
  }

  /** The most events ever in flight at once. */
  public long peakInFlightEvents() {
    lock.lock();
    try {
      return peakInFlightEvents;
    } finally {
      lock.unlock();
    }
  }

  /** The most estimated bytes ever in flight at once. */
  public long peakInFlightBytes() {
    lock.lock();
    try {
      return peakInFlightBytes;
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- polling

  private void pollLoop() {
    long lastCommitNanos = System.nanoTime();
    long lastSourceCallNanos = System.nanoTime();
    try {
      while (true) {
        int room;
        lock.lock();
        try {
          if (state != State.RUNNING) {
            break;
          }
          room = roomLocked();
          if (room == 0) {
            changed.await(Math.min(KEEP_ALIVE_NANOS, commitNanos()), TimeUnit.NANOSECONDS);
          }
        } finally {
          lock.unlock();
        }
        long now = System.nanoTime();
        if (now - lastCommitNanos >= commitNanos() || quietAndUncommitted()) {
          commitSettled();
          lastCommitNanos = now;
        }
        if (room == 0) {
          if (now - lastSourceCallNanos >= KEEP_ALIVE_NANOS) {
            withSourceRetry(
                () -> {
                  settings.source().keepAlive();
                  return Boolean.TRUE;
                });
            lastSourceCallNanos = System.nanoTime();
          }
          continue;
        }
        List<ChangeEvent> events = withSourceRetry(() -> settings.source().poll(room, POLL_WAIT));
        lastSourceCallNanos = System.nanoTime();
        if (events == null) {
          break;
        }
        if (events.size() > room) {
          throw new DriftlessException(
              "source returned " + events.size() + " events, more than the " + room + " asked for");
        }
        for (ChangeEvent event : events) {
          if (event instanceof ChangeEvent.Truncate) {
            // A barrier: everything before it settles first, nothing after it is written before.
            if (!awaitDrained()) {
              break;
            }
            accept(event, true, null);
            if (!awaitDrained()) {
              break;
            }
          } else {
            accept(event, true, null);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable e) {
      fail(e instanceof DriftlessException ? e : new DriftlessException("source failed: " + e, e));
    } finally {
      lock.lock();
      try {
        pollStopped = true;
        wakeAllLocked();
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * Waits until nothing is in flight, keeping the source alive meanwhile; false if the pipeline
   * stopped first.
   */
  private boolean awaitDrained() throws Exception {
    long lastKeepAlive = System.nanoTime();
    while (true) {
      lock.lock();
      try {
        if (state != State.RUNNING) {
          return false;
        }
        if (inFlightEvents == 0) {
          return true;
        }
        changed.await(KEEP_ALIVE_NANOS, TimeUnit.NANOSECONDS);
      } finally {
        lock.unlock();
      }
      if (System.nanoTime() - lastKeepAlive >= KEEP_ALIVE_NANOS) {
        withSourceRetry(
            () -> {
              settings.source().keepAlive();
              return Boolean.TRUE;
            });
        lastKeepAlive = System.nanoTime();
      }
    }
  }

  private long commitNanos() {
    return Math.max(TimeUnit.MILLISECONDS.toNanos(1), settings.commitInterval().toNanos());
  }

  /**
   * How many events to poll now: none while the bytes are at their bound, and none until there is
   * room for a worthwhile poll (half the in-flight bound, or a batch), so that a full pipeline does
   * not poll one event per settled event.
   */
  private int roomLocked() {
    long events = settings.maxInFlightEvents() - inFlightEvents;
    long worthwhile = Math.max(1, Math.min(settings.batchSize(), settings.maxInFlightEvents() / 2));
    if (events < worthwhile || inFlightBytes >= settings.maxInFlightBytes()) {
      return 0;
    }
    return (int) Math.min(events, settings.batchSize());
  }

  private boolean quietAndUncommitted() {
    lock.lock();
    try {
      return inFlightEvents == 0 && committedStreamEvents < streamEventsReceived;
    } finally {
      lock.unlock();
    }
  }

  /** A source call retried on {@link RetriableException}; {@code null} if the pipeline stopped. */
  private <T> @Nullable T withSourceRetry(SourceCall<T> call) throws Exception {
    RetryPolicy<Object> policy =
        retryPolicy()
            .onRetry(
                e ->
                    LOG.warn(
                        "Pipeline {}: source unavailable, retrying: {}",
                        settings.name(),
                        e.getLastException().toString()))
            .build();
    try {
      return Failsafe.with(policy).get(() -> call.call());
    } catch (FailsafeException e) {
      Throwable cause = e.getCause();
      if (cause instanceof InterruptedException || isStopping()) {
        return null;
      }
      throw new DriftlessException(
          "source outage outlasted outageDeadline " + settings.outageDeadline() + ": " + cause,
          cause);
    } catch (RetriableException e) {
      throw new DriftlessException(
          "source outage outlasted outageDeadline " + settings.outageDeadline() + ": " + e, e);
    }
  }

  @FunctionalInterface
  private interface SourceCall<T> {
    T call() throws Exception;
  }

  private RetryPolicyBuilder<Object> retryPolicy() {
    RetryPolicyBuilder<Object> builder =
        RetryPolicy.builder()
            .handleIf(e -> e instanceof RetriableException)
            .withMaxRetries(-1)
            .withBackoff(
                settings.retry().initialDelay(),
                settings.retry().maxDelay(),
                settings.retry().multiplier());
    if (settings.retry().jitter() > 0) {
      builder.withJitter(settings.retry().jitter());
    }
    Duration deadline = settings.outageDeadline();
    if (deadline != null) {
      builder.withMaxDuration(deadline);
    }
    return builder;
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
      mapped = map(raw);
    } catch (Exception e) {
      mapped = raw;
      mapErrorType = "mapper:" + e.getClass().getName();
      mapError = String.valueOf(e.getMessage());
    }
    Entry entry;
    lock.lock();
    try {
      entry = new Entry(nextSeq++, mapped, commitBearing, ticket);
      received++;
      inFlightEvents++;
      inFlightBytes += entry.bytes;
      peakInFlightEvents = Math.max(peakInFlightEvents, inFlightEvents);
      peakInFlightBytes = Math.max(peakInFlightBytes, inFlightBytes);
      if (commitBearing) {
        streamEventsReceived++;
        unsettledStream.addLast(entry);
      }
      if (mapError == null) {
        KeyQueue queue = keys.computeIfAbsent(mapped.key(), KeyQueue::new);
        queue.pending.add(entry);
        pendingEvents++;
        if (!queue.inFlight && ready.add(queue) && ready.size() == 1) {
          oldestReadySinceNanos = System.nanoTime();
        }
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
      Outcome outcome = deadLetter(entry, mapErrorType, mapError, false);
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

  private ChangeEvent map(ChangeEvent raw) throws Exception {
    DocumentKey routed = settings.mapper().route(raw.key());
    if (raw instanceof ChangeEvent.Upsert upsert) {
      Optional<Document> document = settings.mapper().map(raw.key(), upsert.document());
      if (document.isEmpty()) {
        return ChangeEvent.delete(routed, raw.version(), raw.position(), raw.committedAt());
      }
      Document mapped = document.get();
      if (mapped.fingerprint().isEmpty() && upsert.document().fingerprint().isPresent()) {
        mapped = mapped.withFingerprint(upsert.document().fingerprint().getAsLong());
      }
      return ChangeEvent.upsert(routed, raw.version(), raw.position(), mapped, raw.committedAt());
    }
    if (routed.equals(raw.key())) {
      return raw;
    }
    return raw instanceof ChangeEvent.Truncate
        ? ChangeEvent.truncate(
            routed.collection(), raw.version(), raw.position(), raw.committedAt())
        : ChangeEvent.delete(routed, raw.version(), raw.position(), raw.committedAt());
  }

  // ---------------------------------------------------------------- dispatching

  private void dispatchLoop() {
    try {
      while (true) {
        List<Item> batch;
        lock.lock();
        try {
          while (true) {
            if (state == State.STOPPED || state == State.FAILED) {
              return;
            }
            if (sinkStarted && !ready.isEmpty() && activeBatches < limit.concurrency()) {
              long lingerLeft = lingerLeftNanos();
              if (lingerLeft <= 0) {
                break;
              }
              dispatchable.awaitNanos(lingerLeft);
            } else {
              dispatchable.await();
            }
          }
          batch = formBatchLocked();
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
        List<Item> toWrite = batch;
        w.execute(() -> writeBatch(toWrite));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable e) {
      fail(new DriftlessException("dispatcher failed: " + e, e));
    }
  }

  /** How long the ready keys may still wait for a fuller batch; zero or less means go. */
  private long lingerLeftNanos() {
    if (state != State.RUNNING || pollStopped) {
      return 0;
    }
    if (pendingEvents >= limit.batchSize(settings.batchSize())) {
      return 0;
    }
    return settings.linger().toNanos() - (System.nanoTime() - oldestReadySinceNanos);
  }

  private List<Item> formBatchLocked() {
    int maxEvents = limit.batchSize(settings.batchSize());
    long maxBytes = settings.batchBytes();
    List<Item> batch = new ArrayList<>(Math.min(maxEvents, ready.size()));
    long bytes = 0;
    var it = ready.iterator();
    while (it.hasNext() && batch.size() < maxEvents) {
      KeyQueue queue = it.next();
      Entry newest = null;
      for (Entry e : queue.pending) {
        if (newest == null || e.event.version().compareTo(newest.event.version()) >= 0) {
          newest = e;
        }
      }
      if (newest == null) {
        it.remove();
        continue;
      }
      if (!batch.isEmpty() && bytes + newest.bytes > maxBytes) {
        break;
      }
      it.remove();
      List<Entry> superseded = new ArrayList<>(queue.pending.size() - 1);
      for (Entry e : queue.pending) {
        if (e != newest) {
          superseded.add(e);
        }
      }
      pendingEvents -= queue.pending.size();
      queue.pending.clear();
      Long written = queue.lastWrittenVersion;
      if (written != null && newest.event.version().value() < written) {
        // The index already holds a newer version of this key, written by this runner: skip the
        // write rather than send it out of version order.
        for (Entry e : superseded) {
          settleLocked(e, Outcome.COALESCED);
        }
        settleLocked(newest, Outcome.STALE);
        releaseKeyLocked(queue);
        continue;
      }
      queue.inFlight = true;
      bytes += newest.bytes;
      batch.add(new Item(queue, newest, superseded));
    }
    oldestReadySinceNanos = System.nanoTime();
    return batch;
  }

  // ---------------------------------------------------------------- writing

  private void writeBatch(List<Item> batch) {
    boolean throttled = false;
    try {
      throttled = writeWithRetry(batch);
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

  /**
   * Writes the batch until every item is settled; returns whether the sink throttled. Outages are
   * retried with backoff (never dead-lettered); items the sink rejects are dead-lettered; anything
   * else the sink throws stops the pipeline.
   */
  private boolean writeWithRetry(List<Item> batch) throws Exception {
    List<Item> remaining = new ArrayList<>(batch);
    boolean[] throttled = {false};
    RetryPolicy<Object> policy =
        retryPolicy()
            .onRetry(
                e -> {
                  lock.lock();
                  try {
                    retries++;
                    Throwable last = e.getLastException();
                    sinkOutage = String.valueOf(last);
                    if (last instanceof RetriableException r && r.throttled()) {
                      throttled[0] = true;
                      limit.onThrottled(System.nanoTime());
                    }
                  } finally {
                    lock.unlock();
                  }
                })
            .build();
    try {
      Failsafe.with(policy)
          .run(
              () -> {
                if (isStopping()) {
                  throw new InterruptedException("pipeline stopping");
                }
                writeOnce(remaining);
              });
    } catch (FailsafeException e) {
      Throwable cause = e.getCause();
      if (cause instanceof InterruptedException || isStopping()) {
        return throttled[0];
      }
      throw new DriftlessException(
          "sink outage outlasted outageDeadline " + settings.outageDeadline() + ": " + cause,
          cause);
    } catch (RetriableException e) {
      throw new DriftlessException(
          "sink outage outlasted outageDeadline " + settings.outageDeadline() + ": " + e, e);
    }
    return throttled[0];
  }

  /** Whether this thread was interrupted, or {@code failure} stems from an interrupt. */
  private static boolean interrupted(Throwable failure) {
    if (Thread.currentThread().isInterrupted()) {
      return true;
    }
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
      if (t instanceof InterruptedException || t instanceof java.io.InterruptedIOException) {
        return true;
      }
    }
    return false;
  }

  /**
   * One attempt: writes {@code remaining}, settles what succeeded or is poison, leaves in {@code
   * remaining} what must be retried and then throws {@link RetriableException}.
   */
  private void writeOnce(List<Item> remaining) throws Exception {
    List<ChangeEvent> events = new ArrayList<>(remaining.size());
    for (Item item : remaining) {
      item.newest.attempts++;
      events.add(item.newest.event);
    }
    List<WriteResult> results;
    try {
      results = settings.sink().write(events);
    } catch (RetriableException | ConfigurationException | InterruptedException e) {
      throw e; // retried, or the end of the pipeline: no single event is to blame
    } catch (Exception e) {
      if (isStopping() || interrupted(e)) {
        // Stopping interrupts writes in flight, and clients turn the interrupt into exceptions of
        // their own (Elastic's REST client: a RuntimeException). The events were not refused:
        // they stay unsettled and uncommitted, to be written again after a restart.
        throw new InterruptedException("pipeline stopping; the write ended with " + e);
      }
      // Poison is reported per item as WriteResult.Rejected; a thrown exception is not about one
      // event. Dead-lettering on it would drain the whole stream into the store, one event at a
      // time, if the sink has a bug: stop instead (VersionedSink contract rule S1.15).
      throw new DriftlessException(
          "sink "
              + settings.sink().getClass().getName()
              + " threw "
              + e
              + " for a batch of "
              + events.size()
              + " event(s); a sink reports a poison event as WriteResult.Rejected and an outage"
              + " as RetriableException, so anything else is a sink bug: stopping without"
              + " dead-lettering (VersionedSink contract rule S1.15)",
          e);
    }
    if (results.size() != events.size()) {
      throw new DriftlessException(
          "sink returned "
              + results.size()
              + " results for "
              + events.size()
              + " events (VersionedSink contract rule: one result per event)");
    }
    List<Item> again = new ArrayList<>();
    String retryReason = null;
    boolean throttled = false;
    for (int i = 0; i < results.size(); i++) {
      WriteResult result = results.get(i);
      if (result instanceof WriteResult.Retry retry) {
        again.add(remaining.get(i));
        retryReason = retry.reason();
        throttled |= retry.throttled();
      } else {
        finish(remaining.get(i), result);
      }
    }
    remaining.clear();
    remaining.addAll(again);
    if (!again.isEmpty()) {
      throw new RetriableException(
          again.size() + " item(s) to retry: " + retryReason, null, throttled);
    }
  }

  /** Settles one written item (and the older changes it superseded). */
  private void finish(Item item, WriteResult result) throws InterruptedException {
    Outcome outcome;
    if (result instanceof WriteResult.Rejected rejected) {
      // The mapped document is what the index would hold: the letter may keep it.
      outcome = deadLetter(item.newest, rejected.errorType(), rejected.reason(), true);
      if (outcome == null) {
        return; // the pipeline failed: the entry stays unsettled, never committed past
      }
    } else if (result instanceof WriteResult.Stale) {
      outcome = Outcome.STALE;
    } else {
      outcome = Outcome.APPLIED;
    }
    lock.lock();
    try {
      for (Entry e : item.superseded) {
        settleLocked(e, Outcome.COALESCED);
      }
      settleLocked(item.newest, outcome);
      if (outcome == Outcome.APPLIED || outcome == Outcome.STALE) {
        long v = item.newest.event.version().value();
        Long prev = item.queue.lastWrittenVersion;
        if (outcome == Outcome.APPLIED && (prev == null || v > prev)) {
          item.queue.lastWrittenVersion = v;
        }
      }
      releaseKeyLocked(item.queue);
    } finally {
      lock.unlock();
    }
  }

  /** A change the source could not read: stored at once, on the poll thread (see SourceContext). */
  private void storeUnreadable(DeadLetter letter) throws Exception {
    settings.deadLetterStore().put(letter);
    lock.lock();
    try {
      deadLettered++;
    } finally {
      lock.unlock();
    }
    LOG.warn(
        "Pipeline {}: dead-lettered an unreadable change of {} version {}: {}: {}",
        settings.name(),
        letter.key(),
        letter.version(),
        letter.errorType(),
        letter.errorMessage());
  }

  /**
   * Stores a dead letter; returns the outcome to settle with, or {@code null} if the store failed
   * (the pipeline then stops, and the entry is never committed past).
   */
  private @Nullable Outcome deadLetter(
      Entry entry, String errorType, String message, boolean keepPayload) {
    ReplayTicket ticket = entry.ticket;
    if (ticket != null && !ticket.deadLetterOnFailure) {
      ticket.fail(errorType, message);
      return Outcome.REPLAY_FAILED;
    }
    DeadLetter letter =
        DeadLetter.of(
            UUID.randomUUID().toString(),
            entry.event,
            errorType,
            message,
            Math.max(1, entry.attempts),
            clock.instant());
    if (!keepPayload) {
      letter = letter.withoutPayload();
    }
    try {
      settings.deadLetterStore().put(letter);
    } catch (Exception e) {
      if (ticket != null) {
        ticket.fail("deadletter:" + e.getClass().getName(), String.valueOf(e.getMessage()));
      }
      fail(
          new DriftlessException(
              "dead-letter store failed to store the event of key "
                  + entry.event.key()
                  + " at position "
                  + entry.event.position().asString()
                  + "; stopping without committing past it: "
                  + e,
              e));
      return null;
    }
    if (ticket != null) {
      ticket.fail(errorType, message);
    }
    LOG.warn(
        "Pipeline {}: dead-lettered {} version {}: {}: {}",
        settings.name(),
        entry.event.key(),
        entry.event.version(),
        errorType,
        message);
    return Outcome.DEAD_LETTERED;
  }

  private void releaseKeyLocked(KeyQueue queue) {
    queue.inFlight = false;
    if (!queue.pending.isEmpty()) {
      if (ready.add(queue) && ready.size() == 1) {
        oldestReadySinceNanos = System.nanoTime();
      }
    } else {
      keys.remove(queue.key);
    }
    dispatchable.signal();
  }

  /** Wakes every waiter: state, settlement, capacity or dispatchability changed. */
  private void wakeAllLocked() {
    changed.signalAll();
    dispatchable.signalAll();
  }

  // ---------------------------------------------------------------- settling and committing

  private void settleLocked(Entry entry, Outcome outcome) {
    if (entry.settled) {
      return;
    }
    entry.settled = true;
    inFlightEvents--;
    inFlightBytes -= entry.bytes;
    switch (outcome) {
      case APPLIED -> applied++;
      case STALE -> stale++;
      case DEAD_LETTERED -> deadLettered++;
      case COALESCED -> coalesced++;
      case REPLAY_FAILED -> {}
    }
    ReplayTicket ticket = entry.ticket;
    if (ticket != null && (outcome == Outcome.APPLIED || outcome == Outcome.STALE)) {
      ticket.succeed(outcome == Outcome.STALE);
    } else if (ticket != null && outcome == Outcome.COALESCED) {
      // A newer change of the key superseded the repaired state: the key is being brought up to
      // date by that change, which is what the repair wanted.
      ticket.succeed(true);
    }
    while (!unsettledStream.isEmpty() && unsettledStream.peekFirst().settled) {
      Entry head = unsettledStream.pollFirst();
      settledPosition = head.event.position();
      settledStreamEvents++;
    }
    changed.signalAll(); // settling frees room and may make the pipeline idle; it forms no batch
  }

  /** Commits the settled position to the source, if it moved. */
  private void commitSettled() {
    SourcePosition position;
    long events;
    lock.lock();
    try {
      position = settledPosition;
      events = settledStreamEvents;
      if (position == null || events == committedStreamEvents) {
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
      committedPosition = position;
      committedStreamEvents = Math.max(committedStreamEvents, events);
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

  // ---------------------------------------------------------------- state per key

  private enum Outcome {
    APPLIED,
    STALE,
    DEAD_LETTERED,
    COALESCED,
    REPLAY_FAILED
  }

  /** The pending changes of one key, and whether a write of it is in flight. */
  private static final class KeyQueue {
    final DocumentKey key;
    final ArrayDeque<Entry> pending = new ArrayDeque<>(2);
    boolean inFlight;

    /** The newest version this runner applied for the key while the queue existed. */
    @Nullable Long lastWrittenVersion;

    KeyQueue(DocumentKey key) {
      this.key = key;
    }
  }

  /** One key's write in a batch. */
  private record Item(KeyQueue queue, Entry newest, List<Entry> superseded) {}
}
