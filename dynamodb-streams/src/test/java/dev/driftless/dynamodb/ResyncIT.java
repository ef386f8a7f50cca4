package dev.driftless.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.tck.InMemoryVersionedSink;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * Resync on lost stream data ({@link DataLossPolicy#RESYNC}, the default): records trimmed before
 * they were read, or a stream disabled and enabled again, lead to a backfill under a new anchor and
 * {@code SourceContext.resynced()} once it has settled; changes the stream lost reach the index
 * through the scan. A stream that is disabled cannot be resynced and still stops the pipeline.
 */
class ResyncIT {
  private static final String TABLE = BackfillIT.TABLE_NAME;
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @Test
  void recordsTrimmedBeforeTheyWereReadLeadToAResync() throws Exception {
    try (Emulated e = BackfillIT.emulated(1);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      CheckpointStore store = new InMemoryCheckpointStore();
      AtomicInteger resynced = new AtomicInteger();
      e.put(TABLE, "a", "1");
      e.put(TABLE, "gone", "deleted while the pipeline was down");
      DynamoDbStreamsSource first = e.source(TABLE).build();
      first.start(Drive.context("trim", store, resynced::incrementAndGet));
      Drive.run(first, sink, true, TIMEOUT, () -> Drive.values(sink, "value").size() == 2);
      first.close();

      // While the pipeline is down: written, deleted, then trimmed away before it comes back.
      e.put(TABLE, "b", "2");
      e.delete(TABLE, "gone");
      e.emulator.advanceClock(Duration.ofHours(25));
      e.put(TABLE, "c", "3");
      e.emulator.trimAllBefore(e.emulator.now().minusSeconds(1));

      DynamoDbStreamsSource second = e.source(TABLE).build();
      try {
        second.start(Drive.context("trim", store, resynced::incrementAndGet));
        Drive.run(
            second,
            sink,
            true,
            TIMEOUT,
            () -> resynced.get() == 1 && Drive.values(sink, "value").containsKey("b"));
        assertThat(Drive.values(sink, "value"))
            .containsEntry("a", "1")
            .containsEntry("b", "2")
            .containsEntry("c", "3");
        // The lost delete: its document stays until a reconciliation, which resynced() starts.
        assertThat(Drive.values(sink, "value")).containsKey("gone");
        assertThat((Long) second.statusDetails().get("resyncs")).isEqualTo(1L);
        assertThat(BackfillIT.stored(store, "trim").resync()).isTrue();
        assertThat(BackfillIT.stored(store, "trim").done()).isTrue();
        // The stream goes on after the resync.
        e.put(TABLE, "d", "4");
        Drive.run(second, sink, true, TIMEOUT, () -> Drive.values(sink, "value").containsKey("d"));
      } finally {
        second.close();
      }
      assertThat(resynced.get()).isEqualTo(1);
    }
  }

  @Test
  void aStreamDisabledAndEnabledAgainIsResynced() throws Exception {
    try (Emulated e = BackfillIT.emulated(2);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      CheckpointStore store = new InMemoryCheckpointStore();
      AtomicInteger resynced = new AtomicInteger();
      e.put(TABLE, "a", "1");
      DynamoDbStreamsSource first = e.source(TABLE).build();
      first.start(Drive.context("arn", store, resynced::incrementAndGet));
      Drive.run(first, sink, true, TIMEOUT, () -> Drive.values(sink, "value").size() == 1);
      first.close();
      String before = e.emulator.latestStreamArn(TABLE);

      e.ddb.updateTable(b -> b.tableName(TABLE).streamSpecification(s -> s.streamEnabled(false)));
      e.put(TABLE, "b", "written while no stream recorded it");
      e.ddb.updateTable(
          b ->
              b.tableName(TABLE)
                  .streamSpecification(
                      s ->
                          s.streamEnabled(true).streamViewType(StreamViewType.NEW_AND_OLD_IMAGES)));
      String after = e.emulator.latestStreamArn(TABLE);
      assertThat(after).isNotEqualTo(before);

      DynamoDbStreamsSource second = e.source(TABLE).build();
      try {
        second.start(Drive.context("arn", store, resynced::incrementAndGet));
        Drive.run(
            second,
            sink,
            true,
            TIMEOUT,
            () -> resynced.get() == 1 && Drive.values(sink, "value").containsKey("b"));
        assertThat(second.statusDetails().get("streamArns")).isEqualTo(java.util.List.of(after));
        e.put(TABLE, "c", "after the resync");
        Drive.run(second, sink, true, TIMEOUT, () -> Drive.values(sink, "value").containsKey("c"));
      } finally {
        second.close();
      }
    }
  }

  @Test
  void aDisabledStreamCannotBeResyncedAndStopsThePipeline() throws Exception {
    try (Emulated e = BackfillIT.emulated(2);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      e.put(TABLE, "a", "1");
      DynamoDbStreamsSource source = e.source(TABLE).build();
      try {
        source.start(Drive.context("disabled", new InMemoryCheckpointStore()));
        Drive.run(source, sink, true, TIMEOUT, () -> Drive.values(sink, "value").size() == 1);
        e.ddb.updateTable(b -> b.tableName(TABLE).streamSpecification(s -> s.streamEnabled(false)));
        assertThatThrownBy(() -> Drive.run(source, sink, true, TIMEOUT, () -> false))
            .isInstanceOf(StreamDataLostException.class)
            .hasMessageContaining("disabled");
      } finally {
        source.close();
      }
    }
  }
}
