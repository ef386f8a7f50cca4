package dev.driftless.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.Version;
import dev.driftless.core.spi.ChangeSource;
import dev.driftless.core.spi.RepairReader;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryChangeLog;
import dev.driftless.tck.InMemoryChangeSource;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.tck.PipelineTestKit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The meters of a real pipeline (core's runner over the tck's in-memory source and sink). */
class PipelineMetricsTest {

  static final Duration WAIT = Duration.ofSeconds(30);

  final InMemoryChangeLog log = InMemoryChangeLog.create();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  Pipeline.Builder pipeline(String name, InMemoryVersionedSink sink) {
    return PipelineTestKit.fastPipeline(name)
        .source(new InMemoryChangeSource(log))
        .sink(sink)
        .deadLetterStore(new InMemoryDeadLetterStore());
  }

  static PipelineMetrics fresh(Pipeline p, MeterRegistry registry) {
    PipelineMetrics m = PipelineMetrics.builder(p).statusMaxAge(Duration.ZERO).build();
    m.bindTo(registry);
    return m;
  }

  /** Waits until {@code n} events are settled and committed (awaitIdle alone may come first). */
  static void awaitSettled(Pipeline p, long n) throws InterruptedException {
    Eventually.until(
        WAIT,
        () -> n + " events settled: " + p.status().summary(),
        () -> p.status().eventsSettled() >= n);
    assertThat(p.awaitIdle(WAIT)).isTrue();
  }

  double counter(String name, String... tags) {
    Counter c = registry.find(name).tags(tags).counter();
    return c == null ? 0 : c.count();
  }

  double gauge(String name, String... tags) {
    return registry.get(name).tags(tags).gauge().value();
  }

  @Test
  void countersMatchWhatThePipelineDidPerCollection() throws Exception {
    InMemoryVersionedSink sink =
        InMemoryVersionedSink.builder().poison(d -> d.has("poison")).build();
    // The index already holds a newer version of two orders: their changes are stale.
    sink.corrupt(
        DocumentKey.of("orders", "o1"), StoredDocument.live(Version.of(1_000), Document.of()));
    sink.corrupt(
        DocumentKey.of("orders", "o2"), StoredDocument.live(Version.of(1_000), Document.of()));
    try (Pipeline p = pipeline("shop", sink).batchSize(7).build()) {
      PipelineMetrics.bind(p, registry);
      AtomicInteger eventsTold = new AtomicInteger();
      p.addListener( // told after the metrics, so it waits for them
          new PipelineListener() {
            @Override
            public void batchWritten(String pipeline, BatchWritten batch) {
              eventsTold.addAndGet(batch.events());
            }
          });
      p.start();
      for (int i = 0; i < 30; i++) {
        log.upsert(DocumentKey.of("orders", "o" + i), Document.of("n", i));
      }
      for (int i = 0; i < 12; i++) {
        log.upsert(
            DocumentKey.of("customers", "c" + i),
            i < 3 ? Document.of("poison", true) : Document.of("n", i));
      }
      awaitSettled(p, 42);
      // Settled first, then the listeners are told.
      Eventually.until(WAIT, "every batch told", () -> eventsTold.get() == 42);

      assertThat(counter("driftless.pipeline.events.applied", "collection", "orders"))
          .isEqualTo(28);
      assertThat(counter("driftless.pipeline.events.stale", "collection", "orders")).isEqualTo(2);
      assertThat(counter("driftless.pipeline.events.applied", "collection", "customers"))
          .isEqualTo(9);
      assertThat(counter("driftless.pipeline.events.dead.lettered", "collection", "customers"))
          .isEqualTo(3);
      assertThat(counter("driftless.pipeline.events.dead.lettered", "collection", "orders"))
          .isZero();
      // Received and coalesced come from the status; every change had its own key.
      PipelineStatus status = p.status();
      assertThat(status.eventsApplied()).isEqualTo(37);
      Eventually.until(
          WAIT,
          "received counter reads the status",
          () -> registry.get("driftless.pipeline.events.received").functionCounter().count() == 42);
      assertThat(registry.get("driftless.pipeline.events.coalesced").functionCounter().count())
          .isZero();

      // Freshness: one per change read from the log and applied or stale (not dead letters).
      Timer orders =
          registry.get("driftless.pipeline.freshness").tags("collection", "orders").timer();
      Timer customers =
          registry.get("driftless.pipeline.freshness").tags("collection", "customers").timer();
      assertThat(orders.count()).isEqualTo(30);
      assertThat(customers.count()).isEqualTo(9);
      assertThat(orders.max(TimeUnit.NANOSECONDS)).isPositive();
      // SLO buckets are there, cumulative, and end with every change.
      CountAtBucket[] buckets = orders.takeSnapshot().histogramCounts();
      assertThat(buckets)
          .extracting(CountAtBucket::bucket)
          .contains(
              (double) TimeUnit.MILLISECONDS.toNanos(100),
              (double) TimeUnit.MILLISECONDS.toNanos(250),
              (double) TimeUnit.SECONDS.toNanos(1),
              (double) TimeUnit.SECONDS.toNanos(5));

      // Batches: the write timer and the size summary saw every batch.
      Timer write = registry.get("driftless.pipeline.batch.write").timer();
      assertThat(write.count()).isBetween(42L / 7, 42L);
      assertThat(registry.get("driftless.pipeline.batch.size").summary().count())
          .isEqualTo(write.count());
      assertThat(registry.get("driftless.pipeline.batch.size").summary().totalAmount())
          .isPositive();
      assertThat(counter("driftless.pipeline.commits")).isPositive();

      // Every meter carries the pipeline tag.
      assertThat(registry.getMeters())
          .filteredOn(m -> m.getId().getName().startsWith("driftless."))
          .isNotEmpty()
          .allMatch(m -> "shop".equals(m.getId().getTag("pipeline")));
    }
  }

