package dev.driftless.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The reconciliation engine over in-memory readers (I8); the adapters' ITs run it for real. */
class ReconcilerTest {

  /** A reader over a map of id to fingerprint, bucketing by a hash of the id. */
  static class MapReader implements FingerprintReader {
    final Supplier<Map<String, Long>> rows;
    long listed;
    long read;

    MapReader(Supplier<Map<String, Long>> rows) {
      this.rows = rows;
    }

    static long bucket(String id) {
      return (id.hashCode() * 0x9E3779B97F4A7C15L) >>> 32;
    }

    static long boundary(BucketRange r, int splits, int i) {
      return r.from()
          + java.math.BigInteger.valueOf(r.to() - r.from())
              .multiply(java.math.BigInteger.valueOf(i))
              .divide(java.math.BigInteger.valueOf(splits))
              .longValueExact();
    }

    @Override
    public List<BucketSummary> summarize(String collection, BucketRange range, int splits) {
      List<BucketSummary> out = new ArrayList<>();
      for (int i = 0; i < splits; i++) {
        long from = boundary(range, splits, i);
        long to = boundary(range, splits, i + 1);
        if (from == to) {
          continue;
        }
        long count = 0, lo = 0, mid = 0, hi = 0;
        for (Map.Entry<String, Long> e : rows.get().entrySet()) {
          long b = bucket(e.getKey());
          if (b >= from && b < to) {
            long f = e.getKey().hashCode() ^ e.getValue();
            count++;
            lo += f & 0x1FFFFF;
            mid += (f >>> 21) & 0x1FFFFF;
            hi += f >>> 42;
          }
        }
        out.add(new BucketSummary(new BucketRange(from, to), count, lo, mid, hi));
      }
      return out;
    }

    @Override
    public List<KeyFingerprint> list(String collection, BucketRange range) {
      List<KeyFingerprint> out = new ArrayList<>();
      new TreeMap<>(rows.get())
          .forEach(
              (id, fp) -> {
                long b = bucket(id);
                if (b >= range.from() && b < range.to()) {
                  out.add(
                      new KeyFingerprint(DocumentKey.of(collection, id), fp, OptionalLong.empty()));
                }
              });
      listed += out.size();
      return out;
    }

    @Override
    public List<KeyFingerprint> read(String collection, java.util.Collection<String> ids) {
      Map<String, Long> now = rows.get();
      List<KeyFingerprint> out = new ArrayList<>();
      for (String id : ids) {
        Long fp = now.get(id);
        if (fp != null) {
          out.add(new KeyFingerprint(DocumentKey.of(collection, id), fp, OptionalLong.empty()));
        }
      }
      read += out.size();
      return out;
    }
  }

  static long fingerprint(Document d) {
    return d.fields().hashCode() * 31L + 7;
  }

