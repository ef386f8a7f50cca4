package dev.driftless.core.internal;

import dev.driftless.core.DriftlessException;
import dev.driftless.core.RetriableException;
import dev.driftless.core.RetrySettings;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import dev.failsafe.RetryPolicyBuilder;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runner's outage policy: what a {@link RetriableException} means (retry with the pipeline's
 * backoff until the {@code outageDeadline}), for the sink's start, its writes and the source's
 * calls. Stateless.
 */
final class Outages {
  private static final Logger LOG = LoggerFactory.getLogger(Outages.class);

  private Outages() {}

  /** A call to the source. */
  @FunctionalInterface
  interface SourceCall<T> {
    T call() throws Exception;
  }

  /** Retries {@link RetriableException} with backoff, forever or until {@code deadline}. */
  static RetryPolicyBuilder<Object> policy(RetrySettings retry, @Nullable Duration deadline) {
    RetryPolicyBuilder<Object> builder =
        RetryPolicy.builder()
            .handleIf(e -> e instanceof RetriableException)
            .withMaxRetries(-1)
            .withBackoff(retry.initialDelay(), retry.maxDelay(), retry.multiplier());
    if (retry.jitter() > 0) {
      builder.withJitter(retry.jitter());
    }
    if (deadline != null) {
      builder.withMaxDuration(deadline);
    }
    return builder;
  }

  /**
   * A source call retried on {@link RetriableException}; {@code null} if the pipeline stopped.
   *
   * @throws DriftlessException if the outage outlasted the deadline
   */
  static <T> @Nullable T callSource(
      String pipeline,
      RetrySettings retry,
      @Nullable Duration deadline,
      BooleanSupplier stopping,
      SourceCall<T> call)
      throws Exception {
    RetryPolicy<Object> policy =
        policy(retry, deadline)
            .onRetry(
                e ->
                    LOG.warn(
                        "Pipeline {}: source unavailable, retrying: {}",
                        pipeline,
                        e.getLastException().toString()))
            .build();
    try {
      return Failsafe.with(policy).get(() -> call.call());
    } catch (FailsafeException e) {
      Throwable cause = e.getCause();
      if (cause instanceof InterruptedException || stopping.getAsBoolean()) {
        return null;
      }
      throw new DriftlessException(
          "source outage outlasted outageDeadline " + deadline + ": " + cause, cause);
    } catch (RetriableException e) {
      throw new DriftlessException(
          "source outage outlasted outageDeadline " + deadline + ": " + e, e);
    }
  }
}
