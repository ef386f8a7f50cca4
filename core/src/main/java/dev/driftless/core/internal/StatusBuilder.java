package dev.driftless.core.internal;

import dev.driftless.core.PipelineStatus;
import dev.driftless.core.PipelineStatus.State;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The fields of a {@link PipelineStatus} being assembled (by the {@link SettleLedger} and the
 * runner); {@link #build()} makes the immutable snapshot. The public type has no constructor users
 * can call, so that it can gain fields.
 */
public final class StatusBuilder {
  public State state = State.NEW;
  public long eventsReceived;
  public long eventsApplied;
  public long eventsStale;
  public long eventsDeadLettered;
  public long eventsCoalesced;
  public long retries;
  public long inFlightEvents;
  public long inFlightBytes;
  public int concurrencyLimit;
  public @Nullable String committedPosition;
  public long lagEvents;
  public Duration lagTime = Duration.ZERO;
  public @Nullable String failure;
  public @Nullable String sinkOutage;
  public @Nullable String sourceOutage;
  public Map<String, Object> source = Map.of();
  public Instant takenAt = Instant.EPOCH;

  public PipelineStatus build() {
    return new PipelineStatus(this);
  }
}
