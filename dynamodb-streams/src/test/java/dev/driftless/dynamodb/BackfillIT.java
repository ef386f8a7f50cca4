package dev.driftless.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.dynamodb.internal.BackfillCheckpoint;
import dev.driftless.dynamodb.internal.TableCheckpoint;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * Backfill through the real SDK: a table whose stream no longer holds its items is copied by the
 * parallel scan while writes go on between the scan's pages (I1, I3); a backfill halted midway
 * resumes without scanning its finished segments again (I2); progress shows in the status.
 */
class BackfillIT {
  static final String TABLE_NAME = "items";
  private static final String TABLE = TABLE_NAME;
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  static Emulated emulated(int partitions) {
    Emulated e =
        new Emulated(
            DynamoDbEmulator.builder().partitions(partitions).noTimedRollover().build().start());
    e.createTable(TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
    return e;
  }

  /** Writes {@code count} items, then ages them out of the stream: only a scan can find them. */
  static void fillAndTrim(Emulated e, int count) {
    for (int i = 0; i < count; i++) {
      e.put(TABLE, "k" + i, "old" + i);
    }
    e.emulator.advanceClock(Duration.ofHours(25));
    e.emulator.trimAllBefore(e.emulator.now().minusSeconds(1));
  }

  /** The table's values by id (a consistent scan). */
  static Map<String, Object> table(Emulated e) {
    Map<String, Object> out = new HashMap<>();
    Map<String, AttributeValue> start = null;
    do {
      Map<String, AttributeValue> from = start;
      ScanResponse r =
          e.ddb.scan(b -> b.tableName(TABLE).consistentRead(true).exclusiveStartKey(from));
      r.items().forEach(i -> out.put(i.get("id").s(), i.get("value").s()));
      start =
          r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
    } while (start != null);
    return out;
  }

  /** The backfill progress in the checkpoint store (what a restart would find). */
  static BackfillCheckpoint stored(CheckpointStore store, String pipeline) {
    try {
      String json = store.load("dynamodb-streams/" + pipeline + "/" + TABLE).orElseThrow();
      return java.util.Objects.requireNonNull(TableCheckpoint.parse(json).backfill());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static boolean backfillDone(DynamoDbStreamsSource source) {
    return "done".equals(source.statusDetails().get("backfillState"));
  }

  @Test
  void aBackfillCopiesTheTableWhileWritesGoOnBetweenItsPages() throws Exception {
    try (Emulated e = emulated(4);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      fillAndTrim(e, 300);
      AtomicInteger pages = new AtomicInteger();
      e.emulator.beforeEach(
          "Scan",
          () -> {
            int page = pages.incrementAndGet();
            if (page % 3 == 0) {
              e.put(TABLE, "k" + (page * 7 % 300), "new" + page);
              e.delete(TABLE, "k" + (page * 11 % 300));
              e.put(TABLE, "fresh" + page, "fresh" + page);
            }
          });
      DynamoDbStreamsSource source =
          e.source(TABLE)
              .backfill(
                  BackfillSettings.builder()
                      .totalSegments(4)
                      .parallelism(2)
                      .pageSize(20)
                      .maxBufferedItems(30)
                      .build())
              .build();
      try {
        source.start(Drive.context("fill", new InMemoryCheckpointStore()));
        Drive.run(
            source,
            sink,
            true,
            TIMEOUT,
            () -> backfillDone(source) && Drive.values(sink, "value").equals(table(e)));
        e.emulator.clearBeforeEach();
        Map<String, Object> status = source.statusDetails();
        assertThat(status.get("backfillSegmentsDone")).isEqualTo(4);
        assertThat(status.get("backfillSegmentsTotal")).isEqualTo(4);
        assertThat((Long) status.get("backfillItems")).isGreaterThanOrEqualTo(250L);
        assertThat((Long) status.get("backfillPages")).isGreaterThanOrEqualTo(15L);
        assertThat(pages.get()).isGreaterThanOrEqualTo(15);
        assertThat(e.emulator.consistentReads()).isGreaterThanOrEqualTo(pages.get());
        assertThat(sink.violations()).isEmpty();
      } finally {
        source.close();
      }
    }
  }

  @Test
  void aBackfillHaltedMidwayResumesWithoutRescanningFinishedSegments() throws Exception {
    try (Emulated e = emulated(4);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      fillAndTrim(e, 400);
      CheckpointStore store = new InMemoryCheckpointStore();
      BackfillSettings settings =
          BackfillSettings.builder()
              .totalSegments(4)
              .parallelism(1)
              .pageSize(10)
              .maxBufferedItems(10)
              .build();
      DynamoDbStreamsSource first = e.source(TABLE).backfill(settings).build();
      long settledAtHalt;
      try {
        first.start(Drive.context("resume", store));
        Drive.run(first, sink, true, TIMEOUT, () -> stored(store, "resume").segmentsDone() >= 2);
        settledAtHalt = stored(store, "resume").items();
        // A few more events written but never committed: the crash comes after the writes.
        for (ChangeEvent ev : first.poll(15, Duration.ofSeconds(2))) {
          sink.write(java.util.List.of(ev));
        }
      } finally {
        first.close();
      }
      assertThat(settledAtHalt).isGreaterThanOrEqualTo(150L).isLessThan(400L);
      e.put(TABLE, "k1", "written while halted");

      DynamoDbStreamsSource second = e.source(TABLE).backfill(settings).build();
      try {
        second.start(Drive.context("resume", store));
        Drive.run(
            second,
            sink,
            true,
            TIMEOUT,
            () -> backfillDone(second) && Drive.values(sink, "value").equals(table(e)));
        long rescanned = (Long) second.statusDetails().get("backfillItemsScannedThisRun");
        // Only the unfinished segments are scanned again, from their last settled page.
        assertThat(rescanned).isLessThanOrEqualTo(400 - settledAtHalt + 2L * settings.pageSize());
        assertThat(Drive.values(sink, "value")).containsEntry("k1", "written while halted");
      } finally {
        second.close();
      }

      // Done is durable: a third start does not backfill again.
      DynamoDbStreamsSource third = e.source(TABLE).backfill(settings).build();
      try {
        long scansBefore = e.emulator.requestCount("Scan");
        third.start(Drive.context("resume", store));
        assertThat(third.statusDetails().get("backfillState")).isNotEqualTo("running");
        assertThat(e.emulator.requestCount("Scan")).isEqualTo(scansBefore);
      } finally {
        third.close();
      }
    }
  }

  @Test
  void theReadBudgetHoldsTheScanToItsItemRate() throws Exception {
    try (Emulated e = emulated(2);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      fillAndTrim(e, 300);
      DynamoDbStreamsSource source =
          e.source(TABLE)
              .backfill(
                  BackfillSettings.builder()
                      .totalSegments(2)
                      .parallelism(2)
                      .pageSize(10)
                      .itemsPerSecond(100)
                      .build())
              .build();
      try {
        source.start(Drive.context("budget", new InMemoryCheckpointStore()));
        long started = System.nanoTime();
        Drive.run(source, sink, true, TIMEOUT, () -> backfillDone(source));
        double seconds = (System.nanoTime() - started) / 1e9;
        // 300 items at 100/s, of which one second's worth may come at once: about 2 s at least.
        assertThat(seconds).isGreaterThanOrEqualTo(1.5);
        assertThat(Drive.values(sink, "value")).hasSize(300);
      } finally {
        source.close();
      }
    }
  }
}
