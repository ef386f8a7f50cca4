package dev.driftless.chaos;

import dev.driftless.core.stores.FileCheckpointStore;
import dev.driftless.dynamodb.BackfillSettings;
import dev.driftless.dynamodb.DynamoDbStreamsSource;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.search.IndexRouting;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * The pipeline of the DynamoDB combined-fault suite as a process of its own ({@link ChaosChild}'s
 * loop: {@code STARTED}, {@code STATUS} lines, dead-letter replays): a {@link
 * DynamoDbStreamsSource} with a backfill (a throttled Scan), the real AWS SDK clients pointed at
 * the emulator in the test's JVM (static credentials, the emulator's region, the SDK's default
 * retries), an OpenSearch sink behind the suite's proxy, a {@link FileCheckpointStore} and a {@code
 * FileDeadLetterStore}; the mapper refuses poison items. Arguments, {@code key=value}: {@code
 * endpoint}, {@code region}, {@code table}, {@code index} (the proxy's URL), {@code checkpoints},
 * {@code deadLetters}, {@code itemsPerSecond} (backfill throttle), {@code replay}.
 */
public final class DynamoDbChaosChild {

  private DynamoDbChaosChild() {}

  public static void main(String[] args) throws Exception {
    ChaosChild.run(
        args,
        (a, letters) -> {
          var credentials =
              StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
          // A whole call (retries included) is bounded, as a production client should be.
          ClientOverrideConfiguration calls =
              ClientOverrideConfiguration.builder()
                  .apiCallTimeout(Duration.ofSeconds(20))
                  .apiCallAttemptTimeout(Duration.ofSeconds(5))
                  .build();
          Region region = Region.of(a.get("region"));
          URI endpoint = URI.create(a.get("endpoint"));
          DynamoDbClient dynamoDb =
              DynamoDbClient.builder()
                  .region(region)
                  .credentialsProvider(credentials)
                  .endpointOverride(endpoint)
                  .httpClientBuilder(UrlConnectionHttpClient.builder())
                  .overrideConfiguration(calls)
                  .build();
          DynamoDbStreamsClient streams =
              DynamoDbStreamsClient.builder()
                  .region(region)
                  .credentialsProvider(credentials)
                  .endpointOverride(endpoint)
                  .httpClientBuilder(UrlConnectionHttpClient.builder())
                  .overrideConfiguration(calls)
                  .build();
          DynamoDbStreamsSource source =
              DynamoDbStreamsSource.builder()
                  .dynamoDbClient(dynamoDb)
                  .streamsClient(streams)
                  .table(a.get("table"))
                  .pollInterval(Duration.ofMillis(50))
                  .discoveryInterval(Duration.ofMillis(500))
                  .backfill(
                      BackfillSettings.builder()
                          .pageSize(100)
                          .itemsPerSecond(Integer.parseInt(a.getOrDefault("itemsPerSecond", "0")))
                          .build())
                  .build();
          OpenSearchSink sink =
              OpenSearchSink.builder()
                  .hosts(a.get("index"))
                  .routing(IndexRouting.prefixed("chaos-"))
                  .indexSettings("{\"number_of_shards\": 1, \"number_of_replicas\": 0}")
                  // Short, so that a black-holed request is retried within the suite's time.
                  .connectTimeout(Duration.ofSeconds(2))
                  .responseTimeout(Duration.ofSeconds(10))
                  .build();
          return ChaosChild.pipelineBuilder(a)
              .source(source)
              .sink(sink)
              .checkpointStore(FileCheckpointStore.in(Path.of(a.get("checkpoints"))))
              .deadLetterStore(letters)
              .build()
              .start();
        });
  }
}
