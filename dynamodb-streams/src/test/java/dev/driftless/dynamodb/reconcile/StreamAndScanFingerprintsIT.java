package dev.driftless.dynamodb.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.Pipeline;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.Version;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.dynamodb.DynamoDbStreamsSource;
import dev.driftless.dynamodb.VersionStrategy;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryFingerprintReader;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.dynamodb.EmulatorClients;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The fingerprint is one definition from both sides, through the real SDK: what the stream source
 * stores with each document (from the stream's NewImage) equals what the reader computes from a
 * scanned item and from a BatchGetItem, for items of every attribute type, so a reconciliation
 * between the table and the index the stream filled finds nothing; then finds drift and repairs it
 * through the pipeline. Also: a fingerprint over an attribute subset (projected scans), and how
 * many scans a run takes with and without the per-key table.
 */
class StreamAndScanFingerprintsIT {
  private static final String TABLE = "items";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private static DocumentKey key(String pk, String sk) {
    return DocumentKey.composite(TABLE, List.of(pk, sk));
  }

  private static Pipeline pipeline(
      DynamoDbStreamsSource source, InMemoryVersionedSink sink, String name) {
    return Pipeline.builder()
        .name(name)
        .source(source)
        .sink(sink)
        .checkpointStore(new InMemoryCheckpointStore())
        .deadLetterStore(new InMemoryDeadLetterStore())
        .build()
        .start();
  }

  @Test
  void streamImagesScannedItemsAndPointReadsFingerprintAlike() throws Exception {
    try (DynamoDbEmulator emu = DynamoDbEmulator.builder().noTimedRollover().build().start();
        EmulatorClients c = EmulatorClients.of(emu);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      DynamoDbClient ddb = c.dynamoDb();
      Tables.composite(ddb, TABLE);
      DynamoDbStreamsSource source =
          DynamoDbStreamsSource.builder()
              .dynamoDbClient(ddb)
              .streamsClient(c.streams())
              .table(TABLE)
              .pollInterval(Duration.ofMillis(20))
              .discoveryInterval(Duration.ofMillis(500))
              .build();
      Pipeline pipeline = pipeline(source, sink, "fingerprints");
      try {
        for (int g = 0; g < 300; g++) {
          Tables.put(ddb, TABLE, "p" + (g % 13), g + ".50", Tables.attributes(g));
        }
        // Numbers and sets written in a non-canonical spelling and order.
        Tables.put(
            ddb,
            TABLE,
            "odd",
            "1",
            Map.of(
                "n", AttributeValue.fromN("0001.2300"),
                "nums", AttributeValue.fromNs(List.of("10", "9.0", "-0")),
                "tags", AttributeValue.fromSs(List.of("β", "a", "Z"))));
        Eventually.until(TIMEOUT, "301 documents", () -> sink.liveDocuments().size() == 301);

        DynamoDbFingerprintReader reader =
            DynamoDbFingerprintReader.builder().dynamoDbClient(ddb).table(TABLE).build();
        Map<String, Long> streamed = new HashMap<>();
        sink.liveDocuments().forEach((k, d) -> streamed.put(k.id(), d.fingerprint().orElseThrow()));
        Map<String, Long> scanned = new HashMap<>();
        reader
            .list(TABLE, new FingerprintReader.BucketRange(0, Fingerprints.BUCKET_COUNT))
            .forEach(k -> scanned.put(k.key().id(), k.fingerprint()));
        Map<String, Long> pointRead = new HashMap<>();
        reader
            .read(TABLE, new ArrayList<>(streamed.keySet()))
            .forEach(k -> pointRead.put(k.key().id(), k.fingerprint()));
        assertThat(scanned).isEqualTo(streamed);
        assertThat(pointRead).isEqualTo(streamed);

        Reconciler reconciler =
            Reconciler.builder()
                .source(reader)
                .index(InMemoryFingerprintReader.of(sink))
                .pipeline(pipeline)
                .collection(TABLE)
                .splits(2)
                .listThreshold(4) // two levels of summaries before the listing
                .verifyDelay(Duration.ofMillis(100))
                .build();
        ReconciliationReport clean = reconciler.run();
        assertThat(clean.inSync()).as(clean.summary()).isTrue();
        assertThat(clean.sourceRows()).isEqualTo(301);

        // Drift: a lost, a changed and a phantom document.
        sink.forget(key("p1", "1.5"));
        sink.corrupt(
            key("p2", "2.5"),
            StoredDocument.live(
                Version.of(1), Document.of("v", "changed behind the back").withFingerprint(42)));
        sink.corrupt(
            key("ghost", "7"),
            StoredDocument.live(Version.of(1), Document.of("v", "boo").withFingerprint(7)));
        long scansBefore = reader.scans();
        ReconciliationReport drift = reconciler.run();
        assertThat(drift.missing()).as(drift.summary()).isEqualTo(1);
        assertThat(drift.stale()).isEqualTo(1);
        assertThat(drift.phantom()).isEqualTo(1);
        assertThat(drift.repaired()).isEqualTo(3);
        assertThat(reader.scans() - scansBefore)
            .as("one scan for both levels' summaries, one for the listing")
            .isEqualTo(2);
        ReconciliationReport after = reconciler.run();
        assertThat(after.inSync()).as(after.summary()).isTrue();
      } finally {
        pipeline.close();
      }
    }
  }

  @Test
  void aSubsetFingerprintProjectsItsAttributesAndIgnoresTheOthers() throws Exception {
    try (DynamoDbEmulator emu = DynamoDbEmulator.builder().noTimedRollover().build().start();
        EmulatorClients c = EmulatorClients.of(emu);
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      DynamoDbClient ddb = c.dynamoDb();
      Tables.composite(ddb, TABLE);
      DynamoDbStreamsSource source =
          DynamoDbStreamsSource.builder()
              .dynamoDbClient(ddb)
              .streamsClient(c.streams())
              .table(TABLE)
              .versionStrategy(VersionStrategy.derived())
              .fingerprintAttributes("v", "n")
              .pollInterval(Duration.ofMillis(20))
              .discoveryInterval(Duration.ofMillis(500))
              .build();
      Pipeline pipeline = pipeline(source, sink, "subset");
      try {
        for (int g = 0; g < 50; g++) {
          Tables.put(ddb, TABLE, "p", Integer.toString(g), Tables.attributes(g));
        }
        Eventually.until(TIMEOUT, "50 documents", () -> sink.liveDocuments().size() == 50);
        DynamoDbFingerprintReader reader =
            DynamoDbFingerprintReader.builder()
                .dynamoDbClient(ddb)
                .table(TABLE, "v", "n")
                .maxKeysInMemory(0)
                .build();
        Reconciler reconciler =
            Reconciler.builder()
                .source(reader)
                .index(InMemoryFingerprintReader.of(sink))
                .collection(TABLE)
                .splits(2)
                .listThreshold(4) // two levels of summaries before the listing
                .verifyDelay(Duration.ofMillis(100))
                .build();
        long bytesBefore = reader.bytesRead();
        ReconciliationReport clean = reconciler.run();
        assertThat(clean.inSync()).as(clean.summary()).isTrue();
        long projectedBytes = reader.bytesRead() - bytesBefore;
        // An uncovered attribute differs in the index: not a difference.
        Document held = sink.liveDocuments().get(key("p", "3"));
        sink.corrupt(
            key("p", "3"),
            StoredDocument.live(
                Version.of(1),
                Document.of("v", "value 3", "tags", "other")
                    .withFingerprint(held.fingerprint().orElseThrow())));
        assertThat(reconciler.run().inSync()).isTrue();
        // A covered one does.
        sink.corrupt(
            key("p", "4"),
            StoredDocument.live(Version.of(1), Document.of("v", "x").withFingerprint(99)));
        long scansBefore = reader.scans();
        ReconciliationReport stale = reconciler.run();
        assertThat(stale.stale()).as(stale.summary()).isEqualTo(1);
        assertThat(reader.scans() - scansBefore)
            .as("without the per-key table: a scan per level, and one for the listing")
            .isEqualTo(3);

        DynamoDbFingerprintReader whole =
            DynamoDbFingerprintReader.builder().dynamoDbClient(ddb).table(TABLE).build();
        whole.summarize(TABLE, new FingerprintReader.BucketRange(0, Fingerprints.BUCKET_COUNT), 4);
        assertThat(whole.bytesRead())
            .as("whole items weigh more than the projection of the key, v and n")
            .isGreaterThan(2 * projectedBytes);
      } finally {
        pipeline.close();
      }
    }
  }
}