  @Test
  void findsAndRepairsEveryMissingStaleAndPhantomDocument() throws Exception {
    java.util.List<ReconciliationReport> told = new java.util.concurrent.CopyOnWriteArrayList<>();
    Map<String, Document> database = new ConcurrentHashMap<>();
    for (int i = 0; i < 20_000; i++) {
      database.put("k" + i, Document.of("n", i));
    }
    PipelineRunnerTest.MapSink sink = new PipelineRunnerTest.MapSink();
    ListSource source = new ListSource(List.of());
    source.repair =
        keys -> {
          List<ChangeEvent> out = new ArrayList<>();
          for (DocumentKey k : keys) {
            Document d = database.get(k.id());
            out.add(
                d == null
                    ? ChangeEvent.delete(
                        k, Version.of(100), SourcePosition.ofOffset(0), Instant.EPOCH)
                    : ChangeEvent.upsert(
                        k, Version.of(100), SourcePosition.ofOffset(0), d, Instant.EPOCH));
          }
          return out;
        };
    // The index: a correct copy, then corrupted behind the pipeline's back.
    database.forEach(
        (id, d) ->
            sink.index.put(
                DocumentKey.of("t", id),
                ChangeEvent.upsert(
                    DocumentKey.of("t", id),
                    Version.of(1),
                    SourcePosition.ofOffset(0),
                    d,
                    Instant.EPOCH)));
    for (int i = 0; i < 5; i++) {
      sink.index.remove(DocumentKey.of("t", "k" + (i * 1000)));
    }
    for (int i = 0; i < 7; i++) {
      DocumentKey k = DocumentKey.of("t", "k" + (i * 1000 + 1));
      sink.index.put(
          k,
          ChangeEvent.upsert(
              k, Version.of(1), SourcePosition.ofOffset(0), Document.of("n", -1), Instant.EPOCH));
    }
    for (int i = 0; i < 3; i++) {
      DocumentKey k = DocumentKey.of("t", "ghost" + i);
      sink.index.put(
          k,
          ChangeEvent.upsert(
              k, Version.of(1), SourcePosition.ofOffset(0), Document.of("n", -2), Instant.EPOCH));
    }
    Supplier<Map<String, Long>> dbSide =
        () -> {
          Map<String, Long> m = new java.util.HashMap<>();
          database.forEach((id, d) -> m.put(id, fingerprint(d)));
          return m;
        };
    Supplier<Map<String, Long>> indexSide =
        () -> {
          Map<String, Long> m = new java.util.HashMap<>();
          sink.index.forEach(
              (k, e) -> {
                if (e instanceof ChangeEvent.Upsert u) {
                  m.put(k.id(), fingerprint(u.document()));
                }
              });
          return m;
        };
    MapReader sourceReader = new MapReader(dbSide);
    MapReader indexReader = new MapReader(indexSide);
    try (Pipeline pipeline =
        Pipeline.builder()
            .source(source)
            .sink(sink)
            .deadLetterStore(new InMemoryDeadLetterStore())
            .retry(new RetrySettings(Duration.ofMillis(1), Duration.ofMillis(5), 2, 0))
            .build()
            .start()) {
      Reconciler reconciler =
          Reconciler.builder()
              .source(sourceReader)
              .index(indexReader)
              .pipeline(pipeline)
              .collection("t")
              .splits(16)
              .listThreshold(100)
              .verifyDelay(Duration.ZERO)
              .listener(
                  new dev.driftless.core.PipelineListener() {
                    @Override
                    public void reconciled(ReconciliationReport r) {
                      told.add(r);
                    }
                  })
              .build();
      ReconciliationReport report = reconciler.run();
      assertThat(told).containsExactly(report);
      assertThat(report.missing()).isEqualTo(5);
      assertThat(report.stale()).isEqualTo(7);
      assertThat(report.phantom()).isEqualTo(3);
      assertThat(report.repaired()).isEqualTo(15);
      assertThat(report.repairFailed()).isZero();
      assertThat(report.sourceRows()).isEqualTo(20_000);
      assertThat(report.indexDocuments()).isEqualTo(20_000 - 5 + 3);
      // Only mismatching ranges of at most listThreshold keys were listed, and the differences
      // re-read by key: bounded by the differences, not by the table.
      assertThat(report.sourceRowsListed()).isLessThanOrEqualTo(15 * 100 + 15);
      assertThat(sourceReader.read).isEqualTo(12); // the missing and the stale keys
      assertThat(indexReader.read).isEqualTo(10); // the stale keys and the phantoms
      // One summary request per side per level: 16 ranges, then ~1,250-key ranges split in 16.
      assertThat(report.summaryRequests()).isBetween(4L, 6L);
      assertThat(report.toJson()).contains("\"missing\":5");

      ReconciliationReport again = reconciler.run();
      assertThat(again.inSync()).as(again.summary()).isTrue();
      assertThat(again.sourceRowsListed()).isZero();
      assertThat(indexSide.get()).isEqualTo(dbSide.get());
    }
  }

  @Test
  void aDifferenceThatHealsBeforeReVerificationIsNotRepaired() throws Exception {
    Map<String, Long> db = new ConcurrentHashMap<>(Map.of("a", 1L, "b", 2L));
    Map<String, Long> idx = new ConcurrentHashMap<>(Map.of("a", 1L));
    MapReader indexReader =
        new MapReader(() -> idx) {
          @Override
          public List<KeyFingerprint> list(String collection, BucketRange range) {
            List<KeyFingerprint> out = super.list(collection, range);
            idx.put("b", 2L); // the pipeline delivers b right after the first listing
            return out;
          }
        };
    ReconciliationReport report =
        Reconciler.builder()
            .source(new MapReader(() -> db))
            .index(indexReader)
            .collection("t")
            .verifyDelay(Duration.ZERO)
            .build()
            .run();
    assertThat(report.changedDuringComparison()).isEqualTo(1);
    assertThat(report.differences()).isZero();
  }

