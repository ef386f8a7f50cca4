package dev.driftless.testinfra.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.Shard;
import software.amazon.awssdk.services.dynamodb.model.ShardFilterType;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamDescription;
import software.amazon.awssdk.services.dynamodb.model.StreamStatus;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.TrimmedDataAccessException;

/** Partitions, rollover, split, disable/re-enable and retention, observed through the SDK. */
class ShardLifecycleTest extends EmulatorTestBase {

  @Test
  void onePartitionPerOpenShardAndEveryKeyStaysInItsPartitionsShard() {
    String arn = createTable("Items", StreamViewType.KEYS_ONLY);
    List<Shard> shards = listShards(arn, 100);
    assertThat(shards).hasSize(4);
    assertThat(shards)
        .allSatisfy(
            s -> {
              assertThat(s.sequenceNumberRange().endingSequenceNumber()).isNull();
              assertThat(s.parentShardId()).isNull();
              assertThat(s.shardId()).matches("shardId-[0-9]{20}-[0-9a-f]{8}");
            });
    for (int i = 0; i < 40; i++) {
      put("Items", item("k" + (i % 10), "i", i));
    }
    Map<String, String> shardOfKey = new HashMap<>();
    for (Shard s : shards) {
      for (Record r : readShard(arn, s.shardId())) {
        String id = r.dynamodb().keys().get("id").s();
        assertThat(shardOfKey.put(id, s.shardId())).isIn(null, s.shardId());
      }
    }
    assertThat(shardOfKey).hasSize(10);
    assertThat(shardOfKey.values().stream().distinct().count()).isGreaterThan(1);
  }

  @Test
  void rolloverClosesTheShardAndOpensOneChildThatGetsTheNextChanges() {
    String arn = createTable("Items", StreamViewType.KEYS_ONLY);
    int p = emu.partitionOf("Items", "a");
    put("Items", item("a", "v", 1));
    emu.rollover("Items", p);
    put("Items", item("a", "v", 2));
    emu.rollover("Items", p); // the second child stays empty when closed
    emu.rollover("Items", p);

    List<ShardInfo> lineage = emu.shards("Items").stream().filter(s -> s.partition() == p).toList();
    assertThat(lineage).hasSize(4);
    for (int i = 1; i < lineage.size(); i++) {
      assertThat(lineage.get(i).parentShardId()).isEqualTo(lineage.get(i - 1).shardId());
      assertThat(lineage.get(i).startingSequence())
          .isGreaterThan(new BigInteger(lineage.get(i - 1).endingSequenceNumber()));
    }
    ShardInfo empty = lineage.get(2);
    assertThat(empty.endingSequenceNumber()).isEqualTo(empty.startingSequenceNumber());
    assertThat(lineage.get(3).isOpen()).isTrue();

    List<Shard> listed = listShards(arn, 2);
    assertThat(listed).hasSize(7);
    assertThat(readShard(arn, lineage.get(0).shardId())).hasSize(1);
    assertThat(readShard(arn, lineage.get(1).shardId())).hasSize(1);
    assertThat(readShard(arn, lineage.get(2).shardId())).isEmpty();

    String parent = lineage.get(1).shardId();
    StreamDescription children =
        sdk.streams()
            .describeStream(
                b ->
                    b.streamArn(arn)
                        .shardFilter(f -> f.type(ShardFilterType.CHILD_SHARDS).shardId(parent)))
            .streamDescription();
    assertThat(children.shards())
        .extracting(Shard::shardId)
        .containsExactly(lineage.get(2).shardId());
  }

