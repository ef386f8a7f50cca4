package dev.driftless.core.internal;

import dev.driftless.core.DriftlessException;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.VersionedSink;

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
  private final OutagePolicy policy;
  private final Listener listener;

  SinkStartRetry(VersionedSink sink, SinkContext context, OutagePolicy policy, Listener listener) {
    this.sink = sink;
    this.context = context;
    this.policy = policy;
    this.listener = listener;
  }

  @Override
  public void run() {
    try {
      policy.call(
          "sink outage while starting",
          listener::stopping,
          (attempt, cause, delay) -> listener.retrying(cause),
          () -> {
            sink.start(context);
            return Boolean.TRUE;
          });
    } catch (InterruptedException e) {
      return; // the pipeline stopped
    } catch (Exception e) {
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
