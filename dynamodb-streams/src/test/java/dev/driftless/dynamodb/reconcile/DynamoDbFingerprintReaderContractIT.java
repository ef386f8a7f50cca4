package dev.driftless.dynamodb.reconcile;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.tck.FingerprintReaderContract;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.dynamodb.EmulatorClients;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The DynamoDB reader passes the TCK's reader contract (F1–F7) against the emulator through the
 * real SDK: a composite key (string partition key with commas, backslashes, spaces and non-ASCII
 * text; number sort key with decimals), 240 items of which 40 deleted, a few of every attribute
 * type; scans in 3 segments with small pages.
 */
class DynamoDbFingerprintReaderContractIT extends FingerprintReaderContract {
  static final String TABLE = "contract_items";

  /** 2,048 bytes (DynamoDB's longest partition key) with commas and backslashes. */
  static final String LONG_PARTITION = "日本語,\\".repeat(186) + "ab";

  private static @Nullable DynamoDbEmulator emulator;
  private static @Nullable EmulatorClients clients;
  private static @Nullable DynamoDbFingerprintReader reader;

  private static synchronized DynamoDbFingerprintReader shared() {
    DynamoDbFingerprintReader r = reader;
    if (r == null) {
      DynamoDbEmulator emu = DynamoDbEmulator.builder().noTimedRollover().build().start();
      emulator = emu;
      EmulatorClients c = EmulatorClients.of(emu);
      clients = c;
      DynamoDbClient ddb = c.dynamoDb();
      Tables.composite(ddb, TABLE);
      String[] tenants = {"plain", "a,b", "back\\slash", "with space", "日本語"};
      for (int g = 1; g <= 240; g++) {
        String sk = g % 4 == 0 ? g + ".5" : Integer.toString(g);
        Tables.put(ddb, TABLE, tenants[g % 5], sk, Tables.attributes(g));
      }
      for (int g = 6; g <= 240; g += 6) {
        String sk = g % 4 == 0 ? g + ".5" : Integer.toString(g);
        Tables.delete(ddb, TABLE, tenants[g % 5], sk);
      }
      Tables.put(ddb, TABLE, LONG_PARTITION, "1E+125", Map.of("v", AttributeValue.fromS("long")));
      Tables.put(ddb, TABLE, "tiny", "-0.000001", Map.of("v", AttributeValue.fromS("small")));
      r =
          DynamoDbFingerprintReader.builder()
              .dynamoDbClient(ddb)
              .table(TABLE)
              .segments(3)
              .scanPageLimit(17)
              .build();
      reader = r;
    }
    return r;
  }

  @AfterAll
  static synchronized void stop() {
    if (clients != null) {
      clients.close();
    }
    if (emulator != null) {
      emulator.close();
    }
    reader = null;
    clients = null;
    emulator = null;
  }

  @Override
  protected FingerprintReader reader() {
    return shared();
  }

  @Override
  protected String collection() {
    return TABLE;
  }

  private static String id(String pk, String sk) {
    return DocumentKey.composite(TABLE, List.of(pk, sk)).id();
  }

  @Override
  protected List<String> edgeIds() {
    return List.of(id(LONG_PARTITION, "1" + "0".repeat(125)), id("tiny", "-0.000001"));
  }

  @Override
  protected List<String> absentIds() {
    return List.of(
        id("plain", "30"), // deleted
        id("nobody", "1"),
        id("plain", "1.0"), // not canonical: no item has this id
        id("plain", "not a number"), // cannot be a key
        id("", "1"), // DynamoDB refuses an empty key string
        "no comma at all"); // not a composite id
  }
}
