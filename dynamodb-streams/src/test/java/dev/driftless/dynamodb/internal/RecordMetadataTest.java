package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.dynamodb.DynamoDbStreamsSource;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Identity;
import software.amazon.awssdk.services.dynamodb.model.OperationType;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.StreamRecord;

/**
 * The metadata a converted record carries: its {@code eventID} always, the TTL mark only on a
 * REMOVE made by the TTL service.
 */
class RecordMetadataTest {
  // A real client the converter never calls: the stream carries new images, so nothing is re-read.
  private static final DynamoDbClient UNUSED =
      DynamoDbClient.builder()
          .region(Region.US_EAST_1)
          .credentialsProvider(
              StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
          .endpointOverride(URI.create("http://127.0.0.1:1"))
          .httpClient(Apache5HttpClient.create())
          .build();
  private static final RecordConverter CONVERTER =
      new RecordConverter(
          new RecordConverter.TableInfo("items", "items", "id", null, true), null, UNUSED);
  private static final Identity TTL_SERVICE =
      Identity.builder().type("Service").principalId("dynamodb.amazonaws.com").build();

  @AfterAll
  static void closeClient() {
    UNUSED.close();
  }

  private static Record record(String eventId, OperationType op, long sequence, Identity identity) {
    Map<String, AttributeValue> key = Map.of("id", AttributeValue.fromS("a"));
    StreamRecord.Builder data =
        StreamRecord.builder()
            .keys(key)
            .sequenceNumber(String.format("%021d", sequence))
            .approximateCreationDateTime(Instant.ofEpochSecond(1_700_000_000L));
    if (op != OperationType.REMOVE) {
      data.newImage(Map.of("id", AttributeValue.fromS("a"), "v", AttributeValue.fromN("1")));
    }
    return Record.builder()
        .eventID(eventId)
        .eventName(op)
        .dynamodb(data.build())
        .userIdentity(identity)
        .build();
  }

  private static Fetched convert(Record record) {
    return Objects.requireNonNull(
        CONVERTER.convert("shard-1", record, VersionClock.start(), Long.MIN_VALUE));
  }

  @Test
  void everyEventCarriesItsEventIdAndOnlyATtlRemoveIsMarked() {
    Fetched insert = convert(record("e1", OperationType.INSERT, 1, null));
    assertThat(insert.metadata()).isEqualTo(Map.of(DynamoDbStreamsSource.METADATA_EVENT_ID, "e1"));

    Fetched userDelete = convert(record("e2", OperationType.REMOVE, 2, null));
    assertThat(userDelete.document()).isNull();
    assertThat(userDelete.metadata())
        .isEqualTo(Map.of(DynamoDbStreamsSource.METADATA_EVENT_ID, "e2"));

    Fetched ttlDelete = convert(record("e3", OperationType.REMOVE, 3, TTL_SERVICE));
    assertThat(ttlDelete.ttlExpiry()).isTrue();
    assertThat(ttlDelete.metadata())
        .isEqualTo(
            Map.of(
                DynamoDbStreamsSource.METADATA_EVENT_ID, "e3",
                DynamoDbStreamsSource.METADATA_TTL, "true"));
  }

  @Test
  void anotherServiceOrPrincipalIsNoTtlExpiry() {
    Identity otherPrincipal =
        Identity.builder().type("Service").principalId("example.amazonaws.com").build();
    Identity user = Identity.builder().type("User").principalId("dynamodb.amazonaws.com").build();
    for (Identity identity : new Identity[] {otherPrincipal, user}) {
      Fetched delete = convert(record("e", OperationType.REMOVE, 4, identity));
      assertThat(delete.ttlExpiry()).isFalse();
      assertThat(delete.metadata()).doesNotContainKey(DynamoDbStreamsSource.METADATA_TTL);
    }
  }

  @Test
  void aTtlIdentityOnAnUpsertIsNoTtlExpiry() {
    Fetched upsert = convert(record("e5", OperationType.MODIFY, 5, TTL_SERVICE));
    assertThat(upsert.document()).isNotNull();
    assertThat(upsert.metadata()).doesNotContainKey(DynamoDbStreamsSource.METADATA_TTL);
  }
}
