package dev.driftless.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A consistent-enough snapshot of a pipeline's progress. Counters are cumulative since start.
 *
 * @param state lifecycle state
 * @param eventsReceived events polled from the source
 * @param eventsApplied events whose version the index now holds
 * @param eventsStale events the index already held in that version or newer
 * @param eventsDeadLettered events stored in the dead-letter store
 * @param eventsCoalesced older changes of a key that a newer change of the same key superseded
 *     before they were written (they are settled by the newer change's outcome)
 * @param retries sink write attempts that failed transiently and were retried
 * @param inFlightEvents events received and not yet settled
 * @param inFlightBytes their estimated bytes
 * @param concurrencyLimit the adaptive limit of concurrent batches right now
 * @param committedPosition the last position committed to the source, if any
 * @param lagEvents events received but not yet covered by the committed position
 * @param lagTime age of the oldest unsettled event's commit time (zero when none)
 * @param failure why the pipeline failed, when it did
 * @param sinkOutage why the sink is unavailable, while the pipeline retries it: its start failed
 *     because the index could not be reached (nothing is written until a retry succeeds), or a
 *     write is being retried; {@code null} once the sink answers again
 * @param source source-specific details ({@link dev.driftless.core.spi.ChangeSource#statusDetails})
 * @param takenAt when this snapshot was taken
 */
public record PipelineStatus(
    State state,
    long eventsReceived,
    long eventsApplied,
    long eventsStale,
    long eventsDeadLettered,
    long eventsCoalesced,
    long retries,
    long inFlightEvents,
    long inFlightBytes,
    int concurrencyLimit,
    @Nullable String committedPosition,
    long lagEvents,
    Duration lagTime,
    @Nullable String failure,
    @Nullable String sinkOutage,
    Map<String, Object> source,
    Instant takenAt) {

  public PipelineStatus {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(lagTime, "lagTime");
    Objects.requireNonNull(takenAt, "takenAt");
    source = Map.copyOf(source);
  }

  /** Events settled in any way. */
  public long eventsSettled() {
    return eventsApplied + eventsStale + eventsDeadLettered + eventsCoalesced;
  }

  /** A one-line human-readable summary. */
  public String summary() {
    return String.format(
        "%s received=%d applied=%d stale=%d dead=%d coalesced=%d retries=%d inflight=%d (%d B) limit=%d"
            + " committed=%s lag=%d events/%d ms%s",
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
        sinkOutage == null ? "" : " sinkOutage=" + sinkOutage);
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
