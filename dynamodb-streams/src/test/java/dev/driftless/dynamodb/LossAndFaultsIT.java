package dev.driftless.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.dynamodb.Fault;
import dev.driftless.testinfra.dynamodb.FaultKind;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * Loss is never silent (trimmed records, a re-enabled stream); throttling storms and server errors
 * are retried without loss; iterators that expire while the pipeline does not poll are replaced.
 */
class LossAndFaultsIT {
  private static final String TABLE = "items";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static Emulated emulated(int partitions) {
    Emulated e =
        new Emulated(
            DynamoDbEmulator.builder().partitions(partitions).noTimedRollover().build().start());
    e.createTable(TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
    return e;
  }

  @Test
  void recordsTrimmedBeforeTheyWereReadStopTheSourceSayingWhatWasLost() throws Exception {
    try (Emulated e = emulated(1);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      CheckpointStore store = new InMemoryCheckpointStore();
      e.put(TABLE, "a", "1");
      DynamoDbStreamsSource first = e.source(TABLE).build();
      first.start(Drive.context("trim", store));
      Drive.run(first, sink, true, TIMEOUT, () -> Drive.values(sink, "value").size() == 1);
      first.close();

      // Written while the pipeline is down, then trimmed away before it comes back.
      e.put(TABLE, "b", "2");
      e.emulator.advanceClock(Duration.ofHours(25));
      e.put(TABLE, "c", "3");
      e.emulator.trimAllBefore(e.emulator.now().minusSeconds(1));

      DynamoDbStreamsSource second = e.source(TABLE).onDataLoss(DataLossPolicy.FAIL).build();
      try {
        assertThatThrownBy(
                () -> {
                  second.start(Drive.context("trim", store));
                  Drive.run(second, sink, true, TIMEOUT, () -> false);
                })
            .isInstanceOf(StreamDataLostException.class)
            .hasMessageContaining(TABLE)
            .hasMessageContaining("full resync");
      } finally {
        second.close();
      }
      assertThat(Drive.values(sink, "value")).doesNotContainKey("c");
    }
  }

  @Test
  void aStreamDisabledAndEnabledAgainIsALoss() throws Exception {
    try (Emulated e = emulated(2);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      CheckpointStore store = new InMemoryCheckpointStore();
      e.put(TABLE, "a", "1");
      DynamoDbStreamsSource first = e.source(TABLE).build();
      first.start(Drive.context("arn", store));
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
      assertThat(e.emulator.latestStreamArn(TABLE)).isNotEqualTo(before);

      DynamoDbStreamsSource second = e.source(TABLE).onDataLoss(DataLossPolicy.FAIL).build();
      try {
        assertThatThrownBy(() -> second.start(Drive.context("arn", store)))
            .isInstanceOf(StreamDataLostException.class)
            .hasMessageContaining(before)
            .hasMessageContaining("never recorded");
      } finally {
        second.close();
      }
    }
  }

  @Test
  void aStreamDisabledWhileThePipelineRunsStopsIt() throws Exception {
    try (Emulated e = emulated(2);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      e.put(TABLE, "a", "1");
      DynamoDbStreamsSource source = e.source(TABLE).onDataLoss(DataLossPolicy.FAIL).build();
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

  @Test
  void throttlingStormsAndServerErrorsLoseNothing() throws Exception {
    try (Emulated e = emulated(4);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      e.emulator.inject(Fault.on("GetRecords").times(6).respond(FaultKind.EXPIRED_ITERATOR));
      e.emulator.inject(Fault.on("GetRecords").times(40).respond(FaultKind.LIMIT_EXCEEDED));
      e.emulator.inject(
          Fault.on("GetRecords").afterCalls(60).times(30).respond(FaultKind.THROTTLING));
      e.emulator.inject(
          Fault.on("GetRecords")
              .afterCalls(120)
              .times(30)
              .respond(FaultKind.INTERNAL_SERVER_ERROR));
      e.emulator.inject(
          Fault.on("GetShardIterator").times(5).respond(FaultKind.INTERNAL_SERVER_ERROR));
      e.emulator.inject(
          Fault.on("DescribeStream").afterCalls(2).times(5).respond(FaultKind.LIMIT_EXCEEDED));
      Map<String, Object> expected = new HashMap<>();
      for (int i = 0; i < 60; i++) {
        e.put(TABLE, "k" + (i % 20), "v" + i);
        expected.put("k" + (i % 20), "v" + i);
      }
      DynamoDbStreamsSource source = e.source(TABLE).maxConcurrentReads(2).build();
      try {
        source.start(Drive.context("storm", new InMemoryCheckpointStore()));
        Drive.run(source, sink, true, TIMEOUT, () -> Drive.values(sink, "value").equals(expected));
        assertThat(e.emulator.faultHits()).isGreaterThan(40);
        assertThat((Long) source.statusDetails().get("throttles")).isPositive();
        assertThat((Long) source.statusDetails().get("iteratorRefreshes")).isPositive();
      } finally {
        source.close();
      }
    }
  }

  @Test
  void iteratorsThatExpireWhileThePipelineIsFullAreReplaced() throws Exception {
    try (Emulated e = emulated(2);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      DynamoDbStreamsSource source =
          e.source(TABLE).maxBufferedRecords(3).recordsPerRequest(1).build();
      try {
        source.start(Drive.context("expiry", new InMemoryCheckpointStore()));
        Map<String, Object> expected = new HashMap<>();
        for (int i = 0; i < 30; i++) {
          e.put(TABLE, "k" + i, "v" + i);
          expected.put("k" + i, "v" + i);
        }
        // The pipeline is blocked (nothing polled) until the read-ahead buffer is full, so the
        // readers hold iterators they cannot use; then longer than an iterator lives passes. One
        // record per request: the rest can only be read with a replaced iterator. (It waited a
        // fixed 300 ms before, and on a loaded machine the clock moved before any iterator
        // existed.)
        Drive.await(
            source,
            TIMEOUT,
            () -> ((Integer) source.statusDetails().getOrDefault("recordsBuffered", 0)) >= 3);
        e.emulator.advanceClock(Duration.ofMinutes(16));
        List<ChangeEvent> got =
            Drive.run(
                source, sink, true, TIMEOUT, () -> Drive.values(sink, "value").equals(expected));
        assertThat(got).hasSize(30);
        assertThat((Long) source.statusDetails().get("iteratorRefreshes")).isPositive();
      } finally {
        source.close();
      }
    }
  }
}
