package dev.driftless.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.dynamodb.Fault;
import dev.driftless.testinfra.dynamodb.FaultKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * A {@code KEYS_ONLY} stream: every INSERT/MODIFY is re-read with a consistent {@code GetItem}.
 * When re-reads fail for a while (server errors beyond the SDK's own retries), the conversion stops
 * at the failing record and converts it again after a backoff, while the shard's next page may
 * already be fetched: nothing is lost or reordered (I2, I4).
 */
class ReReadIT {
  private static final String TABLE = "items";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @Test
  void failingReReadsAreRetriedInOrderWithoutLoss() throws Exception {
    try (Emulated e =
            new Emulated(
                DynamoDbEmulator.builder().partitions(1).noTimedRollover().build().start());
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      e.createTable(TABLE, StreamViewType.KEYS_ONLY);
      Map<String, Object> expected = new HashMap<>();
      for (int i = 0; i < 30; i++) {
        String id = "k" + (i % 10);
        e.put(TABLE, id, Integer.toString(i));
        expected.put(id, Integer.toString(i));
      }
      e.emulator.inject(
          Fault.on("GetItem").afterCalls(3).times(12).respond(FaultKind.INTERNAL_SERVER_ERROR));

      DynamoDbStreamsSource source = e.source(TABLE).recordsPerRequest(7).build();
      List<ChangeEvent> events;
      try {
        source.start(Drive.context("reread", new InMemoryCheckpointStore()));
        events =
            Drive.run(
                source, sink, true, TIMEOUT, () -> Drive.values(sink, "value").equals(expected));
        assertThat((Long) source.statusDetails().get("throttles")).isPositive();
      } finally {
        source.close();
      }
      // One shard: the events come in stream order, so each key's versions increase.
      Map<String, List<Long>> versions = new HashMap<>();
      for (ChangeEvent event : events) {
        versions
            .computeIfAbsent(event.key().id(), k -> new ArrayList<>())
            .add(event.version().value());
      }
      assertThat(versions).hasSize(10);
      versions.values().forEach(v -> assertThat(v).isSorted().doesNotHaveDuplicates());
    }
  }
}
