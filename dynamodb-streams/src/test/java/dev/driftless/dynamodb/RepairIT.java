package dev.driftless.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.Version;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.dynamodb.internal.ItemFingerprint;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.dynamodb.Fault;
import dev.driftless.testinfra.dynamodb.FaultKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * {@code Pipeline.repair} and {@code replayDeadLetters} with the DynamoDB source, through the real
 * SDK against the emulator: a table with a composite key (string partition, number sort key) and a
 * version attribute; lost, stale and phantom documents repaired while {@code BatchGetItem} answers
 * with unprocessed keys; a dead letter replayed by re-reading its item.
 */
class RepairIT {
  private static final String TABLE = "orders";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private static void createTable(Emulated e) {
    e.ddb.createTable(
        b ->
            b.tableName(TABLE)
                .keySchema(
                    KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build(),
                    KeySchemaElement.builder().attributeName("sk").keyType(KeyType.RANGE).build())
                .attributeDefinitions(
                    AttributeDefinition.builder()
                        .attributeName("pk")
                        .attributeType(ScalarAttributeType.S)
                        .build(),
                    AttributeDefinition.builder()
                        .attributeName("sk")
                        .attributeType(ScalarAttributeType.N)
                        .build())
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .streamSpecification(
                    s -> s.streamEnabled(true).streamViewType(StreamViewType.NEW_AND_OLD_IMAGES)));
  }

  private static void put(Emulated e, String pk, int sk, long version, String value) {
    e.ddb.putItem(
        b ->
            b.tableName(TABLE)
                .item(
                    Map.of(
                        "pk", AttributeValue.fromS(pk),
                        "sk", AttributeValue.fromN(Integer.toString(sk)),
                        "v", AttributeValue.fromN(Long.toString(version)),
                        "value", AttributeValue.fromS(value))));
  }

  private static DocumentKey key(String pk, int sk) {
    return DocumentKey.composite(TABLE, List.of(pk, Integer.toString(sk)));
  }

  /** The versions the in-memory index holds: what an OpenSearch sink's point reads give. */
  private static FingerprintReader versionsOf(InMemoryVersionedSink sink) {
    return new FingerprintReader() {
      @Override
      public List<BucketSummary> summarize(String collection, BucketRange range, int splits) {
        throw new UnsupportedOperationException();
      }

      @Override
      public List<KeyFingerprint> list(String collection, BucketRange range) {
        throw new UnsupportedOperationException();
      }

      @Override
      public List<KeyFingerprint> read(String collection, Collection<String> ids) {
        List<KeyFingerprint> out = new ArrayList<>();
        for (String id : ids) {
          DocumentKey k = DocumentKey.of(collection, id);
          sink.get(k)
              .filter(s -> !s.deleted())
              .ifPresent(
                  s -> out.add(new KeyFingerprint(k, 0, OptionalLong.of(s.version().value()))));
        }
        return out;
      }
    };
  }