  @Test
  void splitClosesTheShardWithTwoChildrenAndMovesItsKeys() {
    String arn = createTable("Items", StreamViewType.KEYS_ONLY);
    int p = emu.partitionOf("Items", "a");
    String parentId =
        emu.shards("Items").stream()
            .filter(s -> s.partition() == p)
            .findFirst()
            .orElseThrow()
            .shardId();
    emu.split("Items", p);
    assertThat(emu.partitions("Items")).hasSize(5).doesNotContain(p);

    List<Shard> children =
        sdk.streams()
            .describeStream(
                b ->
                    b.streamArn(arn)
                        .shardFilter(f -> f.type(ShardFilterType.CHILD_SHARDS).shardId(parentId)))
            .streamDescription()
            .shards();
    assertThat(children)
        .hasSize(2)
        .allSatisfy(c -> assertThat(c.parentShardId()).isEqualTo(parentId));
    // keys of the old partition now land in one of the two children
    int written = 0;
    for (int i = 0; written < 20 && i < 10_000; i++) {
      String id = "key" + i;
      int now = emu.partitionOf("Items", id);
      if (emu.partitions("Items").indexOf(now) >= 0 && childPartitionOf(children, now)) {
        put("Items", item(id));
        written++;
      }
    }
    int inChildren = 0;
    for (Shard c : children) {
      inChildren += readShard(arn, c.shardId()).size();
    }
    assertThat(inChildren).isEqualTo(20);
    assertThat(readShard(arn, parentId)).isEmpty();
  }

  private boolean childPartitionOf(List<Shard> children, int partition) {
    return emu.shards("Items").stream()
        .anyMatch(
            s ->
                s.partition() == partition
                    && children.stream().anyMatch(c -> c.shardId().equals(s.shardId())));
  }

  @Test
  void disablingClosesTheShardsAndReEnablingMakesANewStream() {
    String first = createTable("Items", StreamViewType.NEW_IMAGE);
    put("Items", item("a"));
    assertThatThrownBy(
            () ->
                sdk.dynamoDb()
                    .updateTable(
                        b ->
                            b.tableName("Items")
                                .streamSpecification(
                                    s ->
                                        s.streamEnabled(true)
                                            .streamViewType(StreamViewType.KEYS_ONLY))))
        .isInstanceOf(ResourceInUseException.class);
    sdk.dynamoDb()
        .updateTable(b -> b.tableName("Items").streamSpecification(s -> s.streamEnabled(false)));
    assertThatThrownBy(
            () ->
                sdk.dynamoDb()
                    .updateTable(
                        b -> b.tableName("Items").streamSpecification(s -> s.streamEnabled(false))))
        .isInstanceOf(DynamoDbException.class)
        .satisfies(
            e ->
                assertThat(((DynamoDbException) e).awsErrorDetails().errorCode())
                    .isEqualTo("ValidationException"));
    put("Items", item("b")); // no stream: no record anywhere

    StreamDescription old =
        sdk.streams().describeStream(b -> b.streamArn(first)).streamDescription();
    assertThat(old.streamStatus()).isEqualTo(StreamStatus.DISABLED);
    assertThat(old.shards())
        .allSatisfy(s -> assertThat(s.sequenceNumberRange().endingSequenceNumber()).isNotNull());
    assertThat(readAll(first)).hasSize(1);

    emu.advanceClock(Duration.ofSeconds(1));
    sdk.dynamoDb()
        .updateTable(
            b ->
                b.tableName("Items")
                    .streamSpecification(
                        s -> s.streamEnabled(true).streamViewType(StreamViewType.KEYS_ONLY)));
    String second =
        sdk.dynamoDb().describeTable(b -> b.tableName("Items")).table().latestStreamArn();
    assertThat(second).isNotEqualTo(first);
    assertThat(sdk.streams().listStreams(b -> b.tableName("Items")).streams())
        .extracting(s -> s.streamArn())
        .containsExactly(first, second);
    put("Items", item("c"));
    assertThat(readAll(second)).hasSize(1);
  }

