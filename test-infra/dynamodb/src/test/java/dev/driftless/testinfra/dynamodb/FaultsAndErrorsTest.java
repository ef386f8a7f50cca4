package dev.driftless.testinfra.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.ExpiredIteratorException;
import software.amazon.awssdk.services.dynamodb.model.InternalServerErrorException;
import software.amazon.awssdk.services.dynamodb.model.LimitExceededException;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.Shard;
import software.amazon.awssdk.services.dynamodb.model.ShardFilterType;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.model.TrimmedDataAccessException;

/** Error bodies map to the SDK's exception classes; scripted faults hit what they target. */
class FaultsAndErrorsTest extends EmulatorTestBase {

  @Test
  void serviceErrorsMapToTheSdkExceptionClasses() {
    assertThatThrownBy(() -> sdk.dynamoDb().describeTable(b -> b.tableName("Nope")))
        .isInstanceOf(ResourceNotFoundException.class)
        .hasMessageContaining("Nope");
    emu.inject(Fault.on("GetItem").respond(FaultKind.INTERNAL_SERVER_ERROR));
    assertThatThrownBy(() -> sdk.dynamoDb().getItem(b -> b.tableName("Nope").key(key("a"))))
        .isInstanceOf(InternalServerErrorException.class)
        .satisfies(e -> assertThat(((DynamoDbException) e).statusCode()).isEqualTo(500));
    emu.inject(Fault.on("GetItem").respond(FaultKind.THROTTLING));
    assertThatThrownBy(() -> sdk.dynamoDb().getItem(b -> b.tableName("Nope").key(key("a"))))
        .isInstanceOf(DynamoDbException.class)
        .satisfies(
            e -> {
              assertThat(((DynamoDbException) e).awsErrorDetails().errorCode())
                  .isEqualTo("ThrottlingException");
              assertThat(((DynamoDbException) e).isThrottlingException()).isTrue();
            });
    emu.inject(Fault.on("PutItem").respond(FaultKind.PROVISIONED_THROUGHPUT_EXCEEDED));
    assertThatThrownBy(() -> put("Nope", item("a")))
        .isInstanceOf(ProvisionedThroughputExceededException.class);
    emu.inject(Fault.on("GetRecords").respond(FaultKind.EXPIRED_ITERATOR));
    emu.inject(Fault.on("GetRecords").respond(FaultKind.TRIMMED_DATA_ACCESS));
    emu.inject(Fault.on("GetRecords").respond(FaultKind.LIMIT_EXCEEDED));
    String arn = createTable("Items", StreamViewType.KEYS_ONLY);
    String it =
        iterator(arn, listShards(arn, 100).get(0).shardId(), ShardIteratorType.LATEST, null);
    assertThatThrownBy(() -> sdk.streams().getRecords(b -> b.shardIterator(it)))
        .isInstanceOf(ExpiredIteratorException.class);
    assertThatThrownBy(() -> sdk.streams().getRecords(b -> b.shardIterator(it)))
        .isInstanceOf(TrimmedDataAccessException.class);
    assertThatThrownBy(() -> sdk.streams().getRecords(b -> b.shardIterator(it)))
        .isInstanceOf(LimitExceededException.class);
    assertThat(sdk.streams().getRecords(b -> b.shardIterator(it)).records()).isEmpty();
    assertThat(emu.faultHits()).isEqualTo(6);
    assertThatThrownBy(() -> sdk.streams().getRecords(b -> b.shardIterator("garbage")))
        .isInstanceOf(DynamoDbException.class)
        .satisfies(
            e ->
                assertThat(((DynamoDbException) e).awsErrorDetails().errorCode())
                    .isEqualTo("ValidationException"));
  }

  @Test
  void theSdkRetriesThrottlingAnd500sButNotLimitExceeded() {
    try (EmulatorClients retrying = EmulatorClients.of(emu)) {
      createTable("Items", StreamViewType.KEYS_ONLY);
      put("Items", item("a"));
      emu.inject(Fault.on("GetItem").times(2).respond(FaultKind.THROTTLING));
      emu.inject(Fault.on("GetItem").times(1).respond(FaultKind.INTERNAL_SERVER_ERROR));
      long before = emu.requestCount("GetItem");
      assertThat(retrying.dynamoDb().getItem(b -> b.tableName("Items").key(key("a"))).hasItem())
          .isTrue();
      assertThat(emu.requestCount("GetItem") - before).isEqualTo(4);

      String arn =
          sdk.dynamoDb().describeTable(b -> b.tableName("Items")).table().latestStreamArn();
      String shard = listShards(arn, 100).get(0).shardId();
      String it = iterator(arn, shard, ShardIteratorType.LATEST, null);
      emu.inject(Fault.on("GetRecords").onShard(shard).respond(FaultKind.LIMIT_EXCEEDED));
      before = emu.requestCount("GetRecords");
      assertThatThrownBy(() -> retrying.streams().getRecords(b -> b.shardIterator(it)))
          .isInstanceOf(LimitExceededException.class);
      assertThat(emu.requestCount("GetRecords") - before).isEqualTo(1);
    }
  }

