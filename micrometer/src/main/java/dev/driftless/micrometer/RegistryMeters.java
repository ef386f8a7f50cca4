package dev.driftless.micrometer;

import dev.driftless.core.PipelineListener;
import dev.driftless.core.PipelineListener.BackfillProgress;
import dev.driftless.core.PipelineStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * A pipeline's meters in one registry: those known up front are registered at once, those of a
 * collection when its first event is seen, those of a source detail when the source first reports
 * it. Thread-safe (writer threads report batches in parallel).
 */
final class RegistryMeters {

  /** Numbers some sources report in their status details, and the gauges that show them. */
  private record SourceGauge(
      String key, String name, String description, String baseUnit, boolean millis) {}

  private static final List<SourceGauge> SOURCE_GAUGES =
      List.of(
          new SourceGauge(
              "walRetainedBytes",
              "driftless.source.wal.retained",
              "WAL the PostgreSQL replication slot retains on the server",
              BaseUnits.BYTES,
              false),
          new SourceGauge(
              "replicationLagBytes",
              "driftless.source.replication.lag",
              "WAL written on the PostgreSQL server and not yet confirmed by the source",
              BaseUnits.BYTES,
              false),
          new SourceGauge(
              "oldestUnprocessedRecordAgeMillis",
              "driftless.source.stream.age",
              "Age of the oldest DynamoDB stream record read and not yet handed to the pipeline",
              "",
              true));

  private final MeterRegistry registry;
  private final Tags tags;
  private final Duration[] freshnessSlos;
  private final StatusCache status;
  private final AtomicReference<@Nullable BackfillProgress> backfill;
  private final AtomicBoolean backfillGauges = new AtomicBoolean();
  private final List<Meter> meters = new CopyOnWriteArrayList<>();
  private final Map<String, CollectionMeters> collections = new ConcurrentHashMap<>();
  private final Set<String> sourceGauges = ConcurrentHashMap.newKeySet();

  private final Counter sourceRetries;
  private final Counter sinkRetries;
  private final Counter sourceOutages;
  private final Counter sinkOutages;
  final Counter throttles;
  final Counter commits;
  final Counter resyncs;
  private final Timer batchWrite;
  private final DistributionSummary batchSize;

  /** The meters of one collection. */
  static final class CollectionMeters {
    final Counter applied;
    final Counter stale;
    final Counter deadLettered;
    final Timer freshness;

    CollectionMeters(RegistryMeters m, String collection) {
      Tags t = m.tags.and("collection", collection);
      applied =
          m.add(
              Counter.builder("driftless.pipeline.events.applied")
                  .description("Events whose version the index now holds")
                  .tags(t)
                  .register(m.registry));
      stale =
          m.add(
              Counter.builder("driftless.pipeline.events.stale")
                  .description("Events the index already held in that version or newer")
                  .tags(t)
                  .register(m.registry));
      deadLettered =
          m.add(
              Counter.builder("driftless.pipeline.events.dead.lettered")
                  .description("Events stored in the dead-letter store (rejected or unreadable)")
                  .tags(t)
                  .register(m.registry));
      freshness =
          m.add(
              Timer.builder("driftless.pipeline.freshness")
                  .description(
                      "Time from a change's commit in the database to its acknowledgement by the"
                          + " index")
                  .tags(t)
                  .publishPercentileHistogram()
                  .serviceLevelObjectives(m.freshnessSlos)
                  .minimumExpectedValue(Duration.ofMillis(1))
                  .maximumExpectedValue(Duration.ofMinutes(10))
                  .register(m.registry));
    }
  }

