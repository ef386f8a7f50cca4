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
}
