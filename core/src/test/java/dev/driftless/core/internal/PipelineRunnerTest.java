package dev.driftless.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DeadLetter;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.RetriableException;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.DeadLetterStore;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Targeted tests of the runner's failure handling (the tck's properties cover the invariants). */
class PipelineRunnerTest {

  private static final RetrySettings FAST =
      new RetrySettings(Duration.ofMillis(1), Duration.ofMillis(5), 2.0, 0.0);

  static ChangeEvent upsert(String id, long version, long offset, Object... fields) {
    return ChangeEvent.upsert(
        DocumentKey.of("t", id),
        Version.of(version),
        SourcePosition.ofOffset(offset),
        Document.of(fields),
        Instant.EPOCH);
  }

  /** Keeps the newest version per key; rejects documents with a "poison" field. */
  static class MapSink implements VersionedSink {
    final Map<DocumentKey, ChangeEvent> index = new ConcurrentHashMap<>();
    final AtomicInteger writes = new AtomicInteger();
    final List<ChangeEvent> log = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile int failuresLeft;

    @Override
    public List<WriteResult> write(List<ChangeEvent> batch) {
      writes.incrementAndGet();
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new RetriableException("connection refused", null, true);
      }
      List<WriteResult> out = new ArrayList<>();
      for (ChangeEvent e : batch) {
        log.add(e);
        if (e instanceof ChangeEvent.Truncate t) {
          index
              .entrySet()
              .removeIf(
                  held ->
                      held.getKey().collection().equals(t.collection())
                          && held.getValue().version().compareTo(t.version()) < 0);
          out.add(WriteResult.applied());
          continue;
        }
        if (e instanceof ChangeEvent.Upsert u && u.document().has("poison")) {
          out.add(WriteResult.rejected("mapper_parsing_exception", "bad field"));
          continue;
        }
        ChangeEvent held = index.get(e.key());
        if (held != null && held.version().compareTo(e.version()) > 0) {
          out.add(WriteResult.stale());
        } else {
          index.put(e.key(), e);
          out.add(WriteResult.applied());
        }
      }
      return out;
    }
  }

  private static Pipeline.Builder builder(
      ListSource source, VersionedSink sink, DeadLetterStore dls) {
    return Pipeline.builder()
        .source(source)
        .sink(sink)
        .deadLetterStore(dls)
        .retry(FAST)
        .linger(Duration.ZERO)
        .commitInterval(Duration.ofMillis(10));
  }

  @Test
  void eventMetadataReachesTheSinkWithTheWrittenEvent() throws Exception {
    List<ChangeEvent> events = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      ChangeEvent.Upsert u = (ChangeEvent.Upsert) upsert("k" + (i % 3), i, i, "n", i);
      events.add(
          i == 58
              ? ChangeEvent.delete(
                  u.key(), u.version(), u.position(), u.committedAt(), Map.of("src.ttl", "true"))
              : ChangeEvent.upsert(
                  u.key(),
                  u.version(),
                  u.position(),
                  u.document(),
                  u.committedAt(),
                  Map.of("src.seq", Integer.toString(i))));
    }
    MapSink sink = new MapSink();
    try (Pipeline p =
        builder(new ListSource(events), sink, new InMemoryDeadLetterStore()).build().start()) {
      assertThat(awaitReceived(p, 60)).isTrue();
      assertThat(p.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(sink.index.get(DocumentKey.of("t", "k0")).metadata())
          .isEqualTo(Map.of("src.seq", "57"));
      assertThat(sink.index.get(DocumentKey.of("t", "k1")))
          .isInstanceOf(ChangeEvent.Delete.class)
          .extracting(ChangeEvent::metadata)
          .isEqualTo(Map.of("src.ttl", "true"));
      // Whatever was coalesced, every written event carries its own metadata, never another's.
      for (ChangeEvent written : sink.log) {
        if (written instanceof ChangeEvent.Upsert) {
          assertThat(written.metadata())
              .isEqualTo(Map.of("src.seq", Long.toString(written.version().value())));
        }
      }
    }
  }

  @Test
  void coalescesAppliesAndCommitsTheLastPosition() throws Exception {
    List<ChangeEvent> events = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      events.add(upsert("k" + (i % 7), i, i, "n", i));
    }
    ListSource source = new ListSource(events);
    MapSink sink = new MapSink();
    try (Pipeline p = builder(source, sink, new InMemoryDeadLetterStore()).build().start()) {
      assertThat(awaitReceived(p, 200)).isTrue();
      assertThat(p.awaitIdle(Duration.ofSeconds(10))).isTrue();
      PipelineStatus s = p.status();
      assertThat(s.eventsSettled()).isEqualTo(200);
      assertThat(s.committedPosition()).isEqualTo("199");
      for (int k = 0; k < 7; k++) {
        long newest = 0;
        for (int i = 0; i < 200; i++) {
          if (i % 7 == k) {
            newest = i;
          }
        }
        assertThat(sink.index.get(DocumentKey.of("t", "k" + k)).version().value())
            .isEqualTo(newest);
      }
    }
  }

  @Test
  void outageIsRetriedNotDeadLettered() throws Exception {
    ListSource source = new ListSource(List.of(upsert("a", 1, 0), upsert("b", 1, 1)));
    MapSink sink = new MapSink();
    sink.failuresLeft = 5;
    InMemoryDeadLetterStore dls = new InMemoryDeadLetterStore();
    try (Pipeline p = builder(source, sink, dls).build().start()) {
      assertThat(awaitReceived(p, 2)).isTrue();
      assertThat(p.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(p.status().retries()).isGreaterThanOrEqualTo(5);
      assertThat(dls.count()).isZero();
      assertThat(sink.index).hasSize(2);
    }
  }

  @Test
  void outageBeyondDeadlineStopsThePipelineWithoutCommitting() throws Exception {
    ListSource source = new ListSource(List.of(upsert("a", 1, 0)));
    MapSink sink = new MapSink();
    sink.failuresLeft = Integer.MAX_VALUE;
    Pipeline p =
        builder(source, sink, new InMemoryDeadLetterStore())
            .outageDeadline(Duration.ofMillis(200))
            .build()
            .start();
    assertThat(p.awaitTermination(Duration.ofSeconds(10))).isTrue();
    assertThat(p.status().state()).isEqualTo(PipelineStatus.State.FAILED);
    assertThat(p.failure()).get().asString().contains("outageDeadline");
    assertThat(source.commits).isEmpty();
    p.close();
  }

  @Test
  void poisonIsDeadLetteredAndTheRestFlows() throws Exception {
    ListSource source =
        new ListSource(
            List.of(upsert("a", 1, 0), upsert("b", 1, 1, "poison", true), upsert("c", 1, 2)));
    MapSink sink = new MapSink();
    InMemoryDeadLetterStore dls = new InMemoryDeadLetterStore();
    try (Pipeline p = builder(source, sink, dls).build().start()) {
      assertThat(awaitReceived(p, 3)).isTrue();
      assertThat(p.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(dls.list(10))
          .singleElement()
          .satisfies(
              l -> {
                assertThat(l.key().id()).isEqualTo("b");
                assertThat(l.errorType()).isEqualTo("mapper_parsing_exception");
              });
      assertThat(sink.index).containsOnlyKeys(DocumentKey.of("t", "a"), DocumentKey.of("t", "c"));
      assertThat(source.commits).last().isEqualTo(SourcePosition.ofOffset(2));
    }
  }

  @Test
  void failingDeadLetterStoreStopsWithoutCommittingPastTheEvent() throws Exception {
    ListSource source =
        new ListSource(List.of(upsert("a", 1, 0), upsert("b", 1, 1, "poison", true)));
    DeadLetterStore broken =
        new DeadLetterStore() {
          @Override
          public void put(DeadLetter letter) {
            throw new IllegalStateException("disk full");
          }

          @Override
          public List<DeadLetter> list(int max) {
            return List.of();
          }

          @Override
          public Optional<DeadLetter> get(String id) {
            return Optional.empty();
          }

          @Override
          public boolean remove(String id) {
            return false;
          }

          @Override
          public long count() {
            return 0;
          }
        };
    Pipeline p = builder(source, new MapSink(), broken).parallelism(1).batchSize(1).build().start();
    assertThat(p.awaitTermination(Duration.ofSeconds(10))).isTrue();
    assertThat(p.failure()).get().asString().contains("disk full");
    assertThat(source.commits).doesNotContain(SourcePosition.ofOffset(1));
    p.close();
  }

  @Test
  void mapperExceptionIsPoisonAndEmptyMappingBecomesDelete() throws Exception {
    ListSource source =
        new ListSource(List.of(upsert("a", 1, 0, "x", 1), upsert("b", 1, 1), upsert("c", 2, 2)));
    MapSink sink = new MapSink();
    InMemoryDeadLetterStore dls = new InMemoryDeadLetterStore();
    try (Pipeline p =
        builder(source, sink, dls)
            .mapper(
                (key, row) -> {
                  if (key.id().equals("a")) {
                    throw new IllegalArgumentException("cannot map a");
                  }
                  return key.id().equals("c") ? Optional.empty() : Optional.of(row);
                })
            .build()
            .start()) {
      assertThat(awaitReceived(p, 3)).isTrue();
      assertThat(p.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(dls.list(10))
          .singleElement()
          .satisfies(l -> assertThat(l.errorMessage()).contains("cannot map a"));
      assertThat(sink.index.get(DocumentKey.of("t", "c"))).isInstanceOf(ChangeEvent.Delete.class);
    }
  }

  @Test
  void replayReReadsCurrentStateAndRemovesTheLetter() throws Exception {
    ListSource source = new ListSource(List.of(upsert("b", 1, 0, "poison", true)));
    source.repair = keys -> List.of(upsert("b", 5, 0, "fixed", true));
    MapSink sink = new MapSink();
    InMemoryDeadLetterStore dls = new InMemoryDeadLetterStore();
    try (Pipeline p = builder(source, sink, dls).build().start()) {
      assertThat(awaitReceived(p, 1)).isTrue();
      assertThat(p.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(dls.count()).isEqualTo(1);
      Pipeline.ReplayResult result = p.replayDeadLetters(10);
      assertThat(result).isEqualTo(new Pipeline.ReplayResult(1, 0, 0));
      assertThat(dls.count()).isZero();
      assertThat(
              ((ChangeEvent.Upsert) sink.index.get(DocumentKey.of("t", "b")))
                  .document()
                  .get("fixed"))
          .isEqualTo(true);
    }
  }

  @Test
  void repairWritesCurrentStateWithSourceVersionsAndDeadLettersRejections() throws Exception {
    ListSource source = new ListSource(List.of(upsert("a", 3, 0, "n", 3)));
    source.repair =
        keys ->
            List.of(
                upsert("a", 2, 0, "n", 2), // older than the index: must not regress (I3)
                upsert("missing", 4, 0, "n", 4),
                ChangeEvent.delete(
                    DocumentKey.of("t", "phantom"),
                    Version.of(9),
                    SourcePosition.ofOffset(0),
                    Instant.EPOCH),
                upsert("bad", 4, 0, "poison", true));
    MapSink sink = new MapSink();
    sink.index.put(DocumentKey.of("t", "phantom"), upsert("phantom", 1, 0, "ghost", true));
    InMemoryDeadLetterStore dls = new InMemoryDeadLetterStore();
    try (Pipeline p = builder(source, sink, dls).build().start()) {
      assertThat(awaitReceived(p, 1)).isTrue();
      assertThat(p.awaitIdle(Duration.ofSeconds(10))).isTrue();
      List<DocumentKey> keys =
          List.of(
              DocumentKey.of("t", "a"),
              DocumentKey.of("t", "missing"),
              DocumentKey.of("t", "phantom"),
              DocumentKey.of("t", "bad"),
              DocumentKey.of("t", "unknown"));
      Pipeline.RepairResult result = p.repair(keys);
      assertThat(result.applied()).isEqualTo(2);
      assertThat(result.alreadyCurrent()).isEqualTo(1);
      assertThat(result.failed())
          .containsExactlyInAnyOrder(DocumentKey.of("t", "bad"), DocumentKey.of("t", "unknown"));
      assertThat(sink.index.get(DocumentKey.of("t", "a")).version().value()).isEqualTo(3);
      assertThat(sink.index.get(DocumentKey.of("t", "phantom")))
          .isInstanceOf(ChangeEvent.Delete.class);
      assertThat(sink.index.get(DocumentKey.of("t", "missing")).version().value()).isEqualTo(4);
      assertThat(dls.list(10)).extracting(l -> l.key().id()).containsExactly("bad");
      assertThat(p.status().committedPosition()).isEqualTo("0");
    }
  }

  @Test
  void truncateIsABarrierAndKeepsNewerDocuments() throws Exception {
    List<ChangeEvent> events = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      events.add(upsert("k" + i, 1, i));
    }
    ChangeEvent truncate =
        ChangeEvent.truncate("t", Version.of(2), SourcePosition.ofOffset(40), Instant.EPOCH);
    events.add(truncate);
    events.add(upsert("after", 3, 41));
    ListSource source = new ListSource(events);
    MapSink sink = new MapSink();
    try (Pipeline p =
        builder(source, sink, new InMemoryDeadLetterStore()).batchSize(7).build().start()) {
      assertThat(awaitReceived(p, 42)).isTrue();
      assertThat(p.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(sink.index).containsOnlyKeys(DocumentKey.of("t", "after"));
      int at = sink.log.indexOf(truncate);
      assertThat(at).as("truncate written after every earlier event").isEqualTo(40);
      assertThat(sink.log.get(41).key().id()).isEqualTo("after");
      assertThat(p.status().committedPosition()).isEqualTo("41");
    }
  }

  @Test
  void writesStillInFlightAtTheDrainTimeoutAreInterruptedNotDeadLettered() throws Exception {
    List<ChangeEvent> events = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      events.add(upsert("k" + i, 1, i));
    }
    ListSource source = new ListSource(events);
    InMemoryDeadLetterStore dls = new InMemoryDeadLetterStore();
    java.util.concurrent.CountDownLatch writing = new java.util.concurrent.CountDownLatch(1);
    // Like Elastic's REST client: an interrupted wait for the answer becomes a RuntimeException,
    // and so does every later call on the interrupted thread (here: at once, without waiting).
    java.util.concurrent.atomic.AtomicBoolean interrupted =
        new java.util.concurrent.atomic.AtomicBoolean();
    VersionedSink blocking =
        batch -> {
          if (interrupted.get()) {
            throw new RuntimeException(
                "thread waiting for the response was interrupted", new InterruptedException());
          }
          writing.countDown();
          try {
            new java.util.concurrent.CountDownLatch(1).await(); // an answer that never comes
          } catch (InterruptedException e) {
            interrupted.set(true);
            throw new RuntimeException("thread waiting for the response was interrupted", e);
          }
          throw new AssertionError("the write was not interrupted");
        };
    // close() drains for the drain timeout, then interrupts the writes still in flight.
    Pipeline p =
        builder(source, blocking, dls)
            .parallelism(2)
            .batchSize(5)
            .drainTimeout(Duration.ofMillis(200))
            .build()
            .start();
    assertThat(writing.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    p.close();
    assertThat(p.awaitTermination(Duration.ofSeconds(10))).isTrue();
    assertThat(dls.count()).as("events dead-lettered by stopping").isZero();
    assertThat(p.status().eventsDeadLettered()).isZero();
    assertThat(source.commits).isEmpty();
  }

  @Test
  void aConfigurationErrorStopsThePipelineInsteadOfDeadLetteringEveryEvent() throws Exception {
    List<ChangeEvent> events = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      events.add(upsert("k" + i, 1, i));
    }
    ListSource source = new ListSource(events);
    InMemoryDeadLetterStore dls = new InMemoryDeadLetterStore();
    VersionedSink misconfigured =
        batch -> {
          throw new dev.driftless.core.ConfigurationException("index [t] lacks driftless_version");
        };
    Pipeline p = builder(source, misconfigured, dls).build().start();
    assertThat(p.awaitTermination(Duration.ofSeconds(10))).isTrue();
    assertThat(p.status().state()).isEqualTo(PipelineStatus.State.FAILED);
    assertThat(p.failure()).get().asString().contains("lacks driftless_version");
    assertThat(dls.count()).isZero();
    assertThat(source.commits).isEmpty();
    p.close();
  }

  @Test
  void aSinkThatThrowsAnythingButRetriableStopsThePipelineInsteadOfDeadLetteringTheStream()
      throws Exception {
    List<ChangeEvent> events = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      events.add(upsert("k" + i, 1, i));
    }
    ListSource source = new ListSource(events);
    InMemoryDeadLetterStore dls = new InMemoryDeadLetterStore();
    AtomicInteger calls = new AtomicInteger();
    VersionedSink buggy =
        batch -> {
          calls.incrementAndGet();
          throw new IllegalStateException("encoder state corrupted");
        };
    // One event per batch: a lone event failing is still no proof that the event is poison.
    Pipeline p = builder(source, buggy, dls).batchSize(1).parallelism(1).build().start();
    assertThat(p.awaitTermination(Duration.ofSeconds(10))).isTrue();
    assertThat(p.status().state()).isEqualTo(PipelineStatus.State.FAILED);
    assertThat(p.failure())
        .get()
        .asString()
        .contains("IllegalStateException")
        .contains("encoder state corrupted");
    assertThat(dls.count()).isZero();
    assertThat(p.status().eventsDeadLettered()).isZero();
    assertThat(calls.get()).as("no write after the first failure").isEqualTo(1);
    assertThat(source.commits).isEmpty();
    p.close();
  }

  @Test
  void replayWithoutRepairCapabilityFailsClearly() throws Exception {
    ListSource source = new ListSource(List.of());
    try (Pipeline p =
        builder(source, new MapSink(), new InMemoryDeadLetterStore()).build().start()) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> p.replayDeadLetters(1))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("cannot re-read keys");
    }
  }

  @Test
  void fullPipelineStopsPollingAndKeepsTheSourceAlive() throws Exception {
    List<ChangeEvent> events = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      events.add(upsert("k" + i, 1, i));
    }
    ListSource source = new ListSource(events);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    MapSink sink =
        new MapSink() {
          @Override
          public List<WriteResult> write(List<ChangeEvent> batch) {
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return super.write(batch);
          }
        };
    try (Pipeline p =
        builder(source, sink, new InMemoryDeadLetterStore())
            .batchSize(5)
            .maxInFlightEvents(10)
            .build()
            .start()) {
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!source.keptAlive && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(source.keptAlive).isTrue();
      assertThat(p.status().eventsReceived()).isEqualTo(10);
      release.countDown();
      assertThat(awaitReceived(p, 50)).isTrue();
      assertThat(p.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(sink.index).hasSize(50);
    }
  }

  static boolean awaitReceived(Pipeline p, long n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (p.status().eventsReceived() < n) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.onSpinWait();
    }
    return true;
  }
}
