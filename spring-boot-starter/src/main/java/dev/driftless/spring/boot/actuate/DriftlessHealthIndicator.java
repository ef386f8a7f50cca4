package dev.driftless.spring.boot.actuate;

import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.PipelineStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * The pipeline's health, as {@code driftless} under {@code /actuator/health}:
 *
 * <ul>
 *   <li><b>UP</b> while it runs;
 *   <li>the <b>degraded status</b> ({@code driftless.health.degraded-status}, UP by default) while
 *       the source or the sink is in an outage, or the sink throttled within {@code
 *       driftless.health.throttle-window}: the pipeline retries and loses nothing, so by default an
 *       index outage does not make the application unhealthy (a liveness probe would restart it for
 *       nothing); the details say {@code degraded: true} and why;
 *   <li><b>DOWN</b> once it failed (the details carry the failure);
 *   <li><b>OUT_OF_SERVICE</b> while it drains and after it stopped; <b>UNKNOWN</b> before it
 *       started.
 * </ul>
 *
 * <p>Details: state, lag (events and milliseconds), freshness p50/p99 (milliseconds), committed
 * position, counters, outages. Thread-safe.
 */
public final class DriftlessHealthIndicator implements HealthIndicator, AutoCloseable {

  private final Pipeline pipeline;
  private final Status degradedStatus;
  private final Duration throttleWindow;
  private final Clock clock;
  private final AtomicReference<@Nullable Instant> lastThrottled = new AtomicReference<>();
  private final AutoCloseable listening;

  /**
   * @param degradedStatus the status code while degraded (UP, or a custom one such as DEGRADED)
   * @param throttleWindow how long a throttling signal counts as throttling in progress
   */
  public DriftlessHealthIndicator(
      Pipeline pipeline, String degradedStatus, Duration throttleWindow, Clock clock) {
    this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
    this.degradedStatus = new Status(Objects.requireNonNull(degradedStatus, "degradedStatus"));
    this.throttleWindow = Objects.requireNonNull(throttleWindow, "throttleWindow");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.listening =
        pipeline.addListener(
            new PipelineListener() {
              @Override
              public void throttled(String name, int concurrencyLimit) {
                lastThrottled.set(clock.instant());
              }
            });
  }

  @Override
  public Health health() {
    PipelineStatus s = pipeline.status();
    Instant throttled = lastThrottled.get();
    boolean throttling =
        throttled != null && throttled.plus(throttleWindow).isAfter(clock.instant());
    boolean outage = s.sinkOutage() != null || s.sourceOutage() != null;
    Health.Builder h =
        switch (s.state()) {
          case NEW -> Health.unknown();
          case RUNNING -> outage || throttling ? Health.status(degradedStatus) : Health.up();
          case DRAINING, STOPPED -> Health.outOfService();
          case FAILED -> Health.down();
        };
    h.withDetail("pipeline", pipeline.name())
        .withDetail("state", s.state().name())
        .withDetail("lagEvents", s.lagEvents())
        .withDetail("lagMillis", s.lagTime().toMillis())
        .withDetail("freshnessP50Millis", s.freshness().p50().toMillis())
        .withDetail("freshnessP99Millis", s.freshness().p99().toMillis())
        .withDetail("eventsApplied", s.eventsApplied())
        .withDetail("eventsDeadLettered", s.eventsDeadLettered())
        .withDetail("concurrencyLimit", s.concurrencyLimit())
        .withDetail(
            "degraded", s.state() == PipelineStatus.State.RUNNING && (outage || throttling));
    String committed = s.committedPosition();
    if (committed != null) {
      h.withDetail("committedPosition", committed);
    }
    String sink = s.sinkOutage();
    if (sink != null) {
      h.withDetail("sinkOutage", sink);
    }
    String source = s.sourceOutage();
    if (source != null) {
      h.withDetail("sourceOutage", source);
    }
    if (throttling) {
      h.withDetail("throttledAt", String.valueOf(throttled));
    }
    String failure = s.failure();
    if (failure != null) {
      h.withDetail("failure", failure);
    }
    return h.build();
  }

  /** Stops listening to the pipeline. */
  @Override
  public void close() throws Exception {
    listening.close();
  }
}
