package dev.driftless.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * The backfill's version rule (docs/dynamodb.md, "Backfill"), proven against random interleavings:
 * a table whose items only a scan can find (aged out of the stream) is backfilled with a small page
 * {@code Limit} while puts, updates and deletes of the same keys land exactly between the scan's
 * pages (the emulator's {@code beforeEach("Scan")}), through the real SDK, with both version
 * strategies. DynamoDB's clock is frozen, so every change made during the scan has the creation
 * second of the backfill's start (the tightest case for derived versions), and the pipeline's clock
 * is skewed from it by less than the margin, either way. Whatever the interleaving, the index (the
 * tck's versioned in-memory sink, which refuses older versions and keeps tombstones) ends equal to
 * the table (I1) and no write ever replaced a newer version (I3, by the sink's rule); with a
 * version attribute every document holds exactly its item's version.
 */
class BackfillVersionRuleIT {
  private static final String TABLE = "items";
  private static final int INITIAL = 12;
  private static final int KEYS = 16;
  private static final Instant T = Instant.parse("2026-03-01T10:00:00Z");

  /** A write made just before the scan's request number {@code page}. */
  record Op(int page, int key, int kind) {}

  @Provide
  Arbitrary<List<Op>> ops() {
    return Combinators.combine(
            Arbitraries.integers().between(1, 14),
            Arbitraries.integers().between(0, KEYS - 1),
            Arbitraries.integers().between(0, 2))
        .as(Op::new)
        .list()
        .ofMinSize(1)
        .ofMaxSize(40);
  }

  @Property(tries = 10, shrinking = ShrinkingMode.OFF)
  void theIndexEqualsTheTableWhateverTheInterleaving(
      @ForAll("ops") List<Op> ops,
      @ForAll boolean versionAttribute,
      @ForAll @IntRange(min = -30, max = 55) int pipelineSkewSeconds)
      throws Exception {
    DynamoDbEmulator emulator =
        DynamoDbEmulator.builder()
            .partitions(2)
            .clock(Clock.fixed(T, ZoneOffset.UTC))
            .noTimedRollover()
            .build()
            .start();
    try (Emulated e = new Emulated(emulator);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      e.createTable(TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
      Map<Integer, Long> versions = new HashMap<>();
      for (int k = 0; k < INITIAL; k++) {
        write(e, versions, k, 0);
      }
      // Only the scan can find the initial items now.
      e.emulator.advanceClock(Duration.ofHours(25));
      e.emulator.trimAllBefore(e.emulator.now().minusSeconds(1));

      AtomicInteger scans = new AtomicInteger();
      e.emulator.beforeEach(
          "Scan",
          () -> {
            int page = scans.incrementAndGet();
            for (Op op : ops) {
              if (op.page() == page) {
                write(e, versions, op.key(), op.kind());
              }
            }
          });
      DynamoDbStreamsSourceBuilder builder =
          e.source(TABLE)
              .backfill(
                  BackfillSettings.builder()
                      .totalSegments(2)
                      .parallelism(1)
                      .pageSize(2)
                      .maxBufferedItems(4)
                      .build());
      if (versionAttribute) {
        builder.versionStrategy(VersionStrategy.attribute("version"));
      }
      DynamoDbStreamsSource source = builder.build();
      Clock pipelineClock = offsetClock(e.emulator, Duration.ofSeconds(pipelineSkewSeconds));
      try {
        source.start(context(new InMemoryCheckpointStore(), pipelineClock));
        Drive.run(
            source,
            sink,
            true,
            Duration.ofSeconds(30),
            () ->
                BackfillIT.backfillDone(source)
                    && Drive.values(sink, "value").equals(BackfillIT.table(e)));
      } finally {
        source.close();
      }
      assertThat(scans.get()).isGreaterThanOrEqualTo(INITIAL / 2);
      if (versionAttribute) {
        for (Map.Entry<DocumentKey, StoredDocument> d : sink.snapshot().entrySet()) {
          if (d.getValue().document() != null) {
            assertThat(d.getValue().version().value())
                .as("version of %s", d.getKey())
                .isEqualTo(itemVersion(e, d.getKey().id()));
          }
        }
      }
      assertThat(sink.violations()).isEmpty();
    }
  }

  /** kind 0: put (insert or replace), 1: update of the value, 2: delete. */
  private static void write(Emulated e, Map<Integer, Long> versions, int key, int kind) {
    String id = "k" + key;
    long version = versions.getOrDefault(key, 0L) + 1; // a delete counts too (old image + 1)
    versions.put(key, version);
    if (kind == 2) {
      e.ddb.deleteItem(b -> b.tableName(TABLE).key(Map.of("id", AttributeValue.fromS(id))));
      return;
    }
    e.ddb.putItem(
        b ->
            b.tableName(TABLE)
                .item(
                    Map.of(
                        "id",
                        AttributeValue.fromS(id),
                        "value",
                        AttributeValue.fromS(id + "@" + version + (kind == 1 ? "u" : "p")),
                        "version",
                        AttributeValue.fromN(Long.toString(version)))));
  }

  private static long itemVersion(Emulated e, String id) {
    return Long.parseLong(
        e.ddb
            .getItem(
                b ->
                    b.tableName(TABLE)
                        .key(Map.of("id", AttributeValue.fromS(id)))
                        .consistentRead(true))
            .item()
            .get("version")
            .n());
  }

  /** DynamoDB's (emulated) time shifted by {@code skew}: the pipeline host's clock. */
  private static Clock offsetClock(DynamoDbEmulator emulator, Duration skew) {
    return new Clock() {
      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return emulator.now().plus(skew);
      }
    };
  }

  private static SourceContext context(CheckpointStore store, Clock clock) {
    return new SourceContext() {
      @Override
      public String pipelineName() {
        return "rule";
      }

      @Override
      public CheckpointStore checkpointStore() {
        return store;
      }

      @Override
      public Clock clock() {
        return clock;
      }

      @Override
      public OutagePolicy outagePolicy() {
        return OutagePolicy.of(
            RetrySettings.exponential(Duration.ofMillis(10), Duration.ofMillis(200)), null);
      }
    };
  }
}
