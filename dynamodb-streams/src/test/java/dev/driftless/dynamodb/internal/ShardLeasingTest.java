package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A shard's checkpoint survives the trip through a lease row, clock and all. */
class ShardLeasingTest {

  private static ShardCheckpoint roundTrip(ShardCheckpoint c) {
    Lease lease =
        new Lease(
            "orders/shardId-1",
            "w1",
            7,
            ShardLeasing.checkpointText(c),
            Set.of(),
            ShardLeasing.stateJson(c, "arn:stream"));
    return ShardLeasing.checkpointOf(lease);
  }

  @Test
  void aCheckpointMidShardKeepsItsSequenceClockAndCutOff() {
    ShardCheckpoint c =
        new ShardCheckpoint(
            SequenceNumber.of("1000000000000000000000042"), false, 1700, 1800, Map.of("k", 3));
    assertThat(roundTrip(c)).isEqualTo(c);
  }

  @Test
  void aShardEndKeepsItsFinalClockForTheChildren() {
    ShardCheckpoint c =
        new ShardCheckpoint(SequenceNumber.of("100000000000000000009"), true, 0, 1800, Map.of());
    ShardCheckpoint back = roundTrip(c);
    assertThat(back.end()).isTrue();
    assertThat(back.clock().second()).isEqualTo(1800);
    assertThat(ShardLeasing.checkpointText(c)).isEqualTo(Lease.END);
  }

  @Test
  void aNewLeaseStartsAtTheHorizonWithNoClock() {
    Lease lease = Lease.create("orders/shardId-2", Lease.START, Set.of("orders/shardId-1"), null);
    ShardCheckpoint c = ShardLeasing.checkpointOf(lease);
    assertThat(c.sequence()).isNull();
    assertThat(c.end()).isFalse();
    assertThat(c.clockSecond()).isZero();
    assertThat(ShardLeasing.trimTolerant(lease)).isFalse();
    assertThat(
            ShardLeasing.trimTolerant(
                Lease.create("orders/shardId-3", Lease.START, Set.of(), "{\"trimTolerant\":true}")))
        .isTrue();
  }
}
