package dev.driftless.testinfra.dynamodb;

import java.time.Duration;
import java.util.Objects;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * The real AWS SDK v2 clients pointed at an emulator: static fake credentials, the emulator's
 * region, and an API-call timeout. Every test, demo and benchmark that drives the emulator gets its
 * clients here. Closing closes both clients (each owns the HTTP client it built).
 */
public final class EmulatorClients implements AutoCloseable {
  private final DynamoDbClient dynamoDb;
  private final DynamoDbStreamsClient streams;

  private EmulatorClients(
      DynamoDbEmulator emulator,
      SdkHttpClient.Builder<?> http,
      boolean sdkRetries,
      Duration apiCallTimeout) {
    var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
    ClientOverrideConfiguration.Builder o =
        ClientOverrideConfiguration.builder().apiCallTimeout(apiCallTimeout);
    if (!sdkRetries) {
      o.retryStrategy(AwsRetryStrategy.doNotRetry());
    }
    ClientOverrideConfiguration config = o.build();
    Region region = Region.of(emulator.region());
    dynamoDb =
        DynamoDbClient.builder()
            .region(region)
            .credentialsProvider(credentials)
            .endpointOverride(emulator.endpoint())
            .httpClientBuilder(http)
            .overrideConfiguration(config)
            .build();
    streams =
        DynamoDbStreamsClient.builder()
            .region(region)
            .credentialsProvider(credentials)
            .endpointOverride(emulator.endpoint())
            .httpClientBuilder(http)
            .overrideConfiguration(config)
            .build();
  }

  /** Clients with the SDK's default retries over the JDK's URL connection, 30 s per call. */
  public static EmulatorClients of(DynamoDbEmulator emulator) {
    return of(emulator, UrlConnectionHttpClient.builder(), true, Duration.ofSeconds(30));
  }

  /** Clients that surface every error at once (no SDK retries): for error-mapping tests. */
  public static EmulatorClients withoutRetries(DynamoDbEmulator emulator) {
    return of(emulator, UrlConnectionHttpClient.builder(), false, Duration.ofSeconds(30));
  }

  /**
   * Clients over an HTTP client of the caller's choice ({@code http} builds one for each of the two
   * clients).
   *
   * @param sdkRetries whether the SDK's default retry strategy applies
   * @param apiCallTimeout the limit of one call, retries included
   */
  public static EmulatorClients of(
      DynamoDbEmulator emulator,
      SdkHttpClient.Builder<?> http,
      boolean sdkRetries,
      Duration apiCallTimeout) {
    return new EmulatorClients(
        Objects.requireNonNull(emulator, "emulator"),
        Objects.requireNonNull(http, "http"),
        sdkRetries,
        Objects.requireNonNull(apiCallTimeout, "apiCallTimeout"));
  }

  /** The DynamoDB client. */
  public DynamoDbClient dynamoDb() {
    return dynamoDb;
  }

  /** The DynamoDB Streams client. */
  public DynamoDbStreamsClient streams() {
    return streams;
  }

  /**
   * Creates {@code table}, keyed by the string attribute {@code id}, on demand capacity, with a
   * stream of {@code view}.
   */
  public static void createTable(DynamoDbClient dynamoDb, String table, StreamViewType view) {
    dynamoDb.createTable(
        b ->
            b.tableName(table)
                .keySchema(
                    KeySchemaElement.builder().attributeName("id").keyType(KeyType.HASH).build())
                .attributeDefinitions(
                    AttributeDefinition.builder()
                        .attributeName("id")
                        .attributeType(ScalarAttributeType.S)
                        .build())
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .streamSpecification(s -> s.streamEnabled(true).streamViewType(view)));
  }

  @Override
  public void close() {
    dynamoDb.close();
    streams.close();
  }
}
