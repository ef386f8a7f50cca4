package dev.driftless.spring.boot.internal;

import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.PipelineStatus;
import dev.driftless.spring.boot.DriftlessReconcilers;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the pipeline once every singleton of the context exists (a late phase: after the web
 * server and message listeners, so that the application is up before changes flow) and closes it,
 * drained, first on shutdown, before the beans it uses (the {@code DataSource}) are destroyed.
 *
 * <p>The application's {@link PipelineListener} beans are added to the pipeline just before it
 * starts (not through its builder, so that a listener bean may itself depend on the pipeline).
 */
public final class PipelineLifecycle implements SmartLifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineLifecycle.class);

  /** Late among the context's lifecycles: started last, stopped first. */
  public static final int PHASE = Integer.MAX_VALUE - 1000;

  private final Pipeline pipeline;
  private final List<PipelineListener> listeners;
  private final List<PipelineListener> reconcilerListeners;
  private final @Nullable DriftlessReconcilers reconcilers;
  private final boolean autoStartup;
  private final Object lock = new Object();
  private boolean started;

  public PipelineLifecycle(
      Pipeline pipeline,
      List<PipelineListener> listeners,
      List<PipelineListener> reconcilerListeners,
      @Nullable DriftlessReconcilers reconcilers,
      boolean autoStartup) {
    this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
    this.listeners = List.copyOf(listeners);
    this.reconcilerListeners = List.copyOf(reconcilerListeners);
    this.reconcilers = reconcilers;
    this.autoStartup = autoStartup;
  }

  @Override
  public void start() {
    synchronized (lock) {
      if (started) {
        return;
      }
      started = true;
      for (PipelineListener l : listeners) {
        // Removed with the pipeline: it is closed with the context and never restarted.
        var unused = pipeline.addListener(l);
      }
      pipeline.start();
      DriftlessReconcilers r = reconcilers;
      if (r != null) {
        r.start(reconcilerListeners);
      }
    }
  }

  @Override
  public void stop() {
    synchronized (lock) {
      DriftlessReconcilers r = reconcilers;
      if (r != null) {
        try {
          r.close();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      // Drains what is in flight (up to driftless.pipeline.drain-timeout), commits, closes.
      pipeline.close();
      PipelineStatus last = pipeline.status();
      LOG.debug(
          "Pipeline {} closed with the application context: {}", pipeline.name(), last.summary());
    }
  }

  @Override
  public boolean isRunning() {
    PipelineStatus.State state = pipeline.status().state();
    return state == PipelineStatus.State.RUNNING || state == PipelineStatus.State.DRAINING;
  }

  @Override
  public boolean isAutoStartup() {
    return autoStartup;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
