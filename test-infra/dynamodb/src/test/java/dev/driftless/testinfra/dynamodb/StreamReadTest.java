package dev.driftless.testinfra.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.ExpiredIteratorException;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.LimitExceededException;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/** GetShardIterator and GetRecords: positions, pages, shard ends, expiry, read-path switches. */
class StreamReadTest extends EmulatorTestBase {
  String arn;
  String shard;

  /** A table with every record in one shard. */
  void oneShard() {
    arn = createTable("Items", StreamViewType.NEW_IMAGE);
    shard = openShard();
  }

  String openShard() {
    int p = emu.partitionOf("Items", "a");
    return emu.shards("Items").stream()
        .filter(s -> s.partition() == p && s.isOpen())
        .findFirst()
        .orElseThrow()
        .shardId();
  }

  void write(int versions) {
    for (int v = 1; v <= versions; v++) {
      put("Items", item("a", "v", v));
    }
  }

  GetRecordsResponse get(String iterator, Integer limit) {
    return sdk.streams().getRecords(b -> b.shardIterator(iterator).limit(limit));
  }

  static List<String> versions(List<Record> rs) {
    return rs.stream().map(r -> r.dynamodb().newImage().get("v").n()).toList();
  }

  @Test
  void iteratorTypesStartWhereTheyShould() {
    oneShard();
    write(5);
    List<Record> all = readShard(arn, shard);
    String third = all.get(2).dynamodb().sequenceNumber();
    assertThat(
            versions(
                get(iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null), null).records()))
        .containsExactly("1", "2", "3", "4", "5");
    assertThat(
            versions(
                get(iterator(arn, shard, ShardIteratorType.AT_SEQUENCE_NUMBER, third), null)
                    .records()))
        .containsExactly("3", "4", "5");
    assertThat(
            versions(
                get(iterator(arn, shard, ShardIteratorType.AFTER_SEQUENCE_NUMBER, third), null)
                    .records()))
        .containsExactly("4", "5");
    String latest = iterator(arn, shard, ShardIteratorType.LATEST, null);
    assertThat(get(latest, null).records()).isEmpty();
    put("Items", item("a", "v", 6));
    assertThat(versions(get(latest, null).records())).containsExactly("6");
    assertThat(iterator(arn, shard, ShardIteratorType.LATEST, null))
        .startsWith(arn + "|1|")
        .hasSizeLessThanOrEqualTo(2048);
  }

  @Test
  void sequenceNumbersAreRequiredAndMustBelongToTheShard() {
    oneShard();
    write(2);
    assertThatThrownBy(() -> iterator(arn, shard, ShardIteratorType.AT_SEQUENCE_NUMBER, null))
        .isInstanceOf(DynamoDbException.class)
        .satisfies(
            e ->
                assertThat(((DynamoDbException) e).awsErrorDetails().errorCode())
                    .isEqualTo("ValidationException"));
    assertThatThrownBy(() -> iterator(arn, shard, ShardIteratorType.AFTER_SEQUENCE_NUMBER, "12"))
        .isInstanceOf(DynamoDbException.class);
    assertThatThrownBy(
            () ->
                iterator(
                    arn, "shardId-00000000000000000000-00000000", ShardIteratorType.LATEST, null))
        .isInstanceOf(ResourceNotFoundException.class);
    assertThatThrownBy(() -> iterator(arn + "x", shard, ShardIteratorType.LATEST, null))
        .isInstanceOf(ResourceNotFoundException.class);
  }

  @Test
  void pagesRespectLimitAndTheOneMegabyteCap() {
    oneShard();
    write(7);
    GetRecordsResponse page = get(iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null), 3);
    assertThat(versions(page.records())).containsExactly("1", "2", "3");
    page = get(page.nextShardIterator(), 3);
    assertThat(versions(page.records())).containsExactly("4", "5", "6");

    String big = "x".repeat(350_000);
    for (int i = 0; i < 5; i++) {
      sdk.dynamoDb()
          .putItem(b -> b.tableName("Items").item(item("a", "v", 100, "blob", big + b.hashCode())));
    }
    String it = iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null);
    int pages = 0;
    int records = 0;
    while (records < 12) {
      GetRecordsResponse r = get(it, null);
      long bytes = r.records().stream().mapToLong(x -> x.dynamodb().sizeBytes()).sum();
      assertThat(bytes).isLessThanOrEqualTo(1024 * 1024);
      records += r.records().size();
      it = r.nextShardIterator();
      pages++;
    }
    assertThat(pages).isGreaterThan(2);
    assertThatThrownBy(() -> get(iterator(arn, shard, ShardIteratorType.LATEST, null), 1001))
        .isInstanceOf(LimitExceededException.class);
    assertThatThrownBy(() -> get(iterator(arn, shard, ShardIteratorType.LATEST, null), 0))
        .isInstanceOf(DynamoDbException.class);
  }

  @Test
  void openShardsAlwaysGiveANextIteratorAndClosedOnesEndIt() {
    oneShard();
    String it = iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null);
    for (int i = 0; i < 3; i++) {
      GetRecordsResponse r = get(it, null);
      assertThat(r.records()).isEmpty();
      assertThat(r.nextShardIterator()).isNotNull();
      it = r.nextShardIterator();
    }
    write(2);
    emu.rollover("Items", emu.partitionOf("Items", "a"));
    GetRecordsResponse last = get(it, null);
    assertThat(last.records()).hasSize(2);
    assertThat(last.nextShardIterator()).isNull();

    // variant: one more empty page at the end of a closed shard
    emu.extraEmptyPageAtShardEnd(true);
    GetRecordsResponse withData =
        get(iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null), null);
    assertThat(withData.records()).hasSize(2);
    assertThat(withData.nextShardIterator()).isNotNull();
    GetRecordsResponse end = get(withData.nextShardIterator(), null);
    assertThat(end.records()).isEmpty();
    assertThat(end.nextShardIterator()).isNull();
  }

  @Test
  void iteratorsExpireFifteenMinutesAfterIssueEachOnItsOwn() {
    oneShard();
    write(2);
    String first = iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null);
    emu.advanceClock(Duration.ofMinutes(14));
    GetRecordsResponse r = get(first, 1);
    emu.advanceClock(Duration.ofMinutes(2));
    assertThatThrownBy(() -> get(first, 1)).isInstanceOf(ExpiredIteratorException.class);
    assertThat(versions(get(r.nextShardIterator(), 1).records())).containsExactly("2");
  }

  @Test
  void sparseModeServesEmptyPagesBeforeData() {
    oneShard();
    write(3);
    emu.sparseEmptyPages(2);
    String it = iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null);
    List<Integer> sizes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      GetRecordsResponse r = get(it, 2);
      sizes.add(r.records().size());
      it = r.nextShardIterator();
    }
    assertThat(sizes).containsExactly(0, 0, 2, 0);
  }

  @Test
  void propagationDelayHidesFreshRecords() {
    oneShard();
    emu.propagationDelay(Duration.ofSeconds(2));
    write(1);
    String it = iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null);
    GetRecordsResponse r = get(it, null);
    assertThat(r.records()).isEmpty();
    emu.advanceClock(Duration.ofSeconds(2));
    assertThat(get(r.nextShardIterator(), null).records()).hasSize(1);
  }

  @Test
  void readersArePerIteratorChainAndCanBeLimited() {
    oneShard();
    write(1);
    emu.maxReadersPerShard(2);
    String a = iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null);
    String b = iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null);
    String c = iterator(arn, shard, ShardIteratorType.TRIM_HORIZON, null);
    String nextA = get(a, null).nextShardIterator();
    get(b, null);
    get(nextA, null); // same chain as a: still two readers
    assertThatThrownBy(() -> get(c, null)).isInstanceOf(LimitExceededException.class);
    assertThat(
            emu.shards("Items").stream()
                .filter(s -> s.shardId().equals(shard))
                .findFirst()
                .orElseThrow())
        .satisfies(
            s -> {
              assertThat(s.activeReaders()).isEqualTo(2);
              assertThat(s.getRecordsCalls()).isEqualTo(4);
            });
    emu.advanceClock(Duration.ofMinutes(1)); // the window passes
    assertThat(get(c, null).records()).hasSize(1);
  }

  @Test
  void binaryAndNestedValuesSurviveTheRoundTrip() {
    oneShard();
    var value =
        java.util.Map.of(
            "id", AttributeValue.fromS("a"),
            "bin",
                AttributeValue.fromB(
                    software.amazon.awssdk.core.SdkBytes.fromByteArray(new byte[] {0, -1, 7})),
            "m",
                AttributeValue.fromM(
                    java.util.Map.of(
                        "l",
                        AttributeValue.fromL(
                            List.of(AttributeValue.fromBool(true), AttributeValue.fromNul(true))))),
            "ns", AttributeValue.fromNs(List.of("1", "2.5")));
    put("Items", value);
    Record r = readShard(arn, shard).get(0);
    assertThat(r.dynamodb().newImage()).isEqualTo(value);
  }
}
