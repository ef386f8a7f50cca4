package dev.driftless.testinfra.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.Shard;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/** Open shards roll over on the emulated timer. */
class TimedRolloverTest extends EmulatorTestBase {
  @Override
  DynamoDbEmulator.Builder configure(DynamoDbEmulator.Builder b) {
    return b.rolloverInterval(Duration.ofMinutes(10));
  }

  @Test
  void shardsRollOverOnTheEmulatedTimer() {
    String arn = createTable("Items", StreamViewType.KEYS_ONLY);
    emu.advanceClock(Duration.ofMinutes(9));
    assertThat(listShards(arn, 100)).hasSize(4);
    emu.advanceClock(Duration.ofMinutes(1));
    List<Shard> after = listShards(arn, 100);
    assertThat(after).hasSize(8);
    assertThat(after.subList(0, 4))
        .allSatisfy(s -> assertThat(s.sequenceNumberRange().endingSequenceNumber()).isNotNull());
    assertThat(after.subList(4, 8)).allSatisfy(s -> assertThat(s.parentShardId()).isNotNull());
  }

  @Test
  void aLongClockJumpRollsEachShardOnceNotOncePerInterval() {
    String arn = createTable("Items", StreamViewType.KEYS_ONLY);
    emu.advanceClock(Duration.ofMinutes(95));
    assertThat(listShards(arn, 100)).hasSize(8);
  }
}
