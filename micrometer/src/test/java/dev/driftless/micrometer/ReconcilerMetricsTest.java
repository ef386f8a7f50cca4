package dev.driftless.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.Version;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.InMemoryChangeLog;
import dev.driftless.tck.InMemoryChangeSource;
import dev.driftless.tck.InMemoryFingerprintReader;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.tck.PipelineTestKit;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Reconciliation meters from real runs of a Reconciler over the in-memory source and index. */
class ReconcilerMetricsTest {

  final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  double count(String name, String... tags) {
    return registry.get(name).tags(tags).counter().count();
  }

  double last(String kind) {
    return registry
        .get("driftless.reconciler.last.differences")
        .tags("collection", "items", "kind", kind)
        .gauge()
        .value();
  }

  @Test
  void runsDifferencesByKindAndRepairsAreCounted() throws Exception {
    InMemoryChangeLog log = InMemoryChangeLog.create();
    InMemoryVersionedSink sink = InMemoryVersionedSink.create();
    ReconcilerMetrics metrics = ReconcilerMetrics.create(Tags.of("pipeline", "rec"));
    metrics.bindTo(registry);
    try (Pipeline p =
        PipelineTestKit.fastPipeline("rec")
            .source(new InMemoryChangeSource(log))
            .sink(sink)
            .deadLetterStore(new InMemoryDeadLetterStore())
            .build()) {
      p.start();
      for (int i = 0; i < 40; i++) {
        log.upsert(DocumentKey.of("items", "i" + i), Document.of("n", i));
      }
      PipelineMetricsTest.awaitSettled(p, 40);
      // Drift behind the pipeline's back: 2 lost, 1 stale, 3 phantoms.
      sink.forget(DocumentKey.of("items", "i1"));
      sink.forget(DocumentKey.of("items", "i2"));
      sink.corrupt(
          DocumentKey.of("items", "i3"), StoredDocument.live(Version.of(3), Document.of("n", -1)));
      for (int g = 0; g < 3; g++) {
        sink.corrupt(
            DocumentKey.of("items", "ghost" + g),
            StoredDocument.live(Version.of(1), Document.of("ghost", true)));
      }
      Reconciler reconciler =
          Reconciler.builder()
              .source(InMemoryFingerprintReader.of(log))
              .index(InMemoryFingerprintReader.of(sink))
              .pipeline(p)
              .collection("items")
              .splits(4)
              .verifyDelay(Duration.ZERO)
              .listener(metrics)
              .build();

      ReconciliationReport first = reconciler.run();
      assertThat(first.differences()).isEqualTo(6);
      assertThat(count("driftless.reconciler.runs", "collection", "items", "pipeline", "rec"))
          .isEqualTo(1);
      assertThat(count("driftless.reconciler.differences", "kind", "missing")).isEqualTo(2);
      assertThat(count("driftless.reconciler.differences", "kind", "stale")).isEqualTo(1);
      assertThat(count("driftless.reconciler.differences", "kind", "phantom")).isEqualTo(3);
      assertThat(last("missing")).isEqualTo(2);
      assertThat(last("phantom")).isEqualTo(3);
      assertThat(count("driftless.reconciler.repaired")).isEqualTo(first.repaired()).isEqualTo(6);
      assertThat(count("driftless.reconciler.repair.failed")).isZero();
      assertThat(count("driftless.reconciler.keys.listed", "side", "source"))
          .isEqualTo(first.sourceRowsListed());
      assertThat(count("driftless.reconciler.keys.listed", "side", "index"))
          .isEqualTo(first.indexDocumentsListed())
          .isPositive();
      assertThat(registry.get("driftless.reconciler.duration").timer().count()).isEqualTo(1);

      // The second run finds the index repaired: the counters keep their totals, the last-run
      // gauges drop to zero.
      ReconciliationReport second = reconciler.run();
      assertThat(second.inSync()).isTrue();
      assertThat(count("driftless.reconciler.runs")).isEqualTo(2);
      assertThat(count("driftless.reconciler.differences", "kind", "missing")).isEqualTo(2);
      assertThat(last("missing")).isZero();
      assertThat(last("stale")).isZero();
      assertThat(last("phantom")).isZero();
      assertThat(registry.get("driftless.reconciler.duration").timer().count()).isEqualTo(2);

      // A registry bound later gets the last-run gauges of the collections already seen.
      SimpleMeterRegistry later = new SimpleMeterRegistry();
      metrics.bindTo(later);
      assertThat(
              later
                  .get("driftless.reconciler.last.differences")
                  .tags("collection", "items", "kind", "missing")
                  .gauge()
                  .value())
          .isZero();
    }
  }

  @Test
  void tagsTheMetersSetThemselvesAreRefused() {
    assertThatThrownBy(() -> ReconcilerMetrics.create(Tags.of("kind", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kind");
  }
}
