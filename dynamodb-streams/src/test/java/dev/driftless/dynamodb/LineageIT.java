package dev.driftless.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.dynamodb.ShardInfo;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * Rollovers and splits while a random workload runs, through the real pipeline: every change
 * arrives, each key's writes reach the sink in the order they were made (parents are read before
 * children), and the index converges (I1, I3, I4).
 */
class LineageIT {
  private static final String TABLE = "orders";

  @Test
  void rolloversAndSplitsDuringAWorkloadLoseNothingAndKeepPerKeyOrder() throws Exception {
    try (Emulated e =
            new Emulated(
                DynamoDbEmulator.builder()
                    .partitions(4)
                    .noTimedRollover()
                    .seed(7)
                    .build()
                    .start());
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      e.createTable(TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
      e.emulator.childListedLate(3);
      e.emulator.parentListedOpen(2);
      e.emulator.extraEmptyPageAtShardEnd(true);
      Map<String, String> expected = new HashMap<>();
      Pipeline pipeline =
          Pipeline.builder()
              .name("lineage")
              .source(e.source(TABLE).maxConcurrentReads(3).build())
              .sink(sink)
              .checkpointStore(new InMemoryCheckpointStore())
              .deadLetterStore(new dev.driftless.core.stores.InMemoryDeadLetterStore())
              .commitInterval(Duration.ofMillis(20))
              .build()
              .start();
      ExecutorService writer = Executors.newSingleThreadExecutor();
      try {
        Random random = new Random(42);
        Future<?> work =
            writer.submit(
                () -> {
                  for (int i = 0; i < 500; i++) {
                    String id = "k" + random.nextInt(40);
                    if (random.nextInt(8) == 0) {
                      e.delete(TABLE, id);
                      expected.remove(id);
                    } else {
                      String value = String.format("%05d", i);
                      e.put(TABLE, id, value);
                      expected.put(id, value);
                    }
                    if (i % 20 == 19) {
                      List<Integer> partitions = e.emulator.partitions(TABLE);
                      int p = partitions.get(random.nextInt(partitions.size()));
                      if (random.nextBoolean() && partitions.size() < 12) {
                        e.emulator.split(TABLE, p);
                      } else {
                        e.emulator.rollover(TABLE, p);
                      }
                    }
                  }
                  return null;
                });
        work.get(60, TimeUnit.SECONDS);
        Eventually.until(
            Duration.ofSeconds(60),
            () -> "converged; status " + pipeline.status(),
            () -> {
              assertThat(pipeline.failure()).isEmpty();
              return Drive.values(sink, "value").equals(expected);
            });
      } finally {
        writer.shutdownNow();
        pipeline.close();
      }
      List<ShardInfo> shards = e.emulator.shards(TABLE);
      assertThat(shards.stream().filter(s -> s.parentShardId() != null).count())
          .as("the workload rolled over and split shards")
          .isGreaterThan(10);
      assertThat(sink.violations()).isEmpty();
      for (DocumentKey key : sink.keysWritten()) {
        String previous = "";
        for (ChangeEvent event : sink.writeLog(key)) {
          if (event instanceof ChangeEvent.Upsert u) {
            String value = String.valueOf(u.document().get("value"));
            assertThat(value)
                .as("writes of %s in the order they were made", key)
                .isGreaterThanOrEqualTo(previous);
            previous = value;
          }
        }
      }
    }
  }
}
