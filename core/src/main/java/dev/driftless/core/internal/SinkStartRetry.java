package dev.driftless.core.internal;

import dev.driftless.core.DriftlessException;
import dev.driftless.core.RetriableException;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.VersionedSink;
import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicyBuilder;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Starts a sink that could not be reached when the pipeline started: calls {@link
 * VersionedSink#start} again on a background thread with the pipeline's backoff until it returns,
 * the outage outlasts the pipeline's {@code outageDeadline}, a failure that retrying cannot heal (a
 * {@link dev.driftless.core.ConfigurationException}) ends it, or the pipeline stops.
 */
final class SinkStartRetry implements Runnable {

  /** What the runner learns; called on the retry thread. */
  interface Listener {
    /** The sink is still unreachable; another attempt follows. */
    void retrying(Throwable cause);

    /** The sink started: writing may begin. */
    void started();

    /** The sink will not start: the pipeline must stop. */
    void failed(DriftlessException cause);

    /** Whether the pipeline is stopping, so that attempts end. */
    boolean stopping();
  }

  private final VersionedSink sink;
  private final SinkContext context;
  private final RetryPolicyBuilder<Object> policy;
  private final @Nullable Duration outageDeadline;
  private final Listener listener;

  SinkStartRetry(
      VersionedSink sink,
      SinkContext context,
      RetryPolicyBuilder<Object> policy,
      @Nullable Duration outageDeadline,
      Listener listener) {
    this.sink = sink;
    this.context = context;
    this.policy = policy;
    this.outageDeadline = outageDeadline;
    this.listener = listener;
  }

  @Override
  public void run() {
    try {
      Failsafe.with(policy.onRetry(e -> listener.retrying(e.getLastException())).build())
          .run(
              () -> {
                if (listener.stopping()) {
                  throw new InterruptedException("pipeline stopping");
                }
                sink.start(context);
              });
    } catch (FailsafeException e) {
      Throwable cause = e.getCause();
      if (!(cause instanceof InterruptedException) && !listener.stopping()) {
        listener.failed(new DriftlessException("the sink failed to start: " + cause, cause));
      }
      return;
    } catch (RetriableException e) {
      // Retried without limit but for the deadline: the outage outlasted it.
      listener.failed(
          new DriftlessException(
              "sink outage outlasted outageDeadline " + outageDeadline + " while starting: " + e,
              e));
      return;
    } catch (RuntimeException e) {
      if (!listener.stopping()) {
        listener.failed(
            e instanceof DriftlessException d
                ? d
                : new DriftlessException("the sink failed to start: " + e, e));
      }
      return;
    }
    listener.started();
  }
}