  @Test
  void lostStaleAndPhantomDocumentsAreRepairedDespiteUnprocessedKeys() throws Exception {
    try (Emulated e =
            new Emulated(
                DynamoDbEmulator.builder().partitions(2).noTimedRollover().build().start());
        InMemoryVersionedSink sink = InMemoryVersionedSink.create()) {
      createTable(e);
      for (int i = 0; i < 150; i++) {
        put(e, "p" + (i % 7), i, 3, "v3-" + i);
      }
      Pipeline pipeline =
          Pipeline.builder()
              .name("repair")
              .source(
                  e.source(TABLE)
                      .versionStrategy(VersionStrategy.attribute("v"))
                      .indexVersions(versionsOf(sink))
                      .build())
              .sink(sink)
              .checkpointStore(new InMemoryCheckpointStore())
              .deadLetterStore(new InMemoryDeadLetterStore())
              .retry(RetrySettings.exponential(Duration.ofMillis(10), Duration.ofMillis(100)))
              .build()
              .start();
      try {
        Eventually.until(TIMEOUT, "150 documents", () -> sink.liveDocuments().size() == 150);
        DocumentKey lost = key("p0", 0);
        DocumentKey stale = key("p1", 1);
        DocumentKey phantom = key("p9", 9999);
        Document fingerprinted = sink.get(stale).orElseThrow().document();
        assertThat(fingerprinted.fingerprint())
            .as("the stream's documents carry the item fingerprint")
            .hasValue(
                ItemFingerprint.allAttributes()
                    .of(
                        Map.of(
                            "pk", AttributeValue.fromS("p1"),
                            "sk", AttributeValue.fromN("1"),
                            "v", AttributeValue.fromN("3"),
                            "value", AttributeValue.fromS("v3-1"))));
        sink.forget(lost);
        sink.corrupt(
            stale, StoredDocument.live(Version.of(2), Document.of("value", "behind the back")));
        sink.corrupt(phantom, StoredDocument.live(Version.of(5), Document.of("value", "ghost")));
        e.emulator.inject(Fault.on("BatchGetItem").times(3).respond(FaultKind.UNPROCESSED_KEYS));
        long requestsBefore = e.emulator.requestCount("BatchGetItem");

        List<DocumentKey> keys = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
          keys.add(key("p" + (i % 7), i));
        }
        keys.add(phantom);
        keys.add(DocumentKey.composite(TABLE, List.of("p1", "1.0"))); // not a canonical id
        Pipeline.RepairResult result = pipeline.repair(keys);

        assertThat(result.failed()).isEmpty();
        // The in-memory index, like external_gte, also applies an equal version: no "current" here.
        assertThat(result.applied() + result.alreadyCurrent()).isEqualTo(152);
        assertThat(e.emulator.requestCount("BatchGetItem") - requestsBefore)
            .as("2 chunks of at most 100 keys, and a resend after each of 3 partial answers")
            .isEqualTo(5);
        assertThat(sink.liveDocuments().get(lost).get("value")).isEqualTo("v3-0");
        assertThat(sink.liveDocuments().get(stale).get("value")).isEqualTo("v3-1");
        assertThat(sink.get(stale).orElseThrow().version().value()).isEqualTo(3);
        assertThat(sink.get(phantom).orElseThrow().deleted()).isTrue();
        assertThat(sink.get(phantom).orElseThrow().version().value())
            .as("deleted at the version the index held")
            .isEqualTo(5);

        // The phantom's delete does not block the key's real insert, counting on past it.
        put(e, "p9", 9999, 6, "real");
        Eventually.until(
            TIMEOUT, "the re-inserted item", () -> sink.liveDocuments().containsKey(phantom));
      } finally {
        pipeline.close();
      }
    }
  }

  @Test
  void deadLettersAreReplayedByReReadingTheItem() throws Exception {
    AtomicBoolean rejecting = new AtomicBoolean(true);
    try (Emulated e =
            new Emulated(
                DynamoDbEmulator.builder().partitions(1).noTimedRollover().build().start());
        InMemoryVersionedSink sink =
            InMemoryVersionedSink.builder()
                .poison(d -> rejecting.get() && "poison".equals(d.get("value")))
                .build()) {
      createTable(e);
      InMemoryDeadLetterStore letters = new InMemoryDeadLetterStore();
      Pipeline pipeline =
          Pipeline.builder()
              .name("replay")
              .source(e.source(TABLE).build())
              .sink(sink)
              .checkpointStore(new InMemoryCheckpointStore())
              .deadLetterStore(letters)
              .build()
              .start();
      try {
        put(e, "a", 1, 1, "fine");
        put(e, "b", 2, 1, "poison");
        put(e, "c", 3, 1, "poison");
        Eventually.until(TIMEOUT, "two dead letters", () -> letters.list(10).size() == 2);
        assertThat(sink.liveDocuments()).containsOnlyKeys(key("a", 1));
        e.ddb.deleteItem(
            b ->
                b.tableName(TABLE)
                    .key(Map.of("pk", AttributeValue.fromS("c"), "sk", AttributeValue.fromN("3"))));
        Eventually.until(TIMEOUT, "c's delete", () -> sink.get(key("c", 3)).isPresent());
        rejecting.set(false);

        Pipeline.ReplayResult replay = pipeline.replayDeadLetters(10);

        assertThat(replay.replayed()).isEqualTo(2);
        assertThat(letters.list(10)).isEmpty();
        assertThat(sink.liveDocuments()).containsOnlyKeys(key("a", 1), key("b", 2));
        ChangeEvent last = sink.writeLog(key("b", 2)).get(sink.writeLog(key("b", 2)).size() - 1);
        assertThat(last.metadata()).containsEntry(DynamoDbStreamsSource.METADATA_READ, "repair");
      } finally {
        pipeline.close();
      }
    }
  }
}