  @Test
  void retriesAndThrottlesAreCountedAsTheSinkAnswered() throws Exception {
    InMemoryVersionedSink sink = InMemoryVersionedSink.builder().throttleEveryNthWrite(3).build();
    try (Pipeline p = pipeline("throttled", sink).batchSize(2).build()) {
      fresh(p, registry);
      p.start();
      for (int i = 0; i < 40; i++) {
        log.upsert(DocumentKey.of("items", "i" + i), Document.of("n", i));
      }
      awaitSettled(p, 40);
      assertThat(sink.throttledWriteCount()).isPositive();
      assertThat(counter("driftless.pipeline.throttles")).isEqualTo(sink.throttledWriteCount());
      assertThat(counter("driftless.pipeline.retries", "side", "sink"))
          .isEqualTo(p.status().retries())
          .isGreaterThanOrEqualTo(sink.throttledWriteCount());
      assertThat(counter("driftless.pipeline.retries", "side", "source")).isZero();
      Eventually.await(
          WAIT,
          () ->
              assertThat(counter("driftless.pipeline.events.applied", "collection", "items"))
                  .isEqualTo(40));
    }
  }

  @Test
  void outageGaugesFollowTheSinkAndTheCounterCountsOutages() throws Exception {
    InMemoryVersionedSink sink = InMemoryVersionedSink.create();
    try (Pipeline p = pipeline("outage", sink).build()) {
      fresh(p, registry);
      p.start();
      assertThat(gauge("driftless.pipeline.outage", "side", "sink")).isZero();
      sink.outage(true);
      log.upsert(DocumentKey.of("items", "a"), Document.of("n", 1));
      Eventually.until(
          WAIT,
          "the sink outage gauge shows 1",
          () -> gauge("driftless.pipeline.outage", "side", "sink") == 1.0);
      assertThat(gauge("driftless.pipeline.outage", "side", "source")).isZero();
      // The gauge reads the status, the counter the listener event that follows.
      Eventually.await(
          WAIT,
          () -> assertThat(counter("driftless.pipeline.outages", "side", "sink")).isEqualTo(1));
      // While the change waits, it is in flight and lags.
      assertThat(gauge("driftless.pipeline.in.flight.events")).isEqualTo(1);
      assertThat(gauge("driftless.pipeline.lag.events")).isEqualTo(1);
      sink.outage(false);
      awaitSettled(p, 1);
      Eventually.until(
          WAIT,
          "the sink outage gauge is back to 0",
          () -> gauge("driftless.pipeline.outage", "side", "sink") == 0.0);
      assertThat(counter("driftless.pipeline.outages", "side", "sink")).isEqualTo(1);
      assertThat(counter("driftless.pipeline.retries", "side", "sink")).isPositive();
      Eventually.await(
          WAIT,
          () ->
              assertThat(counter("driftless.pipeline.events.applied", "collection", "items"))
                  .isEqualTo(1));
    }
  }