  RegistryMeters(
      MeterRegistry registry,
      Tags tags,
      Duration[] freshnessSlos,
      StatusCache status,
      AtomicReference<@Nullable BackfillProgress> backfill) {
    this.backfill = backfill;
    this.registry = registry;
    this.tags = tags;
    this.freshnessSlos = freshnessSlos.clone();
    this.status = status;

    functionCounter(
        "driftless.pipeline.events.received",
        "Events polled from the source",
        PipelineStatus::eventsReceived);
    functionCounter(
        "driftless.pipeline.events.coalesced",
        "Older changes of a key superseded by a newer change before they were written",
        PipelineStatus::eventsCoalesced);
    sourceRetries = retries("source");
    sinkRetries = retries("sink");
    sourceOutages = outages("source");
    sinkOutages = outages("sink");
    throttles =
        add(
            Counter.builder("driftless.pipeline.throttles")
                .description("Times the index asked the pipeline to slow down (HTTP 429)")
                .tags(tags)
                .register(registry));
    commits =
        add(
            Counter.builder("driftless.pipeline.commits")
                .description("Positions committed to the source")
                .tags(tags)
                .register(registry));
    resyncs =
        add(
            Counter.builder("driftless.pipeline.resyncs")
                .description("Times the source lost its place in the change log and resynced")
                .tags(tags)
                .register(registry));
    batchWrite =
        add(
            Timer.builder("driftless.pipeline.batch.write")
                .description("Time to write a batch, from the first attempt to the last answer")
                .tags(tags)
                .register(registry));
    batchSize =
        add(
            DistributionSummary.builder("driftless.pipeline.batch.size")
                .description("Estimated size of a written batch")
                .baseUnit(BaseUnits.BYTES)
                .tags(tags)
                .register(registry));

    gauge(
        "driftless.pipeline.in.flight.events",
        "Events received and not yet settled",
        "events",
        PipelineStatus::inFlightEvents);
    gauge(
        "driftless.pipeline.in.flight.bytes",
        "Estimated size of the events received and not yet settled",
        BaseUnits.BYTES,
        PipelineStatus::inFlightBytes);
    gauge(
        "driftless.pipeline.concurrency.limit",
        "The adaptive limit of concurrent batch writes",
        "",
        PipelineStatus::concurrencyLimit);
    gauge(
        "driftless.pipeline.lag.events",
        "Events received and not yet covered by the committed position",
        "events",
        PipelineStatus::lagEvents);
    add(
        TimeGauge.builder(
                "driftless.pipeline.lag.time",
                status,
                TimeUnit.NANOSECONDS,
                c -> (double) c.get().lagTime().toNanos())
            .description(
                "Age of the oldest change the index has not acknowledged yet: how stale the index"
                    + " is, at most")
            .tags(tags)
            .strongReference(true)
            .register(registry));
    for (PipelineStatus.State state : PipelineStatus.State.values()) {
      add(
          Gauge.builder("driftless.pipeline.state", status, c -> c.get().state() == state ? 1 : 0)
              .description("1 for the pipeline's lifecycle state, 0 for the others")
              .tags(tags.and("state", state.name().toLowerCase(Locale.ROOT)))
              .strongReference(true)
              .register(registry));
    }
    add(
        Gauge.builder(
                "driftless.pipeline.outage", status, c -> c.get().sourceOutage() != null ? 1 : 0)
            .description("1 while the side is unavailable and retried, else 0")
            .tags(tags.and("side", "source"))
            .strongReference(true)
            .register(registry));
    add(
        Gauge.builder(
                "driftless.pipeline.outage", status, c -> c.get().sinkOutage() != null ? 1 : 0)
            .description("1 while the side is unavailable and retried, else 0")
            .tags(tags.and("side", "sink"))
            .strongReference(true)
            .register(registry));
  }

  private <M extends Meter> M add(M meter) {
    meters.add(meter);
    return meter;
  }

  private void functionCounter(
      String name, String description, ToDoubleFunction<PipelineStatus> value) {
    add(
        FunctionCounter.builder(name, status, c -> value.applyAsDouble(c.get()))
            .description(description)
            .tags(tags)
            .register(registry));
  }

  private void gauge(
      String name, String description, String baseUnit, ToDoubleFunction<PipelineStatus> value) {
    Gauge.Builder<StatusCache> b =
        Gauge.builder(name, status, c -> value.applyAsDouble(c.get()))
            .description(description)
            .tags(tags)
            .strongReference(true);
    if (!baseUnit.isEmpty()) {
      b.baseUnit(baseUnit);
    }
    add(b.register(registry));
  }

