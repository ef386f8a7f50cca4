package dev.driftless.micrometer;

import dev.driftless.core.PipelineListener;
import dev.driftless.core.ReconciliationReport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Micrometer meters of reconciliation runs: runs, their duration, the differences found by kind
 * (missing, stale, phantom: counted over all runs, and as found by the last run), keys repaired and
 * failed, and what the runs read. Give it to every {@code Reconciler} whose runs it should count:
 *
 * <pre>{@code
 * ReconcilerMetrics metrics = ReconcilerMetrics.bind(registry);
 * Reconciler reconciler = Reconciler.builder()...listener(metrics).build();
 * }</pre>
 *
 * <p>Meters are tagged {@code collection} (the source's collection of the run) and the tags given
 * to {@link #create(Iterable)}, and registered when a collection's first run ends. Thread-safe; one
 * instance may serve many reconcilers and several registries.
 */
public final class ReconcilerMetrics implements MeterBinder, PipelineListener {

  private final Tags tags;
  private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
  private final Map<String, LastRun> lastRuns = new ConcurrentHashMap<>();
  private final Map<MeterRegistry, Set<String>> gaugesRegistered = new ConcurrentHashMap<>();

  /** The differences the last run of a collection found. */
  private static final class LastRun {
    final AtomicLong missing = new AtomicLong();
    final AtomicLong stale = new AtomicLong();
    final AtomicLong phantom = new AtomicLong();
  }

  private ReconcilerMetrics(Tags tags) {
    this.tags = tags;
  }

  /** Meters without extra tags, not yet bound to a registry. */
  public static ReconcilerMetrics create() {
    return new ReconcilerMetrics(Tags.empty());
  }

  /**
   * Meters with {@code tags} on each (for example {@code pipeline}), not yet bound to a registry.
   *
   * @throws IllegalArgumentException if a tag is named {@code collection}, {@code kind} or {@code
   *     side} (the meters set those)
   */
  public static ReconcilerMetrics create(Iterable<Tag> tags) {
    Objects.requireNonNull(tags, "tags");
    for (Tag t : tags) {
      if (Set.of("collection", "kind", "side").contains(t.getKey())) {
        throw new IllegalArgumentException(
            "tags must not name '" + t.getKey() + "': the meters set it themselves");
      }
    }
    return new ReconcilerMetrics(Tags.of(tags));
  }

  /** Meters without extra tags, bound to {@code registry}. */
  public static ReconcilerMetrics bind(MeterRegistry registry) {
    ReconcilerMetrics metrics = create();
    metrics.bindTo(registry);
    return metrics;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    registries.add(registry);
    for (String collection : lastRuns.keySet()) {
      registerGauges(registry, collection);
    }
  }

  @Override
  public void reconciled(ReconciliationReport report) {
    String collection = report.sourceCollection();
    LastRun last = lastRuns.computeIfAbsent(collection, c -> new LastRun());
    last.missing.set(report.missing());
    last.stale.set(report.stale());
    last.phantom.set(report.phantom());
    Tags t = tags.and("collection", collection);
    for (MeterRegistry registry : registries) {
      registerGauges(registry, collection);
      counter(registry, "driftless.reconciler.runs", "Reconciliation runs that ended", t)
          .increment();
      Timer.builder("driftless.reconciler.duration")
          .description("How long a reconciliation run took")
          .tags(t)
          .register(registry)
          .record(report.duration());
      differences(registry, t, "missing", report.missing());
      differences(registry, t, "stale", report.stale());
      differences(registry, t, "phantom", report.phantom());
      counter(
              registry,
              "driftless.reconciler.repaired",
              "Keys repaired through the pipeline (written, or found already current)",
              t)
          .increment((double) report.repaired());
      counter(registry, "driftless.reconciler.repair.failed", "Keys whose repair failed", t)
          .increment((double) report.repairFailed());
      counter(
              registry,
              "driftless.reconciler.keys.listed",
              "Keys read key by key (listed, and re-read to verify)",
              t.and("side", "source"))
          .increment((double) report.sourceRowsListed());
      counter(
              registry,
              "driftless.reconciler.keys.listed",
              "Keys read key by key (listed, and re-read to verify)",
              t.and("side", "index"))
          .increment((double) report.indexDocumentsListed());
      if (report.bytesRead() >= 0) {
        Counter.builder("driftless.reconciler.read")
            .description("Bytes the two sides' readers moved")
            .baseUnit(BaseUnits.BYTES)
            .tags(t)
            .register(registry)
            .increment((double) report.bytesRead());
      }
    }
  }

  private static Counter counter(MeterRegistry registry, String name, String description, Tags t) {
    return Counter.builder(name).description(description).tags(t).register(registry);
  }

  private static void differences(MeterRegistry registry, Tags t, String kind, long count) {
    counter(
            registry,
            "driftless.reconciler.differences",
            "Keys found differing (and still differing when re-verified), by kind",
            t.and("kind", kind))
        .increment((double) count);
  }

  private void registerGauges(MeterRegistry registry, String collection) {
    if (!gaugesRegistered
        .computeIfAbsent(registry, r -> ConcurrentHashMap.newKeySet())
        .add(collection)) {
      return;
    }
    LastRun last = lastRuns.get(collection);
    if (last == null) {
      return;
    }
    Tags t = tags.and("collection", collection);
    lastGauge(registry, t, "missing", last.missing);
    lastGauge(registry, t, "stale", last.stale);
    lastGauge(registry, t, "phantom", last.phantom);
  }

  private static void lastGauge(MeterRegistry registry, Tags t, String kind, AtomicLong value) {
    Gauge.builder("driftless.reconciler.last.differences", value, AtomicLong::get)
        .description("Differences the last run found, by kind (0 when the index was in sync)")
        .tags(t.and("kind", kind))
        .strongReference(true)
        .register(registry);
  }

  @Override
  public String toString() {
    return "ReconcilerMetrics" + tags;
  }
}