  @Test
  void theFirstLevelIsSizedFromTheIndexAndSmallLeavesAreListed() throws Exception {
    Map<String, Long> db = new java.util.HashMap<>();
    for (int i = 0; i < 50_000; i++) {
      db.put("k" + i, (long) i);
    }
    Map<String, Long> idx = new java.util.HashMap<>(db);
    idx.put("k17", -1L);
    idx.remove("k4242");
    MapReader dbReader = new MapReader(() -> db);
    MapReader indexReader = new MapReader(() -> idx);
    ReconciliationReport report =
        Reconciler.builder()
            .source(dbReader)
            .index(indexReader)
            .collection("t")
            .verifyDelay(Duration.ZERO)
            .build()
            .run();
    assertThat(report.stale()).isEqualTo(1);
    assertThat(report.missing()).isEqualTo(1);
    // 50,000 documents: 256 first-level ranges (~195 keys); each mismatching one is split in 8
    // (~24 keys), and a range that still holds more than 32 keys once more.
    assertThat(report.bucketRangesCompared()).isBetween(256L + 2 * 8, 256L + 2 * 8 + 2 * 2);
    // Leaves hold at most the default threshold of 32 keys (and the rare one a bit above).
    assertThat(dbReader.listed).isLessThanOrEqualTo(2 * 64);
  }

  @Test
  void overlappingRangesAreRefused() {
    List<FingerprintReader.BucketRange> ranges =
        List.of(
            new FingerprintReader.BucketRange(10, 20), new FingerprintReader.BucketRange(0, 11));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> FingerprintReader.BucketRange.disjointSorted(ranges))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("overlap");
    assertThat(
            FingerprintReader.BucketRange.disjointSorted(
                List.of(
                    new FingerprintReader.BucketRange(10, 20),
                    new FingerprintReader.BucketRange(0, 10))))
        .extracting(FingerprintReader.BucketRange::from)
        .containsExactly(0L, 10L);
  }

  @Test
  void transientReaderFailuresAreRetried() throws Exception {
    Map<String, Long> rows = Map.of("a", 1L, "b", 2L);
    int[] failures = {2};
    MapReader flaky =
        new MapReader(() -> rows) {
          @Override
          public List<BucketSummary> summarize(String collection, BucketRange range, int splits) {
            if (failures[0]-- > 0) {
              throw new dev.driftless.core.RetriableException("node restarting");
            }
            return super.summarize(collection, range, splits);
          }
        };
    ReconciliationReport report =
        Reconciler.builder()
            .source(new MapReader(() -> rows))
            .index(flaky)
            .collection("t")
            .verifyDelay(Duration.ZERO)
            .build()
            .run();
    assertThat(report.inSync()).isTrue();
    assertThat(failures[0]).isNegative();
  }

  @Test
  void aReaderOutageOutlastingThePolicysDeadlineEndsTheRunNamingIt() {
    Map<String, Long> rows = Map.of("a", 1L);
    int[] calls = {0};
    MapReader down =
        new MapReader(() -> rows) {
          @Override
          public List<BucketSummary> summarize(String collection, BucketRange range, int splits) {
            calls[0]++;
            throw new dev.driftless.core.RetriableException("node restarting");
          }
        };
    Reconciler reconciler =
        Reconciler.builder()
            .source(new MapReader(() -> rows))
            .index(down)
            .collection("t")
            .verifyDelay(Duration.ZERO)
            .outagePolicy(
                dev.driftless.core.OutagePolicy.of(
                    new dev.driftless.core.RetrySettings(
                        Duration.ofMillis(1), Duration.ofMillis(5), 2.0, 0.0),
                    Duration.ofMillis(100)))
            .build();
    org.assertj.core.api.Assertions.assertThatThrownBy(reconciler::run)
        .isInstanceOf(dev.driftless.core.DriftlessException.class)
        .hasMessageContaining("reader outage outlasted outageDeadline PT0.1S")
        .hasMessageContaining("node restarting");
    assertThat(calls[0]).isGreaterThan(1);
  }
}
