package dev.driftless.dynamodb;

import dev.driftless.core.spi.ChangeSource;
import dev.driftless.tck.ChangeSourceContract;
import dev.driftless.tck.ChangeSourceFixture;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * The TCK's source rules C1.1–C1.8 against the emulator, through the real SDK clients, with a
 * version attribute (the preferred mode: C1.7's repair reads carry the item's own version, so a
 * repair is exactly as new as the stream); {@link DerivedVersionsContractIT} runs them with derived
 * versions.
 *
 * <p>The table has one partition: DynamoDB orders changes only per shard (so per key), while rule
 * C1.5 expects the changes of different keys after a restart in the order they were made, which
 * only a single shard gives. Several partitions are the subject of the other ITs.
 */
class DynamoDbChangeSourceContractIT extends ChangeSourceContract {
  private static final String TABLE = "tck_items";
  static Emulated emulated;

  /** Each id's last version: the fixture's writes count on, also across a delete. */
  private static final Map<String, Long> VERSIONS = new ConcurrentHashMap<>();

  /** The strategy the sources use. */
  VersionStrategy strategy() {
    return VersionStrategy.attribute("version");
  }

  @BeforeAll
  static void startEmulator() {
    emulated =
        new Emulated(
            dev.driftless.testinfra.dynamodb.DynamoDbEmulator.builder()
                .partitions(1)
                .noTimedRollover()
                .build()
                .start());
    emulated.createTable(TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
  }

  @AfterAll
  static void stopEmulator() {
    emulated.close();
  }

  @Override
  protected ChangeSourceFixture createFixture() {
    return new ChangeSourceFixture() {
      @Override
      public String collection() {
        return TABLE;
      }

      @Override
      public ChangeSource createSource(String pipelineName) {
        return emulated.source(TABLE).versionStrategy(strategy()).build();
      }

      @Override
      public void insert(String id, String value) {
        put(id, value);
      }

      @Override
      public void update(String id, String value) {
        put(id, value);
      }

      @Override
      public void delete(String id) {
        // The stream versions the delete old + 1; a later insert counts on from there.
        VERSIONS.merge(id, 1L, Long::sum);
        emulated.delete(TABLE, id);
      }

      private void put(String id, String value) {
        long version = VERSIONS.merge(id, 1L, Long::sum);
        emulated.ddb.putItem(
            b ->
                b.tableName(TABLE)
                    .item(
                        Map.of(
                            "id", AttributeValue.fromS(id),
                            "value", AttributeValue.fromS(value),
                            "version", AttributeValue.fromN(Long.toString(version)))));
      }
    };
  }
}