  @Test
  void gaugesReadTheStatus() throws Exception {
    InMemoryVersionedSink sink = InMemoryVersionedSink.create();
    Pipeline p = pipeline("gauges", sink).parallelism(3).build();
    fresh(p, registry);
    assertThat(gauge("driftless.pipeline.state", "state", "new")).isEqualTo(1);
    p.start();
    assertThat(gauge("driftless.pipeline.state", "state", "running")).isEqualTo(1);
    assertThat(gauge("driftless.pipeline.state", "state", "new")).isZero();
    for (int i = 0; i < 10; i++) {
      log.upsert(DocumentKey.of("items", "i" + i), Document.of("n", i));
    }
    awaitSettled(p, 10);
    PipelineStatus status = p.status();
    assertThat(gauge("driftless.pipeline.concurrency.limit"))
        .isEqualTo(status.concurrencyLimit())
        .isPositive();
    assertThat(gauge("driftless.pipeline.in.flight.events")).isZero();
    assertThat(gauge("driftless.pipeline.in.flight.bytes")).isZero();
    assertThat(gauge("driftless.pipeline.lag.events")).isZero();
    assertThat(registry.get("driftless.pipeline.lag.time").timeGauge().value(TimeUnit.SECONDS))
        .isZero();
    // The in-memory source reports no WAL or stream numbers: no gauge for them.
    assertThat(registry.find("driftless.source.wal.retained").gauge()).isNull();
    p.close();
    assertThat(gauge("driftless.pipeline.state", "state", "stopped")).isEqualTo(1);
    assertThat(gauge("driftless.pipeline.state", "state", "running")).isZero();
  }

  @Test
  void theSourcesOwnNumbersBecomeGaugesOnceReported() throws Exception {
    Map<String, Object> details = new ConcurrentHashMap<>();
    ReportingSource source = new ReportingSource(new InMemoryChangeSource(log), details);
    try (Pipeline p =
        PipelineTestKit.fastPipeline("wal")
            .source(source)
            .sink(InMemoryVersionedSink.create())
            .deadLetterStore(new InMemoryDeadLetterStore())
            .build()) {
      fresh(p, registry);
      assertThat(registry.find("driftless.source.wal.retained").gauge()).isNull();
      details.put("walRetainedBytes", 16_777_216L);
      details.put("replicationLagBytes", 4096L);
      details.put("oldestUnprocessedRecordAgeMillis", 1500L);
      p.start(); // the started event registers the gauges the source now reports
      assertThat(gauge("driftless.source.wal.retained")).isEqualTo(16_777_216.0);
      assertThat(registry.get("driftless.source.wal.retained").gauge().getId().getBaseUnit())
          .isEqualTo("bytes");
      assertThat(gauge("driftless.source.replication.lag")).isEqualTo(4096.0);
      assertThat(
              registry.get("driftless.source.stream.age").timeGauge().value(TimeUnit.MILLISECONDS))
          .isEqualTo(1500.0);
      details.put("walRetainedBytes", 1024L);
      assertThat(gauge("driftless.source.wal.retained")).isEqualTo(1024.0);
    }
  }

  @Test
  void aThrowingRegistryDoesNotBreakThePipeline() throws Exception {
    ThrowingMeterRegistry throwing = new ThrowingMeterRegistry();
    InMemoryVersionedSink sink = InMemoryVersionedSink.builder().poison(d -> d.has("bad")).build();
    try (Pipeline p = pipeline("robust", sink).batchSize(3).build()) {
      PipelineMetrics.bind(p, throwing);
      p.start();
      for (int i = 0; i < 20; i++) {
        log.upsert(
            DocumentKey.of("items", "i" + i),
            i == 5 ? Document.of("bad", true) : Document.of("n", i));
      }
      awaitSettled(p, 20);
      assertThat(throwing.recordings()).as("the meters were used, and threw").isPositive();
      PipelineStatus status = p.status();
      assertThat(status.state()).isEqualTo(PipelineStatus.State.RUNNING);
      assertThat(status.eventsApplied()).isEqualTo(19);
      assertThat(status.eventsDeadLettered()).isEqualTo(1);
      assertThat(sink.liveDocuments()).hasSize(19);
    }
  }

  @Test
  void closeStopsListeningAndRemovesTheMeters() throws Exception {
    InMemoryVersionedSink sink = InMemoryVersionedSink.create();
    try (Pipeline p = pipeline("closing", sink).build()) {
      PipelineMetrics metrics = fresh(p, registry);
      // Told after the metrics (listeners are told in the order they were added).
      AtomicInteger appliedSeen = new AtomicInteger();
      p.addListener(
          new PipelineListener() {
            @Override
            public void batchWritten(String pipeline, BatchWritten batch) {
              appliedSeen.addAndGet(batch.applied());
            }
          });
      p.start();
      log.upsert(DocumentKey.of("items", "a"), Document.of("n", 1));
      awaitSettled(p, 1);
      Counter applied =
          Eventually.untilValue(
              WAIT,
              "the applied counter",
              () ->
                  registry
                      .find("driftless.pipeline.events.applied")
                      .tags("collection", "items")
                      .counter());
      Eventually.await(WAIT, () -> assertThat(applied.count()).isEqualTo(1));
      metrics.close();
      assertThat(registry.getMeters()).extracting(Meter::getId).isEmpty();
      metrics.close(); // idempotent
      log.upsert(DocumentKey.of("items", "b"), Document.of("n", 2));
      awaitSettled(p, 2);
      Eventually.until(WAIT, "the probe told of b", () -> appliedSeen.get() == 2);
      assertThat(applied.count()).as("no longer told").isEqualTo(1);
      assertThat(registry.getMeters()).as("nothing registered again").isEmpty();
      assertThatThrownBy(() -> metrics.bindTo(registry))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
    }
  }

