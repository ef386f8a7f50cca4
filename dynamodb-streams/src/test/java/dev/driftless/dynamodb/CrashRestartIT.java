package dev.driftless.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * Crashes at random points, restarts from the checkpoint, converges (I1, I2, I3): the emulator's
 * clock stands still, so every record is created in the same second and derived versions rest on
 * the per-key counts alone, which must carry over restarts and a rollover. A crash abandons the
 * source after writing events to the sink and committing only a random prefix of them.
 */
class CrashRestartIT {
  private static final String TABLE = "crash";

  record Op(int key, boolean delete) {}

  record Run(List<Op> ops, int received, int committed, boolean rollover) {}

  @Provide
  Arbitrary<List<Run>> runs() {
    Arbitrary<Op> op =
        Combinators.combine(
                Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 5))
            .as((k, d) -> new Op(k, d == 0));
    Arbitrary<Run> run =
        Combinators.combine(
                op.list().ofMinSize(1).ofMaxSize(12),
                Arbitraries.integers().between(0, 15),
                Arbitraries.integers().between(0, 15),
                Arbitraries.of(true, false))
            .as(Run::new);
    return run.list().ofMinSize(1).ofMaxSize(4);
  }

  @Property(tries = 12)
  void crashesAndRestartsConverge(@ForAll("runs") List<Run> runs) throws Exception {
    Clock frozen = Clock.fixed(Instant.parse("2026-06-01T12:00:00Z"), ZoneOffset.UTC);
    try (Emulated e =
            new Emulated(
                DynamoDbEmulator.builder()
                    .partitions(2)
                    .clock(frozen)
                    .noTimedRollover()
                    .build()
                    .start());
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      e.createTable(TABLE, StreamViewType.NEW_IMAGE);
      CheckpointStore store = new InMemoryCheckpointStore();
      Map<String, Object> expected = new HashMap<>();
      int n = 0;
      for (Run run : runs) {
        for (Op op : run.ops()) {
          String id = "k" + op.key();
          if (op.delete()) {
            e.delete(TABLE, id);
            expected.remove(id);
          } else {
            String value = "v" + n++;
            e.put(TABLE, id, value);
            expected.put(id, value);
          }
        }
        if (run.rollover()) {
          e.emulator.rollover(TABLE);
        }
        DynamoDbStreamsSource source = e.source(TABLE).build();
        source.start(Drive.context("crash", store));
        List<ChangeEvent> got = new ArrayList<>();
        int idle = 0;
        while (got.size() < run.received() && idle < 10) {
          List<ChangeEvent> polled = source.poll(1, Duration.ofMillis(50));
          idle = polled.isEmpty() ? idle + 1 : 0;
          for (ChangeEvent event : polled) {
            sink.write(List.of(event));
            got.add(event);
          }
        }
        int commit = Math.min(run.committed(), got.size());
        if (commit > 0) {
          source.commit(got.get(commit - 1).position());
        }
        source.close(); // the crash: nothing after the committed prefix is remembered
      }
      DynamoDbStreamsSource last = e.source(TABLE).build();
      try {
        last.start(Drive.context("crash", store));
        Drive.run(
            last,
            sink,
            true,
            Duration.ofSeconds(30),
            () -> Drive.values(sink, "value").equals(expected));
        // Stay a little longer: no replayed event may bring back an older state.
        long until = System.nanoTime() + Duration.ofMillis(300).toNanos();
        while (System.nanoTime() < until) {
          for (ChangeEvent event : last.poll(100, Duration.ofMillis(50))) {
            sink.write(List.of(event));
            last.commit(event.position());
          }
        }
        assertThat(Drive.values(sink, "value")).isEqualTo(expected);
        assertThat(sink.violations()).isEmpty();
      } finally {
        last.close();
      }
    }
  }
}
