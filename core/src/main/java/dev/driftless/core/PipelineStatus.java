package dev.driftless.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A consistent-enough snapshot of a pipeline's progress, from {@link Pipeline#status()}. Counters
 * are cumulative since start.
 *
 * <p>A value: equal when every accessor answers equal. Later versions may add accessors (a class
 * rather than a record, so that adding one breaks no user's code); do not rely on {@link
 * #toString()}'s format. The pipeline makes them; {@link #builder()} is there for tests of code
 * that reads them (a health check, a metrics binder), and a field it is not given keeps its
 * default.
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
  private final Freshness freshness;
  private final Instant takenAt;

  private PipelineStatus(Builder b) {
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
    this.freshness = Objects.requireNonNull(b.freshness, "freshness");
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

  /**
   * Age of the oldest unsettled change: the time since the source committed the oldest change the
   * index has not yet acknowledged (zero when none). How stale the index is right now, at most.
   */
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

  /** The freshness of recent changes: commit in the database to acknowledgement by the index. */
  public Freshness freshness() {
    return freshness;
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
            + " committed=%s lag=%d events/%d ms freshness p99=%d ms%s%s",
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
        freshness.p99().toMillis(),
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
        && Objects.equals(freshness, s.freshness)
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
        freshness,
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
        + ", freshness="
        + freshness
        + ", takenAt="
        + takenAt
        + "]";
  }

  /**
   * Freshness over the last minute or so (between {@code window / 2} and {@code window}): how long
   * changes took from their commit in the database to the index's acknowledgement. Percentiles are
   * within 1.6% (a log-linear histogram of fixed size); {@code max} is exact. Backfilled and
   * re-read events have no commit time and are not counted.
   *
   * @param total changes measured since the pipeline started
   * @param count changes measured in the window
   * @param p50 the median
   * @param p90 the 90th percentile
   * @param p99 the 99th percentile
   * @param max the largest
   * @param window the window's length
   */
  public record Freshness(
      long total,
      long count,
      Duration p50,
      Duration p90,
      Duration p99,
      Duration max,
      Duration window) {
    /** Nothing measured. */
    public static final Freshness NONE =
        new Freshness(
            0, 0, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO);

    public Freshness {
      Objects.requireNonNull(p50, "p50");
      Objects.requireNonNull(p90, "p90");
      Objects.requireNonNull(p99, "p99");
      Objects.requireNonNull(max, "max");
      Objects.requireNonNull(window, "window");
    }
  }

  /** A pipeline's lifecycle. */
  public enum State {
    NEW,
    RUNNING,
    DRAINING,
    STOPPED,
    FAILED
  }

  /** A builder of statuses, every field at its default (state {@code NEW}, zero, empty). */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link PipelineStatus}. Not thread-safe. */
  public static final class Builder {
    private State state = State.NEW;
    private long eventsReceived;
    private long eventsApplied;
    private long eventsStale;
    private long eventsDeadLettered;
    private long eventsCoalesced;
    private long retries;
    private long inFlightEvents;
    private long inFlightBytes;
    private int concurrencyLimit;
    private @Nullable String committedPosition;
    private long lagEvents;
    private Duration lagTime = Duration.ZERO;
    private @Nullable String failure;
    private @Nullable String sinkOutage;
    private @Nullable String sourceOutage;
    private Map<String, Object> source = Map.of();
    private Freshness freshness = Freshness.NONE;
    private Instant takenAt = Instant.EPOCH;

    private Builder() {}

    /** Sets {@link PipelineStatus#state()}. */
    public Builder state(State state) {
      this.state = state;
      return this;
    }

    /** Sets {@link PipelineStatus#eventsReceived()}. */
    public Builder eventsReceived(long eventsReceived) {
      this.eventsReceived = eventsReceived;
      return this;
    }

    /** Sets {@link PipelineStatus#eventsApplied()}. */
    public Builder eventsApplied(long eventsApplied) {
      this.eventsApplied = eventsApplied;
      return this;
    }

    /** Sets {@link PipelineStatus#eventsStale()}. */
    public Builder eventsStale(long eventsStale) {
      this.eventsStale = eventsStale;
      return this;
    }

    /** Sets {@link PipelineStatus#eventsDeadLettered()}. */
    public Builder eventsDeadLettered(long eventsDeadLettered) {
      this.eventsDeadLettered = eventsDeadLettered;
      return this;
    }

    /** Sets {@link PipelineStatus#eventsCoalesced()}. */
    public Builder eventsCoalesced(long eventsCoalesced) {
      this.eventsCoalesced = eventsCoalesced;
      return this;
    }

    /** Sets {@link PipelineStatus#retries()}. */
    public Builder retries(long retries) {
      this.retries = retries;
      return this;
    }

    /** Sets {@link PipelineStatus#inFlightEvents()}. */
    public Builder inFlightEvents(long inFlightEvents) {
      this.inFlightEvents = inFlightEvents;
      return this;
    }

    /** Sets {@link PipelineStatus#inFlightBytes()}. */
    public Builder inFlightBytes(long inFlightBytes) {
      this.inFlightBytes = inFlightBytes;
      return this;
    }

    /** Sets {@link PipelineStatus#concurrencyLimit()}. */
    public Builder concurrencyLimit(int concurrencyLimit) {
      this.concurrencyLimit = concurrencyLimit;
      return this;
    }

    /** Sets {@link PipelineStatus#committedPosition()}. */
    public Builder committedPosition(@Nullable String committedPosition) {
      this.committedPosition = committedPosition;
      return this;
    }

    /** Sets {@link PipelineStatus#lagEvents()}. */
    public Builder lagEvents(long lagEvents) {
      this.lagEvents = lagEvents;
      return this;
    }

    /** Sets {@link PipelineStatus#lagTime()}. */
    public Builder lagTime(Duration lagTime) {
      this.lagTime = lagTime;
      return this;
    }

    /** Sets {@link PipelineStatus#failure()}. */
    public Builder failure(@Nullable String failure) {
      this.failure = failure;
      return this;
    }

    /** Sets {@link PipelineStatus#sinkOutage()}. */
    public Builder sinkOutage(@Nullable String sinkOutage) {
      this.sinkOutage = sinkOutage;
      return this;
    }

    /** Sets {@link PipelineStatus#sourceOutage()}. */
    public Builder sourceOutage(@Nullable String sourceOutage) {
      this.sourceOutage = sourceOutage;
      return this;
    }

    /** Sets {@link PipelineStatus#source()}. */
    public Builder source(Map<String, Object> source) {
      this.source = source;
      return this;
    }

    /** Sets {@link PipelineStatus#freshness()}. */
    public Builder freshness(Freshness freshness) {
      this.freshness = freshness;
      return this;
    }

    /** Sets {@link PipelineStatus#takenAt()}. */
    public Builder takenAt(Instant takenAt) {
      this.takenAt = takenAt;
      return this;
    }

    /** The status. */
    public PipelineStatus build() {
      return new PipelineStatus(this);
    }
  }
}
