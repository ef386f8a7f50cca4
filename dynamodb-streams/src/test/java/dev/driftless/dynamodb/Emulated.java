package dev.driftless.dynamodb;

import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.dynamodb.EmulatorClients;
import java.time.Duration;
import java.util.Map;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
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
  private final EmulatorClients clients;
  final DynamoDbClient ddb;
  final DynamoDbStreamsClient streams;

  Emulated(DynamoDbEmulator emulator) {
    this.emulator = emulator;
    clients =
        EmulatorClients.of(
            emulator, Apache5HttpClient.builder(), true, java.time.Duration.ofSeconds(30));
    ddb = clients.dynamoDb();
    streams = clients.streams();
  }

  static Emulated start() {
    return new Emulated(DynamoDbEmulator.builder().noTimedRollover().build().start());
  }

  /** A table keyed by string attribute {@code id} with a stream of {@code view}. */
  void createTable(String table, StreamViewType view) {
    EmulatorClients.createTable(ddb, table, view);
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
