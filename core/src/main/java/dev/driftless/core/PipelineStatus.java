package dev.driftless.core;

import dev.driftless.core.internal.StatusBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A consistent-enough snapshot of a pipeline's progress, from {@link Pipeline#status()}. Counters
 * are cumulative since start.
 *
 * <p>Made by the pipeline only. A value: equal when every accessor answers equal. Later versions
 * may add accessors (a class rather than a record, so that adding one breaks no user's code); do
 * not rely on {@link #toString()}'s format.
 */
public final class PipelineStatus {
  private final State state;
  private final long eventsReceived;
  private final long eventsApplied;
  private final long eventsStale;
  private final long eventsDeadLettered;
  private final long eventsCoalesced;
  private final long retries;
  private final long inFlightEvents;
  private final long inFlightBytes;
  private final int concurrencyLimit;
  private final @Nullable String committedPosition;
  private final long lagEvents;
  private final Duration lagTime;
  private final @Nullable String failure;
  private final @Nullable String sinkOutage;
  private final @Nullable String sourceOutage;
  private final Map<String, Object> source;
  private final Instant takenAt;

  /**
   * For the pipeline's runner only: {@link StatusBuilder} is internal (not exported), so users
   * cannot call this.
   */
  public PipelineStatus(StatusBuilder b) {
    this.state = Objects.requireNonNull(b.state, "state");
    this.eventsReceived = b.eventsReceived;
    this.eventsApplied = b.eventsApplied;
    this.eventsStale = b.eventsStale;
    this.eventsDeadLettered = b.eventsDeadLettered;
    this.eventsCoalesced = b.eventsCoalesced;
    this.retries = b.retries;
    this.inFlightEvents = b.inFlightEvents;
    this.inFlightBytes = b.inFlightBytes;
    this.concurrencyLimit = b.concurrencyLimit;
    this.committedPosition = b.committedPosition;
    this.lagEvents = b.lagEvents;
    this.lagTime = Objects.requireNonNull(b.lagTime, "lagTime");
    this.failure = b.failure;
    this.sinkOutage = b.sinkOutage;
    this.sourceOutage = b.sourceOutage;
    this.source = Map.copyOf(b.source);
    this.takenAt = Objects.requireNonNull(b.takenAt, "takenAt");
  }

  /** Lifecycle state. */
  public State state() {
    return state;
  }

  /** Events polled from the source. */
  public long eventsReceived() {
    return eventsReceived;
  }

  /** Events whose version the index now holds. */
  public long eventsApplied() {
    return eventsApplied;
  }

  /** Events the index already held in that version or newer. */
  public long eventsStale() {
    return eventsStale;
  }

  /** Events stored in the dead-letter store. */
  public long eventsDeadLettered() {
    return eventsDeadLettered;
  }

  /**
   * Older changes of a key that a newer change of the same key superseded before they were written
   * (they are settled by the newer change's outcome).
   */
  public long eventsCoalesced() {
    return eventsCoalesced;
  }

  /** Sink write attempts that failed transiently and were retried. */
  public long retries() {
    return retries;
  }

  /** Events received and not yet settled. */
  public long inFlightEvents() {
    return inFlightEvents;
  }

  /** The estimated bytes of the events in flight. */
  public long inFlightBytes() {
    return inFlightBytes;
  }

  /** The adaptive limit of concurrent batches right now. */
  public int concurrencyLimit() {
    return concurrencyLimit;
  }

  /** The last position committed to the source, if any. */
  public @Nullable String committedPosition() {
    return committedPosition;
  }

  /** Events received but not yet covered by the committed position. */
  public long lagEvents() {
    return lagEvents;
  }

  /** Age of the oldest unsettled event's commit time (zero when none). */
  public Duration lagTime() {
    return lagTime;
  }

  /** Why the pipeline failed, when it did. */
  public @Nullable String failure() {
    return failure;
  }

  /**
   * Why the sink is unavailable, while the pipeline retries it: its start failed because the index
   * could not be reached (nothing is written until a retry succeeds), or a write is being retried;
   * {@code null} once the sink answers again.
   */
  public @Nullable String sinkOutage() {
    return sinkOutage;
  }

  /**
   * Why the source cannot reach its upstream and since when ({@code "since <instant>: <cause>"}),
   * while the pipeline retries its calls or the source reports an outage ({@link
   * dev.driftless.core.spi.SourceContext#outageStarted}); {@code null} once it is reachable again.
   */
  public @Nullable String sourceOutage() {
    return sourceOutage;
  }

  /** Source-specific details ({@link dev.driftless.core.spi.ChangeSource#statusDetails}). */
  public Map<String, Object> source() {
    return source;
  }

  /** When this snapshot was taken. */
  public Instant takenAt() {
    return takenAt;
  }

  /** Events settled in any way. */
  public long eventsSettled() {
    return eventsApplied + eventsStale + eventsDeadLettered + eventsCoalesced;
  }

  /** A one-line human-readable summary. */
  public String summary() {
    return String.format(
        "%s received=%d applied=%d stale=%d dead=%d coalesced=%d retries=%d inflight=%d (%d B) limit=%d"
            + " committed=%s lag=%d events/%d ms%s%s",
        state,
        eventsReceived,
        eventsApplied,
        eventsStale,
        eventsDeadLettered,
        eventsCoalesced,
        retries,
        inFlightEvents,
        inFlightBytes,
        concurrencyLimit,
        committedPosition,
        lagEvents,
        lagTime.toMillis(),
        sinkOutage == null ? "" : " sinkOutage=" + sinkOutage,
        sourceOutage == null ? "" : " sourceOutage=" + sourceOutage);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof PipelineStatus s
        && state == s.state
        && eventsReceived == s.eventsReceived
        && eventsApplied == s.eventsApplied
        && eventsStale == s.eventsStale
        && eventsDeadLettered == s.eventsDeadLettered
        && eventsCoalesced == s.eventsCoalesced
        && retries == s.retries
        && inFlightEvents == s.inFlightEvents
        && inFlightBytes == s.inFlightBytes
        && concurrencyLimit == s.concurrencyLimit
        && Objects.equals(committedPosition, s.committedPosition)
        && lagEvents == s.lagEvents
        && Objects.equals(lagTime, s.lagTime)
        && Objects.equals(failure, s.failure)
        && Objects.equals(sinkOutage, s.sinkOutage)
        && Objects.equals(sourceOutage, s.sourceOutage)
        && Objects.equals(source, s.source)
        && Objects.equals(takenAt, s.takenAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        state,
        eventsReceived,
        eventsApplied,
        eventsStale,
        eventsDeadLettered,
        eventsCoalesced,
        retries,
        inFlightEvents,
        inFlightBytes,
        concurrencyLimit,
        committedPosition,
        lagEvents,
        lagTime,
        failure,
        sinkOutage,
        sourceOutage,
        source,
        takenAt);
  }

  @Override
  public String toString() {
    return "PipelineStatus["
        + "state="
        + state
        + ", eventsReceived="
        + eventsReceived
        + ", eventsApplied="
        + eventsApplied
        + ", eventsStale="
        + eventsStale
        + ", eventsDeadLettered="
        + eventsDeadLettered
        + ", eventsCoalesced="
        + eventsCoalesced
        + ", retries="
        + retries
        + ", inFlightEvents="
        + inFlightEvents
        + ", inFlightBytes="
        + inFlightBytes
        + ", concurrencyLimit="
        + concurrencyLimit
        + ", committedPosition="
        + committedPosition
        + ", lagEvents="
        + lagEvents
        + ", lagTime="
        + lagTime
        + ", failure="
        + failure
        + ", sinkOutage="
        + sinkOutage
        + ", sourceOutage="
        + sourceOutage
        + ", source="
        + source
        + ", takenAt="
        + takenAt
        + "]";
  }

  /** A pipeline's lifecycle. */
  public enum State {
    NEW,
    RUNNING,
    DRAINING,
    STOPPED,
    FAILED
  }
}
