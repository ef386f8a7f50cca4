package dev.driftless.core.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.PipelineStatus.State;
import dev.driftless.core.SourcePosition;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the source meets the runner: the {@link SourcePoller}'s {@link SourcePoller.Gate} (room,
 * drain barriers, commits), accepting an event (mapped by {@link EventMapping}, received by the
 * {@link SettleLedger}, queued by the {@link KeyScheduler}, or dead-lettered when the mapper
 * fails), committing the settled position, and the source context's callbacks ({@link
 * RunnerContexts.SourceCallbacks}: unreadable changes, resyncs and their listeners, reported
 * outages). Repairs hand their re-read events in through {@link #accept} too.
 *
 * <p>Owns the resync listeners; everything else it touches is the {@link RunnerState}'s (under its
 * lock) or the {@link SourceOutage}'s.
 */
final class EventIntake implements SourcePoller.Gate, RunnerContexts.SourceCallbacks {
  private static final Logger LOG = LoggerFactory.getLogger(EventIntake.class);

  private final PipelineSettings settings;
  private final RunnerState s;
  private final DeadLetterer deadLetterer;
  private final SourceOutage sourceOutage;
  private final Consumer<Throwable> fail;
  private final Listeners listeners;

  EventIntake(
      PipelineSettings settings,
      RunnerState state,
      DeadLetterer deadLetterer,
      SourceOutage sourceOutage,
      Consumer<Throwable> fail,
      Listeners listeners) {
    this.settings = settings;
    this.listeners = listeners;
    this.s = state;
    this.deadLetterer = deadLetterer;
    this.sourceOutage = sourceOutage;
    this.fail = fail;
  }

  // ---------------------------------------------------------------- events

  /**
   * Maps one event and hands it to the scheduler (or dead-letters it if the mapper fails). Called
   * from the poll thread ({@code commitBearing}), and from a repair or replay (with its ticket).
   */
  void accept(ChangeEvent raw, boolean commitBearing, @Nullable ReplayTicket ticket)
      throws InterruptedException {
    ChangeEvent mapped;
    String mapError = null;
    String mapErrorType = null;
    try {
      mapped = EventMapping.map(settings.mapper(), raw);
    } catch (Exception e) {
      // Poison (see Failures): the mapper's input is this one event.
      mapped = raw;
      mapErrorType = "mapper:" + e.getClass().getName();
      mapError = String.valueOf(e.getMessage());
    }
    Entry entry;
    s.lock.lock();
    try {
      entry = s.ledger.receive(mapped, commitBearing, ticket);
      if (mapError == null) {
        s.scheduler.add(entry, System.nanoTime());
        // Only the dispatcher can act on a new event: waking every waiter per event is costly.
        s.dispatchable.signal();
      }
    } finally {
      s.lock.unlock();
    }
    if (mapError != null && mapErrorType != null) {
      entry.attempts = 1;
      // The raw row may hold columns the mapper drops (a password hash): its letter keeps what a
      // replay needs (key, version, position) and the error, never the row.
      Outcome outcome = deadLetterer.deadLetter(entry, mapErrorType, mapError, false);
      if (outcome != null) {
        s.lock.lock();
        try {
          s.settleLocked(entry, outcome);
        } finally {
          s.lock.unlock();
        }
      }
    }
  }

  /** Commits the settled position to the source, if it moved. */
  @Override
  public void commitSettled() {
    SourcePosition position;
    long events;
    s.lock.lock();
    try {
      position = s.ledger.commitCandidate();
      events = s.ledger.settledStreamEvents();
      if (position == null) {
        return;
      }
    } finally {
      s.lock.unlock();
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
    s.lock.lock();
    try {
      s.ledger.committed(position, events);
      s.wakeAllLocked();
    } finally {
      s.lock.unlock();
    }
    SourcePosition committed = position;
    listeners.tell("committed", l -> l.committed(settings.name(), committed));
  }

  // ---------------------------------------------------------------- the poll loop's gate

  @Override
  public int awaitRoom(long maxWaitNanos) throws InterruptedException {
    s.lock.lock();
    try {
      if (s.state != State.RUNNING) {
        return -1;
      }
      int room =
          s.ledger.room(
              settings.maxInFlightEvents(), settings.maxInFlightBytes(), settings.batchSize());
      if (room == 0) {
        s.changed.await(maxWaitNanos, TimeUnit.NANOSECONDS);
      }
      return room;
    } finally {
      s.lock.unlock();
    }
  }

  @Override
  public int awaitNothingInFlight(long maxWaitNanos) throws InterruptedException {
    s.lock.lock();
    try {
      if (s.state != State.RUNNING) {
        return -1;
      }
      if (s.ledger.inFlightEvents() == 0) {
        return 1;
      }
      s.changed.await(maxWaitNanos, TimeUnit.NANOSECONDS);
      return 0;
    } finally {
      s.lock.unlock();
    }
  }

  @Override
  public boolean quietAndUncommitted() {
    s.lock.lock();
    try {
      return s.ledger.inFlightEvents() == 0 && s.ledger.uncommitted();
    } finally {
      s.lock.unlock();
    }
  }

  @Override
  public void accept(ChangeEvent event) throws InterruptedException {
    accept(event, true, null);
  }

  @Override
  public boolean stopping() {
    return s.stopping();
  }

  @Override
  public void failed(Throwable cause) {
    fail.accept(cause);
  }

  @Override
  public void ended() {
    s.lock.lock();
    try {
      s.pollStopped = true;
      s.wakeAllLocked();
    } finally {
      s.lock.unlock();
    }
  }

  // ---------------------------------------------------------------- the source context

  /** A change the source could not read: stored at once, on the poll thread (see SourceContext). */
  @Override
  public void deadLetter(DeadLetter letter) throws Exception {
    deadLetterer.storeUnreadable(letter);
    s.lock.lock();
    try {
      s.ledger.countUnreadable();
    } finally {
      s.lock.unlock();
    }
  }

  @Override
  public void outageStarted(Throwable cause) {
    sourceOutage.reported(cause); // logs and tells the listeners when the outage starts
  }

  @Override
  public void outageEnded() {
    sourceOutage.reportedEnded();
  }

  @Override
  public void resynced() {
    LOG.info("Pipeline {}: the source resynced from scratch", settings.name());
    listeners.tell("sourceResynced", l -> l.sourceResynced(settings.name()));
  }

  @Override
  public void backfillProgress(PipelineListener.BackfillProgress progress) {
    listeners.tell("backfillProgress", l -> l.backfillProgress(settings.name(), progress));
  }
}
