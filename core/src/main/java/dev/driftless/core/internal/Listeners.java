package dev.driftless.core.internal;

import dev.driftless.core.PipelineListener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pipeline's listeners: those given to the builder and those added while it runs. {@link #tell}
 * calls each one and keeps whatever it throws from the pipeline: the first failure of a listener is
 * logged at WARN with its stack trace, later ones at DEBUG. Thread-safe.
 */
public final class Listeners {
  private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);

  private final String pipeline;
  private final List<Registered> listeners = new CopyOnWriteArrayList<>();

  public Listeners(String pipeline, List<PipelineListener> initial) {
    this.pipeline = pipeline;
    initial.forEach(this::add);
  }

  /** Adds a listener; closing the returned handle removes it. */
  public AutoCloseable add(PipelineListener listener) {
    Registered r = new Registered(listener);
    listeners.add(r);
    return () -> listeners.remove(r);
  }

  public boolean isEmpty() {
    return listeners.isEmpty();
  }

  /** Calls {@code call} on every listener; {@code what} names the call in logs. */
  public void tell(String what, Consumer<PipelineListener> call) {
    for (Registered r : listeners) {
      try {
        call.accept(r.listener);
      } catch (RuntimeException | LinkageError | AssertionError e) {
        if (!r.failedBefore) {
          r.failedBefore = true;
          LOG.warn(
              "Pipeline {}: listener {} threw in {}; ignored (later failures of it are logged at"
                  + " DEBUG)",
              pipeline,
              r.listener.getClass().getName(),
              what,
              e);
        } else {
          LOG.debug(
              "Pipeline {}: listener {} threw in {}",
              pipeline,
              r.listener.getClass().getName(),
              what,
              e);
        }
      }
    }
  }

  /** An outage of {@code side} started: a WARN line, and the listeners are told. */
  public void outageStarted(PipelineListener.Side side, Throwable cause) {
    LOG.warn(
        "Pipeline {}: the {} is unavailable; retrying with backoff: {}",
        pipeline,
        side == PipelineListener.Side.SOURCE ? "source" : "sink",
        cause.toString());
    tell("outageStarted", l -> l.outageStarted(pipeline, side, cause));
  }

  /** An outage of {@code side} ended after {@code lasted}: an INFO line, and the listeners. */
  public void outageEnded(PipelineListener.Side side, Duration lasted) {
    LOG.info(
        "Pipeline {}: the {} is available again after {} ms",
        pipeline,
        side == PipelineListener.Side.SOURCE ? "source" : "sink",
        lasted.toMillis());
    tell("outageEnded", l -> l.outageEnded(pipeline, side, lasted));
  }

  public String pipeline() {
    return pipeline;
  }

  private static final class Registered {
    final PipelineListener listener;
    volatile boolean failedBefore;

    Registered(PipelineListener listener) {
      this.listener = listener;
    }
  }
}
