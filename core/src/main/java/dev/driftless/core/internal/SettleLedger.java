package dev.driftless.core.internal;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.SourcePosition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;

/**
 * The settle ledger: every event from its receipt until it is settled, the bounds on what is in
 * flight, the counters, and the position the source may commit.
 *
 * <p>Owns the in-flight event and byte counts (and their peaks), the stream events not yet settled
 * in arrival order, the settled prefix (the position of the last event of the longest prefix whose
 * events are all settled), the committed position, and the counters reported by {@code status()}.
 * Stream events settle out of order (different keys finish at different times); only the prefix
 * moves the commit position. Events of a repair or replay are in flight but never hold back the
 * commit position.
 *
 * <p>Not thread-safe: the runner calls it under its lock, from the poll thread ({@link #receive},
 * {@link #room}, {@link #commitCandidate}), the dispatch and writer threads ({@link #settle}) and
 * status readers.
 */
final class SettleLedger {
  private final ArrayDeque<Entry> unsettledStream = new ArrayDeque<>();
  private long nextSeq;
  private long inFlightEvents;
  private long inFlightBytes;
  private long peakInFlightEvents;
  private long peakInFlightBytes;
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

  /**
   * Records a received event. A stream event ({@code commitBearing}) holds back the commit position
   * until it settles; a re-read one carries the {@code ticket} its outcome goes to.
   */
  Entry receive(ChangeEvent event, boolean commitBearing, @Nullable ReplayTicket ticket) {
    Entry entry = new Entry(nextSeq++, event, commitBearing, ticket);
    received++;
    inFlightEvents++;
    inFlightBytes += entry.bytes;
    peakInFlightEvents = Math.max(peakInFlightEvents, inFlightEvents);
    peakInFlightBytes = Math.max(peakInFlightBytes, inFlightBytes);
    if (commitBearing) {
      streamEventsReceived++;
      unsettledStream.addLast(entry);
    }
    return entry;
  }

  /**
   * Settles an event (a second settle of the same event is ignored), completes its ticket if it
   * succeeded, and moves the settled prefix.
   */
  void settle(Entry entry, Outcome outcome) {
    if (entry.settled) {
      return;
    }
    entry.settled = true;
    entry.outcome = outcome;
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
  }

  /** Fills in what the ledger knows of a {@code Pipeline.status()} snapshot, as of {@code now}. */
  void status(PipelineStatus.Builder b, Instant now) {
    Duration lagTime = Duration.ZERO;
    Entry head = unsettledStream.peekFirst();
    if (head != null) {
      lagTime = Duration.between(head.event.committedAt(), now);
      if (lagTime.isNegative()) {
        lagTime = Duration.ZERO;
      }
    }
    SourcePosition committed = committedPosition;
    b.eventsReceived(received);
    b.eventsApplied(applied);
    b.eventsStale(stale);
    b.eventsDeadLettered(deadLettered);
    b.eventsCoalesced(coalesced);
    b.retries(retries);
    b.inFlightEvents(inFlightEvents);
    b.inFlightBytes(inFlightBytes);
    b.committedPosition(committed == null ? null : committed.asString());
    b.lagEvents(streamEventsReceived - committedStreamEvents);
    b.lagTime(lagTime);
    b.takenAt(now);
  }

  /** Counts a change the source could not read, stored as a dead letter before it was received. */
  void countUnreadable() {
    deadLettered++;
  }

  void countRetry() {
    retries++;
  }

  /**
   * How many events to poll now: none while the bytes are at their bound, and none until there is
   * room for a worthwhile poll (half the in-flight bound, or a batch), so that a full pipeline does
   * not poll one event per settled event.
   */
  int room(int maxInFlightEvents, long maxInFlightBytes, int batchSize) {
    long events = maxInFlightEvents - inFlightEvents;
    long worthwhile = Math.max(1, Math.min(batchSize, maxInFlightEvents / 2));
    if (events < worthwhile || inFlightBytes >= maxInFlightBytes) {
      return 0;
    }
    return (int) Math.min(events, batchSize);
  }

  /** The settled position, if it moved past what was committed; else {@code null}. */
  @Nullable SourcePosition commitCandidate() {
    return settledStreamEvents == committedStreamEvents ? null : settledPosition;
  }

  /** How many stream events the settled prefix holds (pass it back to {@link #committed}). */
  long settledStreamEvents() {
    return settledStreamEvents;
  }

  /** The source committed {@code position}, the end of a prefix of {@code events} events. */
  void committed(SourcePosition position, long events) {
    committedPosition = position;
    committedStreamEvents = Math.max(committedStreamEvents, events);
  }

  /** Whether every stream event received is settled and committed, and nothing is in flight. */
  boolean idle() {
    return inFlightEvents == 0 && committedStreamEvents >= streamEventsReceived;
  }

  /** Whether stream events are settled but not yet committed (or still in flight). */
  boolean uncommitted() {
    return committedStreamEvents < streamEventsReceived;
  }

  /** The oldest stream event not yet settled, for the lag. */
  @Nullable Entry oldestUnsettled() {
    return unsettledStream.peekFirst();
  }

  long lagEvents() {
    return streamEventsReceived - committedStreamEvents;
  }

  @Nullable SourcePosition committedPosition() {
    return committedPosition;
  }

  long inFlightEvents() {
    return inFlightEvents;
  }

  long inFlightBytes() {
    return inFlightBytes;
  }

  long peakInFlightEvents() {
    return peakInFlightEvents;
  }

  long peakInFlightBytes() {
    return peakInFlightBytes;
  }

  long received() {
    return received;
  }

  long applied() {
    return applied;
  }

  long stale() {
    return stale;
  }

  long deadLettered() {
    return deadLettered;
  }

  long coalesced() {
    return coalesced;
  }

  long retries() {
    return retries;
  }
}
