package dev.driftless.dynamodb;

import dev.driftless.core.spi.ChangeSource;
import dev.driftless.tck.ChangeSourceContract;
import dev.driftless.tck.ChangeSourceFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * The TCK's source rules C1.1–C1.8 against the emulator, through the real SDK clients.
 *
 * <p>The table has one partition: DynamoDB orders changes only per shard (so per key), while rule
 * C1.5 expects the changes of different keys after a restart in the order they were made, which
 * only a single shard gives. Several partitions are the subject of the other ITs.
 */
class DynamoDbChangeSourceContractIT extends ChangeSourceContract {
  private static final String TABLE = "tck_items";
  private static Emulated emulated;

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
        return emulated.source(TABLE).build();
      }

      @Override
      public void insert(String id, String value) {
        emulated.put(TABLE, id, value);
      }

      @Override
      public void update(String id, String value) {
        emulated.put(TABLE, id, value);
      }

      @Override
      public void delete(String id) {
        emulated.delete(TABLE, id);
      }
    };
  }
}
