package dev.driftless.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.dynamodb.DynamoDbStreamsSource;
import dev.driftless.dynamodb.VersionStrategy;
import dev.driftless.dynamodb.reconcile.DynamoDbFingerprintReader;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.search.IndexRouting;
import dev.driftless.tck.Eventually;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.dynamodb.EmulatorClients;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * Reconciliation between a DynamoDB table (the emulator, through the real SDK) and the OpenSearch
 * index a pipeline filled from its stream: drift injected into the index behind the pipeline's back
 * (a deleted document, a stale one, one with another item's content, phantoms) is found by class,
 * repaired through the pipeline ({@code Pipeline.repair}, re-reading the items with BatchGetItem),
 * and a second run finds nothing. With a version attribute, so phantoms are deleted at the version
 * the index holds for them ({@code indexVersions}); then a phantom's key is really inserted and
 * lands.
 */
class DynamoDbReconcileIT {
  static {
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private static final Logger LOG = LoggerFactory.getLogger(DynamoDbReconcileIT.class);
  private static final String TABLE = "products";
  private static final int ITEMS = 2_000;
  private static final Duration TIMEOUT = Duration.ofSeconds(120);

  private static Map<String, AttributeValue> item(int i, long version, String note) {
    return Map.of(
        "id", AttributeValue.fromS("p-" + i),
        "version", AttributeValue.fromN(Long.toString(version)),
        "name", AttributeValue.fromS("product " + i),
        "price", AttributeValue.fromN((i % 97) + ".95"),
        "tags", AttributeValue.fromSs(List.of("t" + (i % 5), "all")),
        "note", AttributeValue.fromS(note));
  }

  private static void write(DynamoDbClient ddb, List<Map<String, AttributeValue>> items) {
    for (int from = 0; from < items.size(); from += 25) {
      List<WriteRequest> batch = new ArrayList<>();
      for (Map<String, AttributeValue> it :
          items.subList(from, Math.min(items.size(), from + 25))) {
        batch.add(WriteRequest.builder().putRequest(PutRequest.builder().item(it).build()).build());
      }
      ddb.batchWriteItem(b -> b.requestItems(Map.of(TABLE, batch)));
    }
  }

  @Test
  void driftInTheIndexIsFoundRepairedAndGone() throws Exception {
    String prefix = "ddb-reconcile-it-";
    try (DynamoDbEmulator emu =
            DynamoDbEmulator.builder().partitions(4).noTimedRollover().build().start();
        EmulatorClients clients = EmulatorClients.of(emu);
        OpenSearchSink sink =
            OpenSearchSink.builder()
                .urls(OpenSearchNode.shared().httpUrl())
                .routing(IndexRouting.prefixed(prefix))
                .indexSettings("{\"number_of_shards\": 1, \"number_of_replicas\": 0}")
                .build()) {
      DynamoDbClient ddb = clients.dynamoDb();
      EmulatorClients.createTable(ddb, TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
      DynamoDbStreamsSource source =
          DynamoDbStreamsSource.builder()
              .dynamoDbClient(ddb)
              .streamsClient(clients.streams())
              .table(TABLE)
              .versionStrategy(VersionStrategy.attribute("version"))
              .indexVersions(sink.fingerprintReader())
              .pollInterval(Duration.ofMillis(50))
              .discoveryInterval(Duration.ofSeconds(1))
              .build();
      try (Pipeline pipeline =
          Pipeline.builder()
              .name("ddb-reconcile")
              .source(source)
              .sink(sink)
              .checkpointStore(new InMemoryCheckpointStore())
              .deadLetterStore(new InMemoryDeadLetterStore())
              .build()
              .start()) {
        List<Map<String, AttributeValue>> items = new ArrayList<>();
        for (int i = 0; i < ITEMS; i++) {
          items.add(item(i, 1, "first"));
        }
        write(ddb, items);
        Eventually.until(
            TIMEOUT,
            "all items indexed",
            () -> {
              sink.refresh(TABLE);
              return sink.fingerprintReader().read(TABLE, List.of("p-" + (ITEMS - 1))).size() == 1
                  && countLive(sink) == ITEMS;
            });
        String index = sink.indexFor(TABLE);
        IndexTampering tamper = new IndexTampering(OpenSearchNode.shared().httpUrl());

        // Stale: keep the documents of version 1, let the stream move the items on, put them back.
        List<String> staleIds = List.of("p-10", "p-20", "p-30");
        Map<String, IndexTampering.Snapshot> old = new HashMap<>();
        for (String id : staleIds) {
          old.put(id, tamper.require(index, id));
        }
        List<Map<String, AttributeValue>> movedOn = new ArrayList<>();
        for (String id : staleIds) {
          movedOn.add(item(Integer.parseInt(id.substring(2)), 2, "moved on"));
        }
        write(ddb, movedOn);
        Eventually.until(
            TIMEOUT,
            "moved-on versions indexed",
            () ->
                staleIds.stream()
                    .allMatch(
                        id ->
                            sink.get(DocumentKey.of(TABLE, id))
                                .map(d -> d.version().value() == 2)
                                .orElse(false)));
        for (String id : staleIds) {
          tamper.restore(index, old.get(id));
        }
        // Missing: deleted by hand.
        for (String id : List.of("p-101", "p-202", "p-303", "p-404")) {
          assertThat(tamper.delete(index, id)).isTrue();
        }
        // Changed content: a writer that mixed up two items.
        tamper.swapContent(index, "p-1001", "p-1002");
        // Phantoms: copies under ids the table does not have.
        for (String id : List.of("p-9001", "p-9002", "ghost")) {
          tamper.addPhantom(index, "p-11", id);
        }
        tamper.refresh(index);

        DynamoDbFingerprintReader tableSide =
            DynamoDbFingerprintReader.builder().dynamoDbClient(ddb).table(TABLE).build();
        Reconciler reconciler =
            Reconciler.builder()
                .source(tableSide)
                .index(sink.fingerprintReader())
                .pipeline(pipeline)
                .collection(TABLE)
                .verifyDelay(Duration.ofMillis(200))
                .build();
        long itemsBefore = tableSide.itemsRead();
        long bytesBefore = tableSide.bytesRead();
        long scansBefore = tableSide.scans();
        ReconciliationReport drift = reconciler.run();
        LOG.info(
            "drift run: {}; table side: {} scans, {} items, {} bytes, {} requests",
            drift.summary(),
            tableSide.scans() - scansBefore,
            tableSide.itemsRead() - itemsBefore,
            tableSide.bytesRead() - bytesBefore,
            tableSide.requests());
        assertThat(drift.sourceRows()).as(drift.summary()).isEqualTo(ITEMS);
        assertThat(drift.indexDocuments()).isEqualTo(ITEMS - 4 + 3);
        assertThat(drift.missing()).as(drift.summary()).isEqualTo(4);
        assertThat(drift.stale()).as(drift.sampleKeys().toString()).isEqualTo(3 + 1);
        assertThat(drift.phantom()).isEqualTo(3);
        assertThat(drift.changedDuringComparison()).isZero();
        assertThat(drift.repaired()).isEqualTo(4 + 4 + 3);
        assertThat(drift.repairFailed()).isZero();
        assertThat(tableSide.scans() - scansBefore)
            .as("one scan for the summaries of every level, one for the listing")
            .isEqualTo(2);

        sink.refresh(TABLE);
        ReconciliationReport after = reconciler.run();
        assertThat(after.inSync()).as(after.summary()).isTrue();
        assertThat(after.indexDocuments()).isEqualTo(ITEMS);
        for (String id : staleIds) {
          StoredDocument d = sink.get(DocumentKey.of(TABLE, id)).orElseThrow();
          assertThat(d.version().value()).as("I3: %s at its item's version", id).isEqualTo(2);
          assertThat(d.document().get("note")).isEqualTo("moved on");
        }
        // The phantom's delete (at the version the index held) does not block a real insert.
        StoredDocument ghost = sink.get(DocumentKey.of(TABLE, "p-9001")).orElse(null);
        assertThat(ghost == null || ghost.deleted()).isTrue();
        write(ddb, List.of(item(9001, 5, "real now")));
        Eventually.until(
            TIMEOUT,
            "the phantom's key really inserted",
            () ->
                sink.get(DocumentKey.of(TABLE, "p-9001"))
                    .filter(d -> !d.deleted())
                    .map(d -> "real now".equals(d.document().get("note")))
                    .orElse(false));
      }
    }
  }

  private static long countLive(OpenSearchSink sink) throws Exception {
    return sink
        .fingerprintReader()
        .summarize(
            TABLE,
            new dev.driftless.core.spi.FingerprintReader.BucketRange(
                0, dev.driftless.core.Fingerprints.BUCKET_COUNT),
            1)
        .stream()
        .mapToLong(s -> s.count())
        .sum();
  }
}
