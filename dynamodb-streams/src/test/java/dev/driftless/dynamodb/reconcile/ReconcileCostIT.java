package dev.driftless.dynamodb.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.Version;
import dev.driftless.dynamodb.internal.ItemFingerprint;
import dev.driftless.dynamodb.internal.ItemReads;
import dev.driftless.dynamodb.internal.RecordConverter;
import dev.driftless.tck.InMemoryFingerprintReader;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.dynamodb.EmulatorClients;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * What a reconciliation costs on the DynamoDB side, at a few table sizes, with 10 differences (5
 * lost, 5 stale documents): scans, items and bytes read, requests, with the per-key table and
 * without it ({@code maxKeysInMemory(0)}). The index side is the in-memory sink, filled with the
 * documents the stream source would have written (same fingerprints), so only the table side is
 * measured. Writes {@code target/reconcile-cost.md}; asserts the counts, never the times.
 */
class ReconcileCostIT {
  private static final String TABLE = "costs";
  private static final int[] SIZES = {1_000, 10_000, 40_000};

  private static Map<String, AttributeValue> item(int i) {
    return Map.of(
        "id", AttributeValue.fromS("item-" + i),
        "name", AttributeValue.fromS("product number " + i),
        "price", AttributeValue.fromN((i % 997) + ".99"),
        "stock", AttributeValue.fromN(Integer.toString(i % 50)),
        "tags", AttributeValue.fromSs(List.of("t" + (i % 7), "all")),
        "description", AttributeValue.fromS("x".repeat(100)));
  }

  @Test
  void costAtSeveralSizes() throws Exception {
    StringBuilder report = new StringBuilder();
    report.append(
        "| items | per-key table | scans | items read | MB read | requests | summary levels |"
            + " time |\n|---:|---|---:|---:|---:|---:|---:|---:|\n");
    for (int size : SIZES) {
      try (DynamoDbEmulator emu = DynamoDbEmulator.builder().noTimedRollover().build().start();
          EmulatorClients c = EmulatorClients.of(emu);
          InMemoryVersionedSink index = InMemoryVersionedSink.create()) {
        DynamoDbClient ddb = c.dynamoDb();
        EmulatorClients.createTable(ddb, TABLE, StreamViewType.KEYS_ONLY);
        ItemReads reads =
            new ItemReads(
                new RecordConverter.TableInfo(TABLE, TABLE, "id", null, true),
                null,
                ItemFingerprint.allAttributes());
        List<ChangeEvent> documents = new ArrayList<>(size);
        List<WriteRequest> batch = new ArrayList<>();
        for (int i = 0; i < size; i++) {
          Map<String, AttributeValue> it = item(i);
          batch.add(
              WriteRequest.builder().putRequest(PutRequest.builder().item(it).build()).build());
          if (batch.size() == 25 || i == size - 1) {
            List<WriteRequest> send = List.copyOf(batch);
            ddb.batchWriteItem(b -> b.requestItems(Map.of(TABLE, send)));
            batch.clear();
          }
          documents.add(reads.upsert(it, 1, SourcePosition.ofOffset(0), Instant.EPOCH, Map.of()));
        }
        index.write(documents);
        for (int i = 0; i < 5; i++) {
          index.forget(DocumentKey.of(TABLE, "item-" + (i * 97)));
          index.corrupt(
              DocumentKey.of(TABLE, "item-" + (i * 97 + 1)),
              StoredDocument.live(Version.of(1), Document.of("name", "stale").withFingerprint(i)));
        }
        for (long keys : new long[] {1_000_000, 0}) {
          DynamoDbFingerprintReader reader =
              DynamoDbFingerprintReader.builder()
                  .dynamoDbClient(ddb)
                  .table(TABLE)
                  .maxKeysInMemory(keys)
                  .build();
          Reconciler reconciler =
              Reconciler.builder()
                  .source(reader)
                  .index(InMemoryFingerprintReader.of(index))
                  .collection(TABLE)
                  .verifyDelay(Duration.ZERO)
                  .build();
          long started = System.nanoTime();
          ReconciliationReport run = reconciler.run();
          long millis = (System.nanoTime() - started) / 1_000_000;
          assertThat(run.missing()).as(run.summary()).isEqualTo(5);
          assertThat(run.stale()).isEqualTo(5);
          long levels = run.summaryRequests() / 2;
          long expectedScans = keys > 0 ? 2 : levels + 1;
          assertThat(reader.scans()).as(run.summary()).isEqualTo(expectedScans);
          assertThat(reader.itemsRead())
              .as("every item once per scan, and the 10 candidates' point reads")
              .isEqualTo(expectedScans * size + 10);
          report.append(
              String.format(
                  "| %,d | %s | %d | %,d | %.1f | %,d | %d | %,d ms |%n",
                  size,
                  keys > 0 ? "yes" : "no",
                  reader.scans(),
                  reader.itemsRead(),
                  reader.bytesRead() / 1e6,
                  reader.requests(),
                  levels,
                  millis));
        }
      }
    }
    Path out = Path.of("target", "reconcile-cost.md");
    Files.writeString(out, report.toString(), StandardCharsets.UTF_8);
    System.out.println(report);
  }
}
