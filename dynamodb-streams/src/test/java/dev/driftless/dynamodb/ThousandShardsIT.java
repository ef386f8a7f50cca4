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
      int maxBuffered = 40;
      int perRequest = 10;
      DynamoDbStreamsSource source =
          e.source(TABLE)
              .maxConcurrentReads(readers)
              .maxBufferedRecords(maxBuffered)
              .recordsPerRequest(perRequest)
              .pollInterval(Duration.ofSeconds(1))
              .discoveryInterval(Duration.ofSeconds(5))
              .build();
      int[] peakReaders = {0};
      int[] peakBuffered = {0};
      int[] peakRequests = {0};
      int[] samples = {0};
      try {
        source.start(Drive.context("wide", new InMemoryCheckpointStore()));
        Drive.run(
            source,
            sink,
            true,
            Duration.ofSeconds(90),
            () -> {
              peakReaders[0] = Math.max(peakReaders[0], readerThreads());
              // The figures are a snapshot the reader refreshes; absent before its first one.
              Map<String, Object> now = source.statusDetails();
              if (now.get("recordsBuffered") instanceof Integer b
                  && now.get("requestsInFlight") instanceof Integer r) {
                samples[0]++;
                peakBuffered[0] = Math.max(peakBuffered[0], b);
                peakRequests[0] = Math.max(peakRequests[0], r);
              }
              return Drive.values(sink, "value").equals(expected);
            });
        Map<String, Object> status = source.statusDetails();
        assertThat((Integer) status.get("readerThreads")).isLessThanOrEqualTo(readers);
      } finally {
        source.close();
      }
      assertThat(peakReaders[0]).isBetween(1, readers);
      // Memory is bounded too: a fetch starts only below maxBufferedRecords, so at most one page
      // per reader lies beyond it, and requests in flight never exceed the readers.
      assertThat(samples[0]).as("status snapshots seen").isPositive();
      assertThat(peakBuffered[0]).isLessThanOrEqualTo(maxBuffered + readers * perRequest);
      assertThat(peakRequests[0]).isLessThanOrEqualTo(readers);
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
