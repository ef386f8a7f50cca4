package dev.driftless.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.Version;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * P5 (I8, I3): after an index is corrupted behind the pipeline's back — documents lost, stale
 * versions written, phantoms added, content changed — one reconciliation run finds every
 * difference, classifies it exactly, and repairs it through the real pipeline, so that the index
 * equals the source again with the source's versions (nothing regressed).
 */
class ReconciliationProperties {

  enum Corruption {
    NONE,
    LOSE,
    STALE,
    CHANGE
  }

  @Property(tries = 1000)
  void p5_reconciliationFindsAndRepairsEveryDifference(
      @ForAll("histories") List<RunnerFixture.Change> history,
      @ForAll("corruptions") List<Corruption> corruptions,
      @ForAll @IntRange(min = 0, max = 3) int phantoms,
      @ForAll @IntRange(min = 1, max = 8) int listThreshold)
      throws Exception {
    InMemoryChangeLog log = InMemoryChangeLog.create();
    InMemoryVersionedSink sink = InMemoryVersionedSink.create();
    for (RunnerFixture.Change change : history) {
      DocumentKey key = DocumentKey.of("items", "k" + change.key());
      if (change.delete()) {
        log.delete(key);
      } else {
        log.upsert(key, Document.of("n", (long) log.size()));
      }
    }
    try (Pipeline pipeline =
        Pipeline.builder()
            .source(InMemoryChangeSource.withWaitCap(log, Duration.ofMillis(1)))
            .sink(sink)
            .deadLetterStore(new InMemoryDeadLetterStore())
            .retry(new RetrySettings(Duration.ofMillis(1), Duration.ofMillis(2), 2, 0))
            .linger(Duration.ZERO)
            .commitInterval(Duration.ZERO)
            .build()
            .start()) {
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (pipeline.status().eventsSettled() < log.size() && System.nanoTime() < deadline) {
        pipeline.awaitIdle(Duration.ofMillis(5));
      }
      assertThat(sink.liveDocuments()).isEqualTo(log.currentState());

      // Corrupt the live documents, then add phantoms.
      long lost = 0;
      long stale = 0;
      int i = 0;
      for (Map.Entry<DocumentKey, Document> live : log.currentState().entrySet()) {
        Corruption c = corruptions.get(i++ % corruptions.size());
        Version version = sink.get(live.getKey()).orElseThrow().version();
        switch (c) {
          case LOSE -> {
            sink.forget(live.getKey());
            lost++;
          }
          case STALE -> {
            sink.corrupt(
                live.getKey(),
                StoredDocument.live(Version.of(version.value() - 1), Document.of("n", -1L)));
            stale++;
          }
          case CHANGE -> {
            sink.corrupt(live.getKey(), StoredDocument.live(version, Document.of("n", -2L)));
            stale++;
          }
          case NONE -> {}
        }
      }
      for (int p = 0; p < phantoms; p++) {
        sink.corrupt(
            DocumentKey.of("items", "ghost" + p),
            StoredDocument.live(Version.of(1), Document.of("ghost", true)));
      }

      ReconciliationReport report =
          Reconciler.builder()
              .source(InMemoryFingerprintReader.of(log))
              .index(InMemoryFingerprintReader.of(sink))
              .pipeline(pipeline)
              .collection("items")
              .splits(4)
              .listThreshold(listThreshold)
              .verifyDelay(Duration.ZERO)
              .build()
              .run();

      assertThat(report.missing()).as("missing").isEqualTo(lost);
      assertThat(report.stale()).as("stale").isEqualTo(stale);
      assertThat(report.phantom()).as("phantom").isEqualTo(phantoms);
      assertThat(report.repaired()).isEqualTo(lost + stale + phantoms);
      assertThat(report.repairFailed()).isZero();
      // I8: the index equals the source again; I3: with the source's own versions.
      assertThat(sink.liveDocuments()).isEqualTo(log.currentState());
      log.latestByKey()
          .forEach(
              (key, latest) ->
                  sink.get(key)
                      .filter(stored -> stored.document() != null)
                      .ifPresent(
                          stored -> assertThat(stored.version()).isEqualTo(latest.version())));
    }
  }

  @Provide
  Arbitrary<List<RunnerFixture.Change>> histories() {
    return RunnerFixture.histories(12, 40);
  }

  @Provide
  Arbitrary<List<Corruption>> corruptions() {
    return Arbitraries.of(Corruption.class).list().ofMinSize(1).ofMaxSize(8);
  }
}
