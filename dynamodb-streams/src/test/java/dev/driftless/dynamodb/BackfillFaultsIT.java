package dev.driftless.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.DeadLetter;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.dynamodb.EmulatorClients;
import dev.driftless.testinfra.dynamodb.Fault;
import dev.driftless.testinfra.dynamodb.FaultKind;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The backfill under faults and bad data: throttled and failing Scan requests are retried and lose
 * nothing (I5: an outage is never dead-lettered); an item the backfill cannot read is dead-lettered
 * with its reason while the rest flows (I5); scanned items held in memory stay within {@code
 * maxBufferedItems} plus one page per thread (I6).
 */
class BackfillFaultsIT {
  private static final String TABLE = BackfillIT.TABLE_NAME;
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @Test
  void throttledAndFailingScansAreRetriedAndMemoryStaysBounded() throws Exception {
    try (Emulated e = BackfillIT.emulated(4);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      BackfillIT.fillAndTrim(e, 200);
      e.emulator.inject(Fault.on("Scan").times(8).respond(FaultKind.THROTTLING));
      e.emulator.inject(
          Fault.on("Scan").afterCalls(5).times(4).respond(FaultKind.INTERNAL_SERVER_ERROR));
      e.emulator.inject(
          Fault.on("Scan")
              .afterCalls(10)
              .times(4)
              .respond(FaultKind.PROVISIONED_THROUGHPUT_EXCEEDED));
      int pageSize = 10;
      int parallelism = 3;
      int maxBuffered = 15;
      // Clients without the SDK's retries: every fault reaches the source's own retries.
      EmulatorClients bare = EmulatorClients.withoutRetries(e.emulator);
      DynamoDbStreamsSource source =
          DynamoDbStreamsSource.builder()
              .dynamoDbClient(bare.dynamoDb())
              .streamsClient(bare.streams())
              .table(TABLE)
              .pollInterval(Duration.ofMillis(20))
              .backfill(
                  BackfillSettings.builder()
                      .totalSegments(6)
                      .parallelism(parallelism)
                      .pageSize(pageSize)
                      .maxBufferedItems(maxBuffered)
                      .build())
              .build();
      AtomicInteger mostBuffered = new AtomicInteger();
      try {
        source.start(Drive.context("faults", new InMemoryCheckpointStore()));
        Drive.run(
            source,
            sink,
            true,
            TIMEOUT,
            () -> {
              Object buffered = source.statusDetails().get("backfillItemsBuffered");
              if (buffered instanceof Integer n) {
                mostBuffered.accumulateAndGet(n, Math::max);
              }
              return BackfillIT.backfillDone(source)
                  && Drive.values(sink, "value").equals(BackfillIT.table(e));
            });
        assertThat(e.emulator.faultHits()).isEqualTo(16);
        assertThat((Long) source.statusDetails().get("throttles")).isGreaterThanOrEqualTo(16L);
        assertThat(mostBuffered.get()).isLessThanOrEqualTo(maxBuffered + parallelism * pageSize);
        assertThat(Drive.values(sink, "value")).hasSize(200);
      } finally {
        source.close();
        bare.close();
      }
    }
  }

  @Test
  void anItemTheBackfillCannotReadIsDeadLetteredAndTheRestFlows() throws Exception {
    try (Emulated e = BackfillIT.emulated(2);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      for (int i = 0; i < 30; i++) {
        String id = "k" + i;
        Map<String, AttributeValue> item =
            i == 7
                ? Map.of(
                    "id", AttributeValue.fromS(id), "value", AttributeValue.fromS("no version"))
                : Map.of(
                    "id",
                    AttributeValue.fromS(id),
                    "value",
                    AttributeValue.fromS("v" + i),
                    "version",
                    AttributeValue.fromN("1"));
        e.ddb.putItem(b -> b.tableName(TABLE).item(item));
      }
      e.emulator.advanceClock(Duration.ofHours(25));
      e.emulator.trimAllBefore(e.emulator.now().minusSeconds(1));
      List<DeadLetter> letters = new CopyOnWriteArrayList<>();
      DynamoDbStreamsSource source =
          e.source(TABLE)
              .versionStrategy(VersionStrategy.attribute("version"))
              .backfill(BackfillSettings.builder().totalSegments(2).pageSize(4).build())
              .build();
      try {
        source.start(context(new InMemoryCheckpointStore(), letters));
        Drive.run(
            source,
            sink,
            true,
            TIMEOUT,
            () -> BackfillIT.backfillDone(source) && Drive.values(sink, "value").size() == 29);
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).key().id()).isEqualTo("k7");
        assertThat(letters.get(0).errorMessage()).contains("version");
        assertThat(Drive.values(sink, "value")).doesNotContainKey("k7");
      } finally {
        source.close();
      }
    }
  }

  private static SourceContext context(CheckpointStore store, List<DeadLetter> letters) {
    return new SourceContext() {
      @Override
      public String pipelineName() {
        return "letters";
      }

      @Override
      public CheckpointStore checkpointStore() {
        return store;
      }

      @Override
      public void deadLetter(DeadLetter letter) {
        letters.add(letter);
      }

      @Override
      public OutagePolicy outagePolicy() {
        return OutagePolicy.of(
            RetrySettings.exponential(Duration.ofMillis(10), Duration.ofMillis(200)), null);
      }
    };
  }
}
