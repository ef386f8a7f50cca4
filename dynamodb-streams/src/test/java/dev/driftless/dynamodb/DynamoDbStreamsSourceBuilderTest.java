package dev.driftless.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

class DynamoDbStreamsSourceBuilderTest {
  // Real clients pointing nowhere: building a source makes no call.
  private static final URI NOWHERE = URI.create("http://127.0.0.1:9");

  private static DynamoDbClient dynamoDb() {
    return DynamoDbClient.builder()
        .region(Region.US_EAST_1)
        .credentialsProvider(AnonymousCredentialsProvider.create())
        .endpointOverride(NOWHERE)
        .httpClient(Apache5HttpClient.create())
        .build();
  }

  private static DynamoDbStreamsClient streams() {
    return DynamoDbStreamsClient.builder()
        .region(Region.US_EAST_1)
        .credentialsProvider(AnonymousCredentialsProvider.create())
        .endpointOverride(NOWHERE)
        .httpClient(Apache5HttpClient.create())
        .build();
  }

  @Test
  void buildNamesTheMissingSetting() {
    assertThatThrownBy(() -> DynamoDbStreamsSource.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("dynamoDbClient");
    try (DynamoDbClient d = dynamoDb();
        DynamoDbStreamsClient s = streams()) {
      assertThatThrownBy(() -> DynamoDbStreamsSource.builder().dynamoDbClient(d).build())
          .hasMessageContaining("streamsClient");
      assertThatThrownBy(
              () -> DynamoDbStreamsSource.builder().dynamoDbClient(d).streamsClient(s).build())
          .hasMessageContaining("tables");
      assertThatThrownBy(
              () ->
                  DynamoDbStreamsSource.builder()
                      .dynamoDbClient(d)
                      .streamsClient(s)
                      .table("t")
                      .pollInterval(Duration.ofSeconds(30))
                      .discoveryInterval(Duration.ofSeconds(10))
                      .build())
          .hasMessageContaining("discoveryInterval");
      DynamoDbStreamsSource source =
          DynamoDbStreamsSource.builder()
              .dynamoDbClient(d)
              .streamsClient(s)
              .tables("a", "b")
              .build();
      assertThat(source.tables()).containsExactly("a", "b");
      assertThat(source.repairReader()).isPresent();
      assertThatThrownBy(
              () ->
                  DynamoDbStreamsSource.builder()
                      .dynamoDbClient(d)
                      .streamsClient(s)
                      .table("t")
                      .indexVersions(
                          dev.driftless.tck.InMemoryFingerprintReader.of(
                              dev.driftless.tck.InMemoryVersionedSink.create()))
                      .build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("indexVersions");
      assertThatThrownBy(() -> DynamoDbStreamsSource.builder().fingerprintAttributes())
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void settersCheckTheirArgumentAtOnce() {
    DynamoDbStreamsSourceBuilder b = DynamoDbStreamsSource.builder();
    assertThatThrownBy(() -> b.table(" ")).isInstanceOf(IllegalArgumentException.class);
    b.table("t");
    assertThatThrownBy(() -> b.table("t")).hasMessageContaining("twice");
    assertThatThrownBy(() -> b.pollInterval(Duration.ZERO)).hasMessageContaining("pollInterval");
    assertThatThrownBy(() -> b.maxConcurrentReads(0)).hasMessageContaining("maxConcurrentReads");
    assertThatThrownBy(() -> b.recordsPerRequest(1001)).hasMessageContaining("recordsPerRequest");
    assertThatThrownBy(() -> b.maxBufferedRecords(0)).hasMessageContaining("maxBufferedRecords");
    assertThatThrownBy(() -> b.iteratorRefreshAge(Duration.ofMinutes(15)))
        .hasMessageContaining("iteratorRefreshAge");
    assertThatThrownBy(() -> b.startingPosition(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> VersionStrategy.attribute(""))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(VersionStrategy.attribute("v").versionAttribute()).contains("v");
    assertThat(VersionStrategy.derived().versionAttribute()).isEmpty();
  }

  @Test
  void leaseSettingsAreCheckedAtOnceAndAtBuildNamingTheSetting() {
    assertThatThrownBy(() -> ShardLeases.settings().table("x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("leases.table");
    assertThatThrownBy(() -> ShardLeases.settings().leaseDuration(Duration.ofMillis(10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("leases.leaseDuration");
    assertThatThrownBy(() -> ShardLeases.settings().renewInterval(Duration.ZERO))
        .hasMessageContaining("leases.renewInterval");
    assertThatThrownBy(() -> ShardLeases.settings().takeInterval(Duration.ofHours(1)))
        .hasMessageContaining("leases.takeInterval");
    assertThatThrownBy(() -> ShardLeases.settings().workerId(" "))
        .hasMessageContaining("leases.workerId");
    try (DynamoDbClient d = dynamoDb();
        DynamoDbStreamsClient s = streams()) {
      assertThatThrownBy(
              () ->
                  DynamoDbStreamsSource.builder()
                      .dynamoDbClient(d)
                      .streamsClient(s)
                      .table("t")
                      .leases(ShardLeases.settings())
                      .build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("leases.table is required");
      assertThatThrownBy(
              () ->
                  DynamoDbStreamsSource.builder()
                      .dynamoDbClient(d)
                      .streamsClient(s)
                      .table("t")
                      .leases(
                          ShardLeases.settings()
                              .table("leases")
                              .leaseDuration(Duration.ofSeconds(4))
                              .renewInterval(Duration.ofSeconds(3)))
                      .build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("leases.renewInterval");
      ShardLeases leases =
          ShardLeases.settings()
              .table("leases")
              .workerId("w1")
              .leaseDuration(Duration.ofSeconds(6))
              .renewInterval(Duration.ofSeconds(2))
              .build();
      assertThat(leases.table()).isEqualTo("leases");
      assertThat(leases.workerId()).isEqualTo("w1");
      assertThat(leases.leaseDuration()).isEqualTo(Duration.ofSeconds(6));
      assertThat(leases.renewInterval()).isEqualTo(Duration.ofSeconds(2));
      assertThat(leases.takeInterval()).isEqualTo(Duration.ofSeconds(10));
      assertThat(ShardLeases.settings().table("leases").build().workerId())
          .as("a random worker id by default")
          .isNotEqualTo(ShardLeases.settings().table("leases").build().workerId());
    }
  }

  @Test
  void backfillSettingsNameTheSettingAndBuildChecksThemAgainstTheSource() {
    BackfillSettings.Builder b = BackfillSettings.builder();
    assertThatThrownBy(() -> b.totalSegments(0)).hasMessageContaining("totalSegments");
    assertThatThrownBy(() -> b.totalSegments(1_000_001)).hasMessageContaining("totalSegments");
    assertThatThrownBy(() -> b.parallelism(65)).hasMessageContaining("parallelism");
    assertThatThrownBy(() -> b.pageSize(0)).hasMessageContaining("pageSize");
    assertThatThrownBy(() -> b.maxBufferedItems(0)).hasMessageContaining("maxBufferedItems");
    assertThatThrownBy(() -> b.itemsPerSecond(-1)).hasMessageContaining("itemsPerSecond");
    assertThatThrownBy(() -> b.readUnitsPerSecond(-1)).hasMessageContaining("readUnitsPerSecond");
    assertThatThrownBy(() -> b.versionMargin(Duration.ofMillis(999)))
        .hasMessageContaining("versionMargin");
    assertThatThrownBy(() -> b.tables("a", "a")).hasMessageContaining("tables");
    BackfillSettings defaults = BackfillSettings.builder().build();
    assertThat(defaults.tables()).isEmpty();
    assertThat(defaults.totalSegments()).isEqualTo(4);
    assertThat(defaults.versionMargin()).isEqualTo(Duration.ofMinutes(1));
    try (DynamoDbClient d = dynamoDb();
        DynamoDbStreamsClient s = streams()) {
      assertThatThrownBy(
              () ->
                  DynamoDbStreamsSource.builder()
                      .dynamoDbClient(d)
                      .streamsClient(s)
                      .table("t")
                      .backfill(BackfillSettings.builder().tables("other").build())
                      .build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("backfill.tables");
      assertThatThrownBy(
              () ->
                  DynamoDbStreamsSource.builder()
                      .dynamoDbClient(d)
                      .streamsClient(s)
                      .table("t")
                      .startingPosition(StartingPosition.LATEST)
                      .backfill(BackfillSettings.builder().build())
                      .build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("LATEST");
      assertThatThrownBy(() -> DynamoDbStreamsSource.builder().onDataLoss(null))
          .isInstanceOf(NullPointerException.class);
      assertThatThrownBy(
              () ->
                  DynamoDbStreamsSource.builder()
                      .dynamoDbClient(d)
                      .streamsClient(s)
                      .table("t")
                      .leases(ShardLeases.settings().table("leases"))
                      .backfill(BackfillSettings.builder().build())
                      .build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("backfill and leases");
      assertThatThrownBy(
              () ->
                  DynamoDbStreamsSource.builder()
                      .dynamoDbClient(d)
                      .streamsClient(s)
                      .table("t")
                      .leases(ShardLeases.settings().table("leases"))
                      .onDataLoss(DataLossPolicy.RESYNC)
                      .build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("onDataLoss RESYNC and leases");
    }
  }
}
