package dev.driftless.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/** A stream of 1,000 shards (after splits) is read by a fixed number of threads (I6). */
class ThousandShardsIT {
  private static final String TABLE = "wide";

  @Test
  void aThousandShardsAreReadByABoundedPool() throws Exception {
    try (Emulated e =
            new Emulated(
                DynamoDbEmulator.builder()
                    .partitions(200)
                    .noTimedRollover()
                    .seed(3)
                    .build()
                    .start());
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      e.createTable(TABLE, StreamViewType.NEW_IMAGE);
      Map<String, Object> expected = new HashMap<>();
      for (int i = 0; i < 200; i++) {
        e.put(TABLE, "a" + i, "first");
        expected.put("a" + i, "first");
      }
      for (int p : List.copyOf(e.emulator.partitions(TABLE))) {
        e.emulator.split(TABLE, p);
      }
      List<Integer> children = List.copyOf(e.emulator.partitions(TABLE));
      for (int i = 0; i < 200; i++) {
        e.emulator.split(TABLE, children.get(i));
      }
      for (int i = 0; i < 200; i++) {
        e.put(TABLE, "a" + i, "second");
        expected.put("a" + i, "second");
      }
      assertThat(e.emulator.shards(TABLE)).hasSizeGreaterThanOrEqualTo(1000);

      int readers = 4;
      DynamoDbStreamsSource source =
          e.source(TABLE)
              .maxConcurrentReads(readers)
              .pollInterval(Duration.ofSeconds(1))
              .discoveryInterval(Duration.ofSeconds(5))
              .build();
      int[] peakReaders = {0};
      try {
        source.start(Drive.context("wide", new InMemoryCheckpointStore()));
        Drive.run(
            source,
            sink,
            true,
            Duration.ofSeconds(90),
            () -> {
              peakReaders[0] = Math.max(peakReaders[0], readerThreads());
              return Drive.values(sink, "value").equals(expected);
            });
        Map<String, Object> status = source.statusDetails();
        assertThat((Integer) status.get("readerThreads")).isLessThanOrEqualTo(readers);
      } finally {
        source.close();
      }
      assertThat(peakReaders[0]).isBetween(1, readers);
    }
  }

  private static int readerThreads() {
    int n = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("driftless-ddb-reader-wide-")) {
        n++;
      }
    }
    return n;
  }
}