  private Counter retries(String side) {
    return add(
        Counter.builder("driftless.pipeline.retries")
            .description("Calls to a side that failed with an outage and are retried")
            .tags(tags.and("side", side))
            .register(registry));
  }

  private Counter outages(String side) {
    return add(
        Counter.builder("driftless.pipeline.outages")
            .description("Outages of a side that started")
            .tags(tags.and("side", side))
            .register(registry));
  }

  Counter retries(PipelineListener.Side side) {
    return side == PipelineListener.Side.SOURCE ? sourceRetries : sinkRetries;
  }

  Counter outages(PipelineListener.Side side) {
    return side == PipelineListener.Side.SOURCE ? sourceOutages : sinkOutages;
  }

  CollectionMeters collection(String collection) {
    CollectionMeters m = collections.get(collection);
    return m != null
        ? m
        : collections.computeIfAbsent(collection, c -> new CollectionMeters(this, c));
  }

  void batchWritten(PipelineListener.BatchWritten batch) {
    batchWrite.record(batch.latency());
    batchSize.record((double) batch.bytes());
    for (PipelineListener.CollectionCounts counts : batch.collections()) {
      CollectionMeters m = collection(counts.collection());
      m.applied.increment(counts.applied());
      m.stale.increment(counts.stale());
      // Dead letters are counted from deadLettered, which also sees unreadable changes.
    }
    batch.forEachFreshness(
        (collection, nanos) ->
            collection(collection).freshness.record(nanos, TimeUnit.NANOSECONDS));
  }

  /** Registers a gauge for each source detail known here that the source now reports. */
  void registerSourceGauges() {
    if (sourceGauges.size() == SOURCE_GAUGES.size()) {
      return;
    }
    Map<String, Object> details = status.get().source();
    for (SourceGauge g : SOURCE_GAUGES) {
      if (details.get(g.key()) instanceof Number && sourceGauges.add(g.key())) {
        ToDoubleFunction<StatusCache> read =
            c -> c.get().source().get(g.key()) instanceof Number n ? n.doubleValue() : Double.NaN;
        if (g.millis()) {
          add(
              TimeGauge.builder(g.name(), status, TimeUnit.MILLISECONDS, read)
                  .description(g.description())
                  .tags(tags)
                  .strongReference(true)
                  .register(registry));
        } else {
          add(
              Gauge.builder(g.name(), status, read)
                  .description(g.description())
                  .baseUnit(g.baseUnit())
                  .tags(tags)
                  .strongReference(true)
                  .register(registry));
        }
      }
    }
  }

  /** Registers the backfill gauges (once), when the source first reports a backfill. */
  void registerBackfillGauges() {
    if (!backfillGauges.compareAndSet(false, true)) {
      return;
    }
    add(
        Gauge.builder("driftless.source.backfill.items.read", backfill, b -> read(b, false))
            .description("Rows or items the source's backfill has read so far")
            .tags(tags)
            .strongReference(true)
            .register(registry));
    add(
        Gauge.builder("driftless.source.backfill.items.estimated", backfill, b -> read(b, true))
            .description("The source's estimate of the rows or items its backfill reads in all")
            .tags(tags)
            .strongReference(true)
            .register(registry));
    add(
        Gauge.builder(
                "driftless.source.backfill.done",
                backfill,
                b -> {
                  BackfillProgress p = b.get();
                  return p != null && p.done() ? 1 : 0;
                })
            .description("1 once the source's backfill finished")
            .tags(tags)
            .strongReference(true)
            .register(registry));
  }

  private static double read(AtomicReference<@Nullable BackfillProgress> b, boolean estimated) {
    BackfillProgress p = b.get();
    if (p == null || (estimated && p.itemsEstimated() < 0)) {
      return Double.NaN;
    }
    return (double) (estimated ? p.itemsEstimated() : p.itemsRead());
  }

  MeterRegistry registry() {
    return registry;
  }

  /** Removes every meter registered here from the registry. */
  void remove() {
    for (Meter m : meters) {
      registry.remove(m);
    }
    meters.clear();
  }
}