  @Test
  void faultsCanSkipCallsTargetAShardAndDelay() {
    String arn = createTable("Items", StreamViewType.KEYS_ONLY);
    List<Shard> shards = listShards(arn, 100);
    String target = shards.get(1).shardId();
    emu.inject(
        Fault.on("GetShardIterator").onShard(target).afterCalls(1).respond(FaultKind.THROTTLING));
    iterator(
        arn, shards.get(0).shardId(), ShardIteratorType.LATEST, null); // other shard: untouched
    iterator(arn, target, ShardIteratorType.LATEST, null); // skipped once
    assertThatThrownBy(() -> iterator(arn, target, ShardIteratorType.LATEST, null))
        .isInstanceOf(DynamoDbException.class);
    iterator(arn, target, ShardIteratorType.LATEST, null); // used up

    emu.inject(Fault.on("DescribeStream").always().delay(Duration.ofMillis(150)));
    long start = System.nanoTime();
    listShards(arn, 100);
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(150));
    emu.clearFaults();
  }

  @Test
  void probabilisticFaultsMakeStormsThatHitAboutTheirShare() {
    createTable("Items", null);
    emu.inject(Fault.on("GetItem").always().withProbability(0.3).respond(FaultKind.THROTTLING));
    int failed = 0;
    for (int i = 0; i < 200; i++) {
      try {
        sdk.dynamoDb().getItem(b -> b.tableName("Items").key(key("a")));
      } catch (DynamoDbException e) {
        failed++;
      }
    }
    assertThat(failed).isBetween(30, 90).isEqualTo(emu.faultHits());
  }

  @Test
  void aCorruptChecksumFailsTheCallAfterTheWriteWasApplied() {
    String arn = createTable("Items", StreamViewType.KEYS_ONLY);
    emu.inject(Fault.on("PutItem").respond(FaultKind.CORRUPT_CRC32));
    assertThatThrownBy(() -> put("Items", item("a")))
        .isInstanceOf(software.amazon.awssdk.core.exception.SdkClientException.class);
    assertThat(sdk.dynamoDb().getItem(b -> b.tableName("Items").key(key("a"))).hasItem()).isTrue();
    put("Items", item("a")); // the client's retry changes nothing: still one record
    assertThat(readAll(arn)).hasSize(1);
  }

  @Test
  void aResetConnectionIsAClientSideFailure() {
    createTable("Items", null);
    emu.inject(Fault.on("GetItem").respond(FaultKind.CONNECTION_RESET));
    assertThatThrownBy(() -> sdk.dynamoDb().getItem(b -> b.tableName("Items").key(key("a"))))
        .isInstanceOf(SdkClientException.class);
    assertThat(sdk.dynamoDb().getItem(b -> b.tableName("Items").key(key("a"))).hasItem()).isFalse();
  }

  @Test
  void childrenCanBeListedLateAndParentsListedOpen() {
    String arn = createTable("Items", StreamViewType.KEYS_ONLY);
    int p = emu.partitionOf("Items", "a");
    String parent =
        emu.shards("Items").stream()
            .filter(s -> s.partition() == p)
            .findFirst()
            .orElseThrow()
            .shardId();
    emu.childListedLate(2);
    emu.parentListedOpen(1);
    emu.rollover("Items", p);

    for (int call = 0; call < 2; call++) {
      List<Shard> children =
          sdk.streams()
              .describeStream(
                  b ->
                      b.streamArn(arn)
                          .shardFilter(f -> f.type(ShardFilterType.CHILD_SHARDS).shardId(parent)))
              .streamDescription()
              .shards();
      assertThat(children).as("call %d", call).isEmpty();
    }
    List<Shard> all = listShards(arn, 100);
    assertThat(all).hasSize(5);
    assertThat(endOf(all, parent)).isNull(); // listed open once
    assertThat(endOf(listShards(arn, 100), parent)).isNotNull();
  }

  @Test
  void shuffledListingsStillPageThroughEveryShardOnce() {
    String arn = createTable("Items", StreamViewType.KEYS_ONLY);
    for (int i = 0; i < 5; i++) {
      emu.rollover("Items");
    }
    List<String> inOrder = listShards(arn, 100).stream().map(Shard::shardId).toList();
    emu.shuffledListing(true);
    List<String> shuffled = listShards(arn, 7).stream().map(Shard::shardId).toList();
    assertThat(shuffled)
        .hasSize(24)
        .containsExactlyInAnyOrderElementsOf(inOrder)
        .isNotEqualTo(inOrder);
  }

  private static String endOf(List<Shard> shards, String id) {
    return shards.stream()
        .filter(s -> s.shardId().equals(id))
        .findFirst()
        .orElseThrow()
        .sequenceNumberRange()
        .endingSequenceNumber();
  }

  @Test
  void checksumsAreCorrectWhenSent() {
    emu.crc32(true);
    java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    var interceptor =
        new software.amazon.awssdk.core.interceptor.ExecutionInterceptor() {
          @Override
          public void afterTransmission(
              software.amazon.awssdk.core.interceptor.Context.AfterTransmission context,
              software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
            context.httpResponse().firstMatchingHeader("x-amz-crc32").ifPresent(seen::add);
          }
        };
    try (var ddb =
        software.amazon.awssdk.services.dynamodb.DynamoDbClient.builder()
            .region(software.amazon.awssdk.regions.Region.US_EAST_1)
            .credentialsProvider(
                software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                    software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("k", "s")))
            .endpointOverride(emu.endpoint())
            .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create())
            .overrideConfiguration(o -> o.addExecutionInterceptor(interceptor))
            .build()) {
      createTable("Items", StreamViewType.NEW_IMAGE);
      put("Items", item("a", "text", "grüße \u2603"));
      assertThat(ddb.getItem(b -> b.tableName("Items").key(key("a"))).item().get("text").s())
          .isEqualTo("grüße \u2603");
    }
    assertThat(seen).hasSize(1).allSatisfy(v -> assertThat(v).matches("[0-9]+"));
  }
}
