package dev.driftless.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DynamoDB demo's flow ({@link DynamoDbDemo#run}) with a shorter workload: DynamoDB (the
 * emulator, through the real SDK) to OpenSearch while writes run, one shard splits and every shard
 * rolls over. The index ends equal to the table, item by item and attribute by attribute (I1, no
 * change lost across the shard lineage: I2), and the poison product is dead-lettered while the rest
 * flows (I5).
 */
class DynamoDbDemoIT {

  @Test
  void indexConvergesOnTheTableAcrossSplitAndRollover(@TempDir Path workDir) throws Exception {
    try (DynamoDbEmulator emulator =
        DynamoDbEmulator.builder().partitions(4).noTimedRollover().build().start()) {
      DynamoDbDemo.Outcome outcome =
          DynamoDbDemo.run(
              emulator,
              OpenSearchNode.shared().httpUrl(),
              "ddb-demo-it-",
              Duration.ofSeconds(6),
              workDir);

      assertThat(outcome.differences()).isEmpty();
      assertThat(outcome.inSync()).isTrue();
      assertThat(outcome.documents()).isEqualTo(outcome.items()).isGreaterThan(2_000);
      // 4 root shards; the split closes one and opens two; the rollover closes the 5 open ones.
      assertThat(outcome.shardsAtStart()).isEqualTo(4);
      assertThat(outcome.shards()).isEqualTo(4 + 2 + 5);
      assertThat(outcome.deadLetters()).isEqualTo(1);
      assertThat(outcome.deadLetterText()).contains(DynamoDbShop.idOf(42)).contains("price");
      // Damage behind the pipeline's back, found and repaired by the reconciliation.
      assertThat(outcome.missingFound()).isEqualTo(2);
      assertThat(outcome.staleFound()).isEqualTo(1);
      assertThat(outcome.phantomsFound()).isEqualTo(1);
      assertThat(outcome.repaired()).isEqualTo(4);
    }
  }
}
