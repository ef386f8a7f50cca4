package dev.driftless.dynamodb;

import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import java.time.Duration;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/** An emulator and the real SDK clients pointed at it (default SDK retries, static credentials). */
final class Emulated implements AutoCloseable {
  static {
    // The JDK HTTP server writes a response's headers and body separately; without TCP_NODELAY
    // every call waits out the client's delayed ACK (about 40 ms). Read when the server first
    // starts, so set before any emulator exists.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  final DynamoDbEmulator emulator;
  final DynamoDbClient ddb;
  final DynamoDbStreamsClient streams;

  Emulated(DynamoDbEmulator emulator) {
    this.emulator = emulator;
    var creds = StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"));
    ClientOverrideConfiguration config =
        ClientOverrideConfiguration.builder().apiCallTimeout(Duration.ofSeconds(30)).build();
    ddb =
        DynamoDbClient.builder()
            .region(Region.of(emulator.region()))
            .credentialsProvider(creds)
            .endpointOverride(emulator.endpoint())
            .httpClient(Apache5HttpClient.create())
            .overrideConfiguration(config)
            .build();
    streams =
        DynamoDbStreamsClient.builder()
            .region(Region.of(emulator.region()))
            .credentialsProvider(creds)
            .endpointOverride(emulator.endpoint())
            .httpClient(Apache5HttpClient.create())
            .overrideConfiguration(config)
            .build();
  }

  static Emulated start() {
    return new Emulated(DynamoDbEmulator.builder().noTimedRollover().build().start());
  }

  /** A table keyed by string attribute {@code id} with a stream of {@code view}. */
  void createTable(String table, StreamViewType view) {
    ddb.createTable(
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

  void put(String table, String id, String value) {
    ddb.putItem(
        b ->
            b.tableName(table)
                .item(
                    Map.of("id", AttributeValue.fromS(id), "value", AttributeValue.fromS(value))));
  }

  void delete(String table, String id) {
    ddb.deleteItem(b -> b.tableName(table).key(Map.of("id", AttributeValue.fromS(id))));
  }

  /** A source builder for {@code tables} with test-friendly intervals (fast polls). */
  DynamoDbStreamsSourceBuilder source(String... tables) {
    return DynamoDbStreamsSource.builder()
        .dynamoDbClient(ddb)
        .streamsClient(streams)
        .tables(tables)
        .pollInterval(Duration.ofMillis(20))
        .discoveryInterval(Duration.ofMillis(500));
  }

  @Override
  public void close() {
    ddb.close();
    streams.close();
    emulator.close();
  }
}