  @Test
  void oneBinderServesSeveralRegistriesWithItsTags() throws Exception {
    SimpleMeterRegistry other = new SimpleMeterRegistry();
    InMemoryVersionedSink sink = InMemoryVersionedSink.create();
    try (Pipeline p = pipeline("two", sink).build()) {
      PipelineMetrics metrics = PipelineMetrics.builder(p).tags(Tags.of("region", "eu")).build();
      metrics.bindTo(registry);
      metrics.bindTo(other);
      metrics.bindTo(registry); // again: ignored, or its counters would count twice
      AtomicInteger appliedSeen = new AtomicInteger();
      p.addListener( // told after the metrics
          new PipelineListener() {
            @Override
            public void batchWritten(String pipeline, BatchWritten batch) {
              appliedSeen.addAndGet(batch.applied());
            }
          });
      p.start();
      log.upsert(DocumentKey.of("items", "a"), Document.of("n", 1));
      awaitSettled(p, 1);
      Eventually.until(WAIT, "the probe told of the batch", () -> appliedSeen.get() == 1);
      for (MeterRegistry r : List.of(registry, other)) {
        assertThat(
                r.get("driftless.pipeline.events.applied")
                    .tags("pipeline", "two", "region", "eu", "collection", "items")
                    .counter()
                    .count())
            .isEqualTo(1);
      }
      assertThat(metrics.tags()).contains(Tag.of("pipeline", "two"), Tag.of("region", "eu"));
    }
  }

  @Test
  void settingsAreCheckedAtOnceNamingTheSetting() {
    Pipeline p = pipeline("settings", InMemoryVersionedSink.create()).build();
    assertThatThrownBy(() -> PipelineMetrics.builder(p).tags(Tags.of("pipeline", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pipeline");
    assertThatThrownBy(() -> PipelineMetrics.builder(p).statusMaxAge(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("statusMaxAge");
    assertThatThrownBy(() -> PipelineMetrics.builder(p).freshnessSlos(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("freshnessSlos");
    p.close();
  }

  @Test
  void backfillProgressBecomesGaugesOnceReported() throws Exception {
    ReportingSource source =
        new ReportingSource(
            new InMemoryChangeSource(log),
            Map.of(),
            List.of(
                new PipelineListener.BackfillProgress("orders", 500, 1000, false),
                new PipelineListener.BackfillProgress("orders", 1000, 1000, true)));
    try (Pipeline p =
        PipelineTestKit.fastPipeline("backfill")
            .source(source)
            .sink(InMemoryVersionedSink.create())
            .deadLetterStore(new InMemoryDeadLetterStore())
            .build()) {
      fresh(p, registry);
      assertThat(registry.find("driftless.source.backfill.items.read").gauge()).isNull();
      p.start(); // the source reports its progress while starting
      assertThat(gauge("driftless.source.backfill.items.read")).isEqualTo(1000);
      assertThat(gauge("driftless.source.backfill.items.estimated")).isEqualTo(1000);
      assertThat(gauge("driftless.source.backfill.done")).isEqualTo(1);
    }
  }

  /**
   * A source that adds numbers of its own to its status details, as PostgreSQL's does, and reports
   * backfill progress while it starts.
   */
  static final class ReportingSource implements ChangeSource {
    private final ChangeSource delegate;
    private final Map<String, Object> extra;
    private final List<PipelineListener.BackfillProgress> progress;

    ReportingSource(ChangeSource delegate, Map<String, Object> extra) {
      this(delegate, extra, List.of());
    }

    ReportingSource(
        ChangeSource delegate,
        Map<String, Object> extra,
        List<PipelineListener.BackfillProgress> progress) {
      this.delegate = delegate;
      this.extra = extra;
      this.progress = progress;
    }

    @Override
    public void start(SourceContext context) throws Exception {
      delegate.start(context);
      progress.forEach(context::backfillProgress);
    }

    @Override
    public List<ChangeEvent> poll(int maxEvents, Duration maxWait) throws Exception {
      return delegate.poll(maxEvents, maxWait);
    }

    @Override
    public void commit(SourcePosition position) throws Exception {
      delegate.commit(position);
    }

    @Override
    public Optional<RepairReader> repairReader() {
      return delegate.repairReader();
    }

    @Override
    public void keepAlive() throws Exception {
      delegate.keepAlive();
    }

    @Override
    public Map<String, Object> statusDetails() {
      Map<String, Object> all = new HashMap<>(delegate.statusDetails());
      all.putAll(extra);
      return all;
    }

    @Override
    public void close() throws Exception {
      delegate.close();
    }
  }
}
