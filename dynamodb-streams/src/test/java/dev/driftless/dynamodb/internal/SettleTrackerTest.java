package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SettleTrackerTest {

  private static SettleTracker.Delivery d(
      long ordinal, String shard, String seq, String key, long second, int count) {
    return new SettleTracker.Delivery(
        ordinal, shard, SequenceNumber.of(seq), key, second, count, false);
  }

  @Test
  void commitsInArrivalOrderBecomePerShardCheckpoints() {
    SettleTracker tracker = new SettleTracker();
    tracker.start("s1", null, VersionClock.start(), 0);
    tracker.start("s2", SequenceNumber.of("500"), VersionClock.start(), 0);
    tracker.delivered(d(1, "s1", "100000000000000000001", "a", 10, 0));
    tracker.delivered(d(2, "s2", "600", "b", 10, 0));
    tracker.delivered(d(3, "s1", "100000000000000000002", "a", 10, 1));
    assertThat(tracker.checkpoint("s2", false).sequence()).isEqualTo(SequenceNumber.of("500"));

    assertThat(tracker.commit(2)).containsExactlyInAnyOrder("s1", "s2");
    assertThat(tracker.checkpoint("s1", false).sequence())
        .isEqualTo(SequenceNumber.of("100000000000000000001"));
    assertThat(tracker.checkpoint("s1", false).clockCounts()).isEqualTo(Map.of("a", 1));
    assertThat(tracker.checkpoint("s2", false).sequence()).isEqualTo(SequenceNumber.of("600"));
    assertThat(tracker.settled("s1")).isFalse();
    assertThat(tracker.settled("s2")).isTrue();

    tracker.commit(3);
    assertThat(tracker.settled("s1")).isTrue();
    assertThat(tracker.checkpoint("s1", false).clockCounts()).isEqualTo(Map.of("a", 2));
  }

  @Test
  void aDeadLetterAtTheHeadSettlesWithoutACommit() {
    SettleTracker tracker = new SettleTracker();
    tracker.start("s", null, VersionClock.start(), 0);
    tracker.delivered(d(1, "s", "1", "a", 5, 0));
    tracker.delivered(new SettleTracker.Delivery(2, "s", SequenceNumber.of("2"), "b", 5, 0, true));
    assertThat(tracker.settleLeadingDeadLetters()).isEmpty();
    tracker.commit(1);
    assertThat(tracker.settled("s")).isTrue();
    assertThat(tracker.checkpoint("s", false).sequence()).isEqualTo(SequenceNumber.of("2"));
  }

  @Test
  void checkpointsRoundTripThroughJson() {
    TableCheckpoint cp =
        new TableCheckpoint(
            "arn:aws:dynamodb:us-east-1:1:table/t/stream/2026-01-01T00:00:00.000",
            Map.of(
                "shardId-1",
                    new ShardCheckpoint(
                        SequenceNumber.of("1234567890123456789012345"),
                        false,
                        0,
                        99,
                        Map.of("a,b\"", 3)),
                "shardId-2", new ShardCheckpoint(SequenceNumber.of("77"), true, 0, 98, Map.of()),
                "shardId-3", new ShardCheckpoint(null, false, 1_700_000_000L, 0, Map.of())));
    assertThat(TableCheckpoint.parse(cp.toJson())).isEqualTo(cp);
  }

  @Test
  void recordsOfAnEarlierHoldingOfAShardNeverMoveItsProgress() {
    SettleTracker tracker = new SettleTracker();
    tracker.start("s1", SequenceNumber.of("500"), VersionClock.start(), 0);
    tracker.delivered(d(1, "s1", "600", "a", 10, 0));
    tracker.delivered(d(2, "s1", "700", "a", 10, 1));
    tracker.forget("s1"); // its lease was lost
    tracker.start("s1", SequenceNumber.of("550"), VersionClock.start(), 0); // taken again
    tracker.delivered(d(3, "s1", "560", "a", 10, 0));
    assertThat(tracker.commit(2)).as("the earlier holding's records settle nothing").isEmpty();
    assertThat(tracker.checkpoint("s1", false).sequence()).isEqualTo(SequenceNumber.of("550"));
    assertThat(tracker.settled("s1")).isFalse();
    assertThat(tracker.commit(3)).containsExactly("s1");
    assertThat(tracker.checkpoint("s1", false).sequence()).isEqualTo(SequenceNumber.of("560"));
    assertThat(tracker.settled("s1")).isTrue();
  }
}
