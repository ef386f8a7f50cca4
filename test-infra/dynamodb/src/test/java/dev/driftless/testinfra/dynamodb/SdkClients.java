package dev.driftless.testinfra.dynamodb;

import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/** The real SDK v2 clients pointed at an emulator (static fake credentials, fixed region). */
final class SdkClients implements AutoCloseable {
  final DynamoDbClient ddb;
  final DynamoDbStreamsClient streams;

  private SdkClients(DynamoDbEmulator emulator, boolean retries) {
    var creds = StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
    ClientOverrideConfiguration.Builder o =
        ClientOverrideConfiguration.builder().apiCallTimeout(Duration.ofSeconds(30));
    if (!retries) {
      o.retryStrategy(AwsRetryStrategy.doNotRetry());
    }
    ClientOverrideConfiguration config = o.build();
    ddb =
        DynamoDbClient.builder()
            .region(Region.of(emulator.region()))
            .credentialsProvider(creds)
            .endpointOverride(emulator.endpoint())
            .httpClient(UrlConnectionHttpClient.create())
            .overrideConfiguration(config)
            .build();
    streams =
        DynamoDbStreamsClient.builder()
            .region(Region.of(emulator.region()))
            .credentialsProvider(creds)
            .endpointOverride(emulator.endpoint())
            .httpClient(UrlConnectionHttpClient.create())
            .overrideConfiguration(config)
            .build();
  }

  /** Clients that surface every error at once (no SDK retries). */
  static SdkClients noRetries(DynamoDbEmulator emulator) {
    return new SdkClients(emulator, false);
  }

  /** Clients with the SDK's default retry strategy. */
  static SdkClients defaults(DynamoDbEmulator emulator) {
    return new SdkClients(emulator, true);
  }

  @Override
  public void close() {
    ddb.close();
    streams.close();
  }
}
