package dev.driftless.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.Reconciler;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryChangeLog;
import dev.driftless.tck.InMemoryChangeSource;
import dev.driftless.tck.InMemoryFingerprintReader;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.tck.PipelineTestKit;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a Prometheus server scrapes: the names and labels the docs promise. */
class PrometheusScrapeTest {

  @Test
  void theScrapeTextNamesTheMetersAsDocumented() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    InMemoryChangeLog log = InMemoryChangeLog.create();
    InMemoryVersionedSink sink = InMemoryVersionedSink.builder().poison(d -> d.has("bad")).build();
    try (Pipeline p =
        PipelineTestKit.fastPipeline("x")
            .source(
                new PipelineMetricsTest.ReportingSource(
                    new InMemoryChangeSource(log),
                    Map.of("walRetainedBytes", 2048L, "oldestUnprocessedRecordAgeMillis", 250L)))
            .sink(sink)
            .deadLetterStore(new InMemoryDeadLetterStore())
            .build()) {
      PipelineMetrics.bind(p, registry);
      p.start();
      for (int i = 0; i < 5; i++) {
        log.upsert(DocumentKey.of("orders", "o" + i), Document.of("n", i));
      }
      log.upsert(DocumentKey.of("orders", "poison"), Document.of("bad", true));
      PipelineMetricsTest.awaitSettled(p, 6);
      // Settled first, then the listener is told: the scrape catches up at once.
      Eventually.until(
          Duration.ofSeconds(30),
          "the freshness of 5 changes in the scrape",
          () ->
              registry
                  .scrape()
                  .contains(
                      "driftless_pipeline_freshness_seconds_count{collection=\"orders\",pipeline=\"x\"} 5"));

      String text = registry.scrape();

      assertThat(text)
          .contains(
              "driftless_pipeline_events_applied_total{collection=\"orders\",pipeline=\"x\"} 5")
          .contains(
              "driftless_pipeline_events_dead_lettered_total{collection=\"orders\",pipeline=\"x\"} 1")
          .contains("driftless_pipeline_events_received_total{pipeline=\"x\"}")
          .contains("driftless_pipeline_retries_total{pipeline=\"x\",side=\"sink\"} 0")
          .contains("driftless_pipeline_throttles_total{pipeline=\"x\"} 0")
          .contains("driftless_pipeline_in_flight_events{pipeline=\"x\"}")
          .contains("driftless_pipeline_in_flight_bytes{pipeline=\"x\"}")
          .contains("driftless_pipeline_concurrency_limit{pipeline=\"x\"}")
          .contains("driftless_pipeline_lag_events{pipeline=\"x\"}")
          .contains("driftless_pipeline_lag_time_seconds{pipeline=\"x\"}")
          .contains("driftless_pipeline_state{pipeline=\"x\",state=\"running\"} 1")
          .contains("driftless_pipeline_outage{pipeline=\"x\",side=\"sink\"} 0")
          .contains("driftless_pipeline_batch_write_seconds_count{pipeline=\"x\"}")
          .contains("driftless_pipeline_batch_size_bytes_count{pipeline=\"x\"}")
          // The freshness histogram: its buckets include the SLOs, counted per collection.
          .contains(
              "driftless_pipeline_freshness_seconds_bucket{collection=\"orders\",pipeline=\"x\",le=\"0.1\"}")
          .contains(
              "driftless_pipeline_freshness_seconds_bucket{collection=\"orders\",pipeline=\"x\",le=\"0.25\"}")
          .contains(
              "driftless_pipeline_freshness_seconds_bucket{collection=\"orders\",pipeline=\"x\",le=\"1.0\"}")
          .contains(
              "driftless_pipeline_freshness_seconds_bucket{collection=\"orders\",pipeline=\"x\",le=\"5.0\"}")
          .contains(
              "driftless_pipeline_freshness_seconds_count{collection=\"orders\",pipeline=\"x\"} 5")
          // Numbers the source reports.
          .contains("driftless_source_wal_retained_bytes{pipeline=\"x\"} 2048")
          .contains("driftless_source_stream_age_seconds{pipeline=\"x\"} 0.25");

      // A reconciliation run: the lost document is repaired; the dead-lettered one is missing too,
      // and its repair fails again (it is still poison).
      sink.forget(DocumentKey.of("orders", "o1"));
      ReconcilerMetrics reconciliation = ReconcilerMetrics.create(Tags.of("pipeline", "x"));
      reconciliation.bindTo(registry);
      Reconciler.builder()
          .source(InMemoryFingerprintReader.of(log))
          .index(InMemoryFingerprintReader.of(sink))
          .pipeline(p)
          .collection("orders")
          .verifyDelay(Duration.ZERO)
          .listener(reconciliation)
          .build()
          .run();
      assertThat(registry.scrape())
          .contains("driftless_reconciler_runs_total{collection=\"orders\",pipeline=\"x\"} 1")
          .contains(
              "driftless_reconciler_duration_seconds_count{collection=\"orders\",pipeline=\"x\"} 1")
          .contains(
              "driftless_reconciler_differences_total{collection=\"orders\",kind=\"missing\",pipeline=\"x\"} 2")
          .contains(
              "driftless_reconciler_last_differences{collection=\"orders\",kind=\"missing\",pipeline=\"x\"} 2")
          .contains("driftless_reconciler_repaired_total{collection=\"orders\",pipeline=\"x\"} 1")
          .contains(
              "driftless_reconciler_repair_failed_total{collection=\"orders\",pipeline=\"x\"} 1")
          .contains(
              "driftless_reconciler_keys_listed_total{collection=\"orders\",pipeline=\"x\",side=\"index\"}");
    }
  }
}
