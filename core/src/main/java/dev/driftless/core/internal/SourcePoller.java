package dev.driftless.core.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.RetriableException;
import dev.driftless.core.spi.ChangeSource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The poll thread's loop: polls the source while there is room (in events and bytes), hands each
 * event to the runner, commits the settled position every {@code commitInterval} (and at once when
 * nothing is in flight), keeps the source alive while the pipeline is full, and makes a {@link
 * ChangeEvent.Truncate} a barrier (everything before it settles first, nothing after it is received
 * before it settled). Source outages are retried with the pipeline's {@link OutagePolicy}; an
 * outage the source reports itself is held to the same deadline here ({@link SourceOutage}).
 *
 * <p>Owns only its timers; what is in flight and whether the pipeline runs are the runner's,
 * reached through {@link Gate}. Runs on the poll thread only.
 */
final class SourcePoller implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(SourcePoller.class);
  static final Duration POLL_WAIT = Duration.ofMillis(100);
  static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** What the loop needs from the runner. */
  interface Gate {
    /**
     * How many events to poll now; if none, waits up to {@code maxWaitNanos} for room first (and
     * returns 0). Negative once the pipeline no longer runs.
     */
    int awaitRoom(long maxWaitNanos) throws InterruptedException;

    /**
     * Waits up to {@code maxWaitNanos} until nothing is in flight: 1 if nothing is, 0 if something
     * still is, negative once the pipeline no longer runs.
     */
    int awaitNothingInFlight(long maxWaitNanos) throws InterruptedException;

    /** Whether nothing is in flight but settled stream events are not yet committed. */
    boolean quietAndUncommitted();

    /** Commits the settled position to the source, if it moved. */
    void commitSettled();

    /** Hands a stream event to the runner. */
    void accept(ChangeEvent event) throws InterruptedException;

    /** Whether the pipeline is stopping (halted or failed). */
    boolean stopping();

    /** The loop failed: the pipeline must stop. */
    void failed(Throwable cause);

    /** The loop ended (for whatever reason). */
    void ended();
  }

  /** A source call. */
  @FunctionalInterface
  interface SourceCall<T> {
    T call() throws Exception;
  }

  private final PipelineSettings settings;
  private final ChangeSource source;
  private final OutagePolicy policy;
  private final SourceOutage outage;
  private final Gate gate;

  private final Listeners listeners;

  SourcePoller(
      PipelineSettings settings,
      OutagePolicy policy,
      SourceOutage outage,
      Gate gate,
      Listeners listeners) {
    this.settings = settings;
    this.listeners = listeners;
    this.source = settings.source();
    this.policy = policy;
    this.outage = outage;
    this.gate = gate;
  }

  @Override
  public void run() {
    long lastCommitNanos = System.nanoTime();
    long lastSourceCallNanos = System.nanoTime();
    try {
      while (true) {
        int room = gate.awaitRoom(Math.min(KEEP_ALIVE_NANOS, commitNanos()));
        if (room < 0) {
          break;
        }
        DriftlessException outlasted = outage.overDeadline();
        if (outlasted != null) {
          throw outlasted;
        }
        long now = System.nanoTime();
        if (now - lastCommitNanos >= commitNanos() || gate.quietAndUncommitted()) {
          gate.commitSettled();
          lastCommitNanos = now;
        }
        if (room == 0) {
          if (now - lastSourceCallNanos >= KEEP_ALIVE_NANOS) {
            keepAlive();
            lastSourceCallNanos = System.nanoTime();
          }
          continue;
        }
        List<ChangeEvent> events = call(() -> source.poll(room, POLL_WAIT));
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
            gate.accept(event);
            if (!awaitDrained()) {
              break;
            }
          } else {
            gate.accept(event);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable e) {
      // An outage past its deadline, a configuration error or a source bug stops the pipeline; an
      // outage or an interrupt while the pipeline stops ends the loop quietly.
      if (Failures.classify(e, gate.stopping()) != Failures.Failure.STOPPING) {
        gate.failed(
            e instanceof DriftlessException ? e : new DriftlessException("source failed: " + e, e));
      }
    } finally {
      gate.ended();
    }
  }

  /**
   * Waits until nothing is in flight, keeping the source alive meanwhile; false if the pipeline
   * stopped first.
   */
  private boolean awaitDrained() throws Exception {
    long lastKeepAlive = System.nanoTime();
    while (true) {
      int drained = gate.awaitNothingInFlight(KEEP_ALIVE_NANOS);
      if (drained != 0) {
        return drained > 0;
      }
      if (System.nanoTime() - lastKeepAlive >= KEEP_ALIVE_NANOS) {
        keepAlive();
        lastKeepAlive = System.nanoTime();
      }
    }
  }

  private void keepAlive() throws Exception {
    call(
        () -> {
          source.keepAlive();
          return Boolean.TRUE;
        });
  }

  /** A source call retried on outages; {@code null} if the pipeline stopped meanwhile. */
  private <T> @Nullable T call(SourceCall<T> call) throws Exception {
    T result;
    try {
      result =
          policy.call(
              "source outage",
              gate::stopping,
              (attempt, cause, delay) -> {
                outage.retrying(cause); // logs at WARN when the outage starts
                LOG.debug(
                    "Pipeline {}: source unavailable, retrying in {} ms: {}",
                    settings.name(),
                    delay.toMillis(),
                    cause.toString());
                listeners.tell(
                    "retrying",
                    l -> l.retrying(settings.name(), PipelineListener.Side.SOURCE, cause));
              },
              call::call);
    } catch (RetriableException e) {
      if (gate.stopping()) {
        return null;
      }
      throw e;
    }
    outage.callSucceeded();
    return result;
  }

  private long commitNanos() {
    return Math.max(TimeUnit.MILLISECONDS.toNanos(1), settings.commitInterval().toNanos());
  }
}
