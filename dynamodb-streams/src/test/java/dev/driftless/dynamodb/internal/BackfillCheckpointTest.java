package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The checkpoint's backfill section: round trip, segments to done, and old checkpoints. */
class BackfillCheckpointTest {

  @Test
  void aCheckpointWrittenBeforeBackfillsExistedStillLoads() {
    String old =
        "{\"format\":1,\"streamArn\":\"arn:s\",\"shards\":{\"shardId-1\":{\"sequence\":\"100\"}}}";
    TableCheckpoint c = TableCheckpoint.parse(old);
    assertThat(c.backfill()).isNull();
    assertThat(c.shards()).containsKey("shardId-1");
    assertThat(TableCheckpoint.parse(c.toJson())).isEqualTo(c);
  }

  @Test
  void segmentKeysOfEveryKeyTypeSurviveTheRoundTrip() {
    Map<String, AttributeValue> key =
        Map.of(
            "pk", AttributeValue.fromS("a \"quoted\" key"),
            "sk", AttributeValue.fromN("12.50"));
    Map<String, AttributeValue> binary =
        Map.of("pk", AttributeValue.fromB(SdkBytes.fromByteArray(new byte[] {0, -1, 7})));
    BackfillCheckpoint fill =
        BackfillCheckpoint.start(1_700_000_000L, 42L, 3, true)
            .settled(0, key, 10)
            .settled(1, binary, 5)
            .settled(2, null, 7);
    TableCheckpoint c = new TableCheckpoint("arn:s", Map.of(), fill);
    BackfillCheckpoint back = TableCheckpoint.parse(c.toJson()).backfill();
    assertThat(back).isNotNull();
    assertThat(back.anchorSecond()).isEqualTo(1_700_000_000L);
    assertThat(back.readVersion()).isEqualTo(42L);
    assertThat(back.resync()).isTrue();
    assertThat(back.items()).isEqualTo(22);
    assertThat(back.resumeAfter(0)).isEqualTo(key);
    assertThat(back.resumeAfter(1)).isEqualTo(binary);
    assertThat(back.segmentDone(2)).isTrue();
    assertThat(back.segmentDone(0)).isFalse();
    assertThat(back.segmentsDone()).isEqualTo(1);
  }

  @Test
  void theLastSegmentDoneMakesTheBackfillDone() {
    BackfillCheckpoint fill =
        BackfillCheckpoint.start(1, 0, 2, false)
            .settled(1, null, 3)
            .settled(0, Map.of("id", AttributeValue.fromS("x")), 4);
    assertThat(fill.done()).isFalse();
    fill = fill.settled(0, null, 1);
    assertThat(fill.done()).isTrue();
    assertThat(fill.items()).isEqualTo(8);
    BackfillCheckpoint back =
        TableCheckpoint.parse(new TableCheckpoint("arn", Map.of(), fill).toJson()).backfill();
    assertThat(back).isNotNull();
    assertThat(back.done()).isTrue();
  }
}
