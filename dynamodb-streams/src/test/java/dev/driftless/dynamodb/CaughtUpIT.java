package dev.driftless.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.Pipeline;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * {@link Pipeline#awaitCaughtUp} with a DynamoDB Streams source: once it returns true, every write
 * made before the call is in the sink, across shards and a rollover; while the sink is down it
 * returns false at its timeout.
 */
class CaughtUpIT {
  private static final String TABLE = "orders";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Test
  void everyWriteBeforeTheCallIsInTheSinkWhenItReturns() throws Exception {
    try (Emulated e =
            new Emulated(
                DynamoDbEmulator.builder()
                    .partitions(3)
                    .noTimedRollover()
                    .seed(3)
                    .build()
                    .start());
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      e.createTable(TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
      Pipeline pipeline = pipeline(e, sink).build().start();
      try {
        Map<String, Object> expected = new HashMap<>();
        for (int round = 0; round < 2; round++) {
          for (int i = 0; i < 15; i++) {
            String id = "k" + (i % 10);
            String value = round + "-" + i;
            e.put(TABLE, id, value);
            expected.put(id, value);
            if (i == 8) {
              e.emulator.rollover(TABLE, e.emulator.partitions(TABLE).get(round));
            }
          }
          e.delete(TABLE, "k" + round);
          expected.remove("k" + round);

          assertThat(pipeline.awaitCaughtUp(TIMEOUT)).as("caught up in round %s", round).isTrue();
          // No waiting here: the call's promise is that the sink already holds every write.
          assertThat(Drive.values(sink, "value")).as("round %s", round).isEqualTo(expected);
        }
        assertThat(pipeline.failure()).isEmpty();
        assertThat(sink.violations()).isEmpty();
      } finally {
        pipeline.close();
      }
    }
  }

  @Test
  void whileTheSinkIsDownItReturnsFalseAtItsTimeoutThenTrueOnceItIsBack() throws Exception {
    try (Emulated e =
            new Emulated(
                DynamoDbEmulator.builder().partitions(1).noTimedRollover().build().start());
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      e.createTable(TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
      Pipeline pipeline = pipeline(e, sink).build().start();
      try {
        assertThat(pipeline.awaitCaughtUp(TIMEOUT)).as("nothing written yet").isTrue();
        sink.outage(true);
        e.put(TABLE, "a", "1");
        assertThat(pipeline.awaitCaughtUp(Duration.ofMillis(500)))
            .as("the write cannot reach the sink")
            .isFalse();
        assertThat(Drive.values(sink, "value")).isEmpty();

        sink.outage(false);
        assertThat(pipeline.awaitCaughtUp(TIMEOUT)).isTrue();
        assertThat(Drive.values(sink, "value")).isEqualTo(Map.of("a", "1"));
      } finally {
        pipeline.close();
      }
    }
  }

  private static Pipeline.Builder pipeline(Emulated e, InMemoryVersionedSink sink) {
    return Pipeline.builder()
        .name("caught-up")
        .source(e.source(TABLE).build())
        .sink(sink)
        .checkpointStore(new InMemoryCheckpointStore())
        .deadLetterStore(new InMemoryDeadLetterStore())
        .commitInterval(Duration.ofMillis(20));
  }
}