  @Test
  void retentionTrimsRecordsAndRemovesFullyTrimmedClosedShards() {
    String arn = createTable("Items", StreamViewType.KEYS_ONLY);
    int p = emu.partitionOf("Items", "a");
    put("Items", item("a", "v", 1));
    String firstRecordSeq = readShard(arn, openShardOf(p)).get(0).dynamodb().sequenceNumber();
    String oldShard = openShardOf(p);
    emu.rollover("Items", p);
    emu.advanceClock(Duration.ofHours(20));
    put("Items", item("a", "v", 2));
    String young = openShardOf(p);
    String staleIterator = iterator(arn, oldShard, ShardIteratorType.TRIM_HORIZON, null);

    emu.advanceClock(Duration.ofHours(5)); // the first record is now 25 h old

    assertThat(listShards(arn, 100))
        .extracting(Shard::shardId)
        .doesNotContain(oldShard)
        .contains(young);
    assertThat(
            listShards(arn, 100).stream()
                .filter(s -> s.shardId().equals(young))
                .findFirst()
                .orElseThrow()
                .parentShardId())
        .isEqualTo(oldShard); // dangling parent
    assertThatThrownBy(() -> sdk.streams().getRecords(b -> b.shardIterator(staleIterator)))
        .isInstanceOfAny(
            TrimmedDataAccessException.class,
            software.amazon.awssdk.services.dynamodb.model.ExpiredIteratorException.class);
    assertThatThrownBy(() -> iterator(arn, oldShard, ShardIteratorType.TRIM_HORIZON, null))
        .isInstanceOf(ResourceNotFoundException.class);
    assertThat(firstRecordSeq).isNotEmpty();
    assertThat(readShard(arn, young)).hasSize(1);
  }

  @Test
  void trimmedPositionsInAnOpenShardAnswerTrimmedDataAccess() {
    String arn = createTable("Items", StreamViewType.KEYS_ONLY);
    int p = emu.partitionOf("Items", "a");
    String shard = openShardOf(p);
    put("Items", item("a", "v", 1));
    put("Items", item("a", "v", 2));
    List<Record> before = readShard(arn, shard);
    String first = before.get(0).dynamodb().sequenceNumber();
    String it = iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null);
    emu.advanceClock(Duration.ofMinutes(10));
    put("Items", item("a", "v", 3));
    emu.trimAllBefore(T0.plusSeconds(1));

    assertThatThrownBy(() -> sdk.streams().getRecords(b -> b.shardIterator(it)))
        .isInstanceOf(TrimmedDataAccessException.class);
    assertThatThrownBy(() -> iterator(arn, shard, ShardIteratorType.AT_SEQUENCE_NUMBER, first))
        .isInstanceOf(TrimmedDataAccessException.class);
    String second = before.get(1).dynamodb().sequenceNumber();
    String after = iterator(arn, shard, ShardIteratorType.AFTER_SEQUENCE_NUMBER, second);
    assertThat(sdk.streams().getRecords(b -> b.shardIterator(after)).records())
        .extracting(r -> r.dynamodb().keys().get("id").s())
        .containsExactly("a");
    assertThat(readShard(arn, shard)).hasSize(1);
  }

  @Test
  void repeatedSplitsGiveAThousandOpenShardsListedByPages() {
    String arn = createTable("Items", StreamViewType.KEYS_ONLY);
    for (int i = 0; i < 8; i++) {
      emu.splitAll("Items");
    }
    assertThat(emu.partitions("Items")).hasSize(1024);
    List<Shard> all = listShards(arn, 100);
    assertThat(all).hasSize(4 + 8 + 16 + 32 + 64 + 128 + 256 + 512 + 1024);
    long open =
        all.stream().filter(s -> s.sequenceNumberRange().endingSequenceNumber() == null).count();
    assertThat(open).isEqualTo(1024);
    put("Items", item("a"));
    String target = openShardOf(emu.partitionOf("Items", "a"));
    assertThat(readShard(arn, target)).hasSize(1);
  }

  String openShardOf(int partition) {
    return emu.shards("Items").stream()
        .filter(s -> s.partition() == partition && s.isOpen())
        .findFirst()
        .orElseThrow()
        .shardId();
  }
}
