package dev.driftless.spring.boot;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconcilers of the collections listed under {@code driftless.reconciliation.<collection>}:
 * each runs every {@code interval} (when one is set) and at once after the source resynced, and on
 * demand through {@link #run(String)} (the {@code driftless} actuator endpoint's {@code reconcile}
 * operation). Runs of one collection never overlap: an on-demand run waits for a scheduled one.
 *
 * <p>Thread-safe. Started and closed by the starter's lifecycle with the pipeline.
 */
public final class DriftlessReconcilers implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DriftlessReconcilers.class);

  private final Pipeline pipeline;
  private final Map<String, @Nullable Duration> intervals;
  private final BiFunction<String, List<PipelineListener>, Reconciler> factory;
  private final Map<String, Reconciler> reconcilers = new ConcurrentHashMap<>();
  private final Map<String, Object> locks = new ConcurrentHashMap<>();
  private final Map<String, ReconciliationReport> lastReports = new ConcurrentHashMap<>();
  private final Object lifecycle = new Object();

  @GuardedBy("lifecycle")
  private @Nullable ScheduledExecutorService timer;

  @GuardedBy("lifecycle")
  private @Nullable AutoCloseable resyncListener;

  /**
   * @param pipeline the pipeline that repairs differences
   * @param intervals each collection's schedule (null: on demand and after a resync only)
   * @param factory builds a collection's reconciler with the given listeners
   */
  public DriftlessReconcilers(
      Pipeline pipeline,
      Map<String, @Nullable Duration> intervals,
      BiFunction<String, List<PipelineListener>, Reconciler> factory) {
    this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
    this.intervals = new LinkedHashMap<>(intervals);
    this.factory = Objects.requireNonNull(factory, "factory");
    for (String collection : this.intervals.keySet()) {
      locks.put(collection, new Object());
    }
  }

  /** The configured collections. */
  public Set<String> collections() {
    return intervals.keySet();
  }

  /** The report of the collection's last finished run, if any. */
  public Optional<ReconciliationReport> lastReport(String collection) {
    return Optional.ofNullable(lastReports.get(collection));
  }

  /**
   * Builds the reconcilers (told of each report by {@code listeners}, such as the Micrometer
   * binder) and starts their schedules. Called once the pipeline runs.
   */
  public void start(List<PipelineListener> listeners) {
    synchronized (lifecycle) {
      if (timer != null || intervals.isEmpty()) {
        return;
      }
      List<PipelineListener> copy = List.copyOf(listeners);
      for (String collection : intervals.keySet()) {
        reconcilers.put(collection, factory.apply(collection, copy));
      }
      ScheduledExecutorService t =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread thread = new Thread(r, "driftless-reconciler-" + pipeline.name());
                thread.setDaemon(true);
                return thread;
              });
      intervals.forEach(
          (collection, interval) -> {
            if (interval != null) {
              long ms = interval.toMillis();
              var unused =
                  t.scheduleWithFixedDelay(
                      () -> runLogged(collection), ms, ms, TimeUnit.MILLISECONDS);
            }
          });
      timer = t;
      resyncListener =
          pipeline.addListener(
              new PipelineListener() {
                @Override
                public void sourceResynced(String name) {
                  LOG.info("The source of pipeline {} resynced: reconciling now", name);
                  for (String collection : intervals.keySet()) {
                    t.execute(() -> runLogged(collection));
                  }
                }
              });
    }
  }

  /**
   * Runs one reconciliation of {@code collection} now, on the calling thread, after any run of it
   * in progress.
   *
   * @throws NoSuchElementException if the collection has no {@code driftless.reconciliation} entry
   * @throws IllegalStateException if the reconcilers have not started (the pipeline is not running)
   */
  public ReconciliationReport run(String collection) throws InterruptedException {
    Object lock = locks.get(collection);
    if (lock == null) {
      throw new NoSuchElementException(
          "no reconciliation is configured for collection '"
              + collection
              + "' (driftless.reconciliation."
              + collection
              + ".interval); configured: "
              + collections());
    }
    Reconciler reconciler = reconcilers.get(collection);
    if (reconciler == null) {
      throw new IllegalStateException(
          "the reconcilers start with the pipeline; pipeline "
              + pipeline.name()
              + " is not running");
    }
    synchronized (lock) {
      ReconciliationReport report = reconciler.run();
      lastReports.put(collection, report);
      return report;
    }
  }

  private void runLogged(String collection) {
    try {
      run(collection);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("Scheduled reconciliation of {} failed", collection, e);
    }
  }

  /** Stops the schedules; a run in progress is interrupted. Idempotent. */
  @Override
  public void close() throws InterruptedException {
    ScheduledExecutorService t;
    AutoCloseable listening;
    synchronized (lifecycle) {
      t = timer;
      listening = resyncListener;
      timer = null;
      resyncListener = null;
    }
    if (listening != null) {
      try {
        listening.close();
      } catch (Exception e) {
        LOG.debug("Removing the resync listener failed", e);
      }
    }
    if (t != null) {
      t.shutdownNow();
      if (!t.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.warn("A reconciliation of pipeline {} did not stop within 10 s", pipeline.name());
      }
    }
  }

  /** Lists configured collections with their last report, for the endpoint. */
  public List<Map<String, Object>> describe() {
    List<Map<String, Object>> out = new ArrayList<>();
    intervals.forEach(
        (collection, interval) -> {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("collection", collection);
          m.put("interval", interval == null ? "on demand" : interval.toString());
          ReconciliationReport last = lastReports.get(collection);
          if (last != null) {
            m.put("lastRun", last.summary());
          }
          out.add(m);
        });
    return out;
  }
}
