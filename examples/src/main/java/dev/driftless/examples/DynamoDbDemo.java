package dev.driftless.examples;

import dev.driftless.core.Pipeline;
import dev.driftless.core.stores.FileCheckpointStore;
import dev.driftless.core.stores.FileDeadLetterStore;
import dev.driftless.dynamodb.DynamoDbStreamsSource;
import dev.driftless.dynamodb.VersionStrategy;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.search.IndexRouting;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
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

/**
 * DynamoDB to OpenSearch, end to end: the in-process DynamoDB emulator (driven by the real AWS SDK)
 * and an embedded OpenSearch node. A write workload with a version attribute runs while the
 * stream's shards roll over and split; the demo ends when the index holds exactly the table's
 * items, each at the item's version, or exits with status 1.
 *
 * <p>Run: {@code mvn -Pdemo -pl examples -am verify -DskipTests
 * -Ddemo.main=dev.driftless.examples.DynamoDbDemo}
 */
public final class DynamoDbDemo {
  private static final String TABLE = "orders";

  private DynamoDbDemo() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("sun.net.httpserver.nodelay", "true"); // the emulator's JDK HTTP server
    long started = System.nanoTime();
    PrintStream console = System.out;
    PrintStream errors = System.err;
    try (DynamoDbEmulator emulator =
            DynamoDbEmulator.builder().partitions(4).noTimedRollover().build().start();
        OpenSearchNode opensearch =
            OpenSearchNode.builder().setting("logger.level", "WARN").start()) {
      System.setOut(console); // the embedded node routes System.out and err through its logger
      System.setErr(errors);
      var credentials =
          StaticCredentialsProvider.create(AwsBasicCredentials.create("demo", "demo"));
      DynamoDbClient dynamoDb =
          DynamoDbClient.builder()
              .region(Region.of(emulator.region()))
              .credentialsProvider(credentials)
              .endpointOverride(emulator.endpoint())
              .httpClient(UrlConnectionHttpClient.create())
              .build();
      DynamoDbStreamsClient streams =
          DynamoDbStreamsClient.builder()
              .region(Region.of(emulator.region()))
              .credentialsProvider(credentials)
              .endpointOverride(emulator.endpoint())
              .httpClient(UrlConnectionHttpClient.create())
              .build();
      dynamoDb.createTable(
          b ->
              b.tableName(TABLE)
                  .keySchema(
                      KeySchemaElement.builder().attributeName("id").keyType(KeyType.HASH).build())
                  .attributeDefinitions(
                      AttributeDefinition.builder()
                          .attributeName("id")
                          .attributeType(ScalarAttributeType.S)
                          .build())
                  .billingMode(BillingMode.PAY_PER_REQUEST)
                  .streamSpecification(
                      s ->
                          s.streamEnabled(true).streamViewType(StreamViewType.NEW_AND_OLD_IMAGES)));

      Path state = Files.createTempDirectory("driftless-ddb-demo");
      OpenSearchSink sink =
          OpenSearchSink.builder()
              .hosts(opensearch.httpUrl())
              .routing(IndexRouting.prefixed("shop-"))
              .indexSettings("{\"number_of_shards\": 1, \"number_of_replicas\": 0}")
              .build();
      DynamoDbStreamsSource source =
          DynamoDbStreamsSource.builder()
              .dynamoDbClient(dynamoDb)
              .streamsClient(streams)
              .table(TABLE)
              .versionStrategy(VersionStrategy.attribute("version"))
              .pollInterval(Duration.ofMillis(100))
              .build();
      Map<String, Long> versions = new HashMap<>();
      Map<String, String> expected = new HashMap<>();
      try (Pipeline pipeline =
              Pipeline.builder()
                  .name("orders")
                  .source(source)
                  .sink(sink)
                  .checkpointStore(FileCheckpointStore.in(state.resolve("checkpoints")))
                  .deadLetterStore(FileDeadLetterStore.open(state.resolve("dead-letters.jsonl")))
                  .build()
                  .start();
          StatusLine status = StatusLine.every(Duration.ofSeconds(1), pipeline)) {
        System.out.println("== 10 s of writes while shards roll over and split");
        Random random = new Random(1);
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int writes = 0;
        while (System.nanoTime() < until) {
          String id = "order-" + random.nextInt(300);
          long version = versions.merge(id, 1L, Long::sum); // the application's optimistic lock
          if (random.nextInt(10) == 0 && expected.containsKey(id)) {
            dynamoDb.deleteItem(
                b -> b.tableName(TABLE).key(Map.of("id", AttributeValue.fromS(id))));
            expected.remove(id);
          } else {
            String total = Integer.toString(random.nextInt(100_000));
            dynamoDb.putItem(
                b ->
                    b.tableName(TABLE)
                        .item(
                            Map.of(
                                "id", AttributeValue.fromS(id),
                                "version", AttributeValue.fromN(Long.toString(version)),
                                "total", AttributeValue.fromN(total))));
            expected.put(id, total);
          }
          if (++writes % 40 == 0) {
            List<Integer> partitions = emulator.partitions(TABLE);
            int p = partitions.get(random.nextInt(partitions.size()));
            if (partitions.size() < 8 && random.nextBoolean()) {
              emulator.split(TABLE, p);
            } else {
              emulator.rollover(TABLE, p);
            }
          }
        }
        System.out.printf("%,d writes, %d shards%n", writes, emulator.shards(TABLE).size());

        System.out.println("== waiting for the index to hold the table");
        String index = sink.indexFor(TABLE);
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        boolean inSync = false;
        while (!inSync && System.nanoTime() < deadline && pipeline.failure().isEmpty()) {
          pipeline.awaitIdle(Duration.ofMillis(500));
          sink.refresh(TABLE);
          inSync =
              count(http, opensearch.httpUrl(), index) == expected.size()
                  && matches(http, opensearch.httpUrl(), index, expected);
        }
        status.close();
        System.out.println(pipeline.status().summary());
        System.out.println("source: " + pipeline.status().source());
        System.out.printf(
            "index equals table: %s (%,d items) in %d s%n",
            inSync, expected.size(), (System.nanoTime() - started) / 1_000_000_000L);
        if (!inSync) {
          System.exit(1);
        }
      } finally {
        dynamoDb.close();
        streams.close();
      }
    }
  }

  private static long count(HttpClient http, String url, String index) throws Exception {
    String body = get(http, url + "/" + index + "/_count");
    int at = body.indexOf("\"count\":");
    if (at < 0) {
      return -1;
    }
    int from = at + 8;
    int to = from;
    while (to < body.length() && Character.isDigit(body.charAt(to))) {
      to++;
    }
    return Long.parseLong(body.substring(from, to));
  }

  /** Every expected item's total is what the index holds for its id. */
  private static boolean matches(
      HttpClient http, String url, String index, Map<String, String> expected) throws Exception {
    for (Map.Entry<String, String> e : expected.entrySet()) {
      String body = get(http, url + "/" + index + "/_doc/" + e.getKey());
      if (!body.contains("\"total\":" + e.getValue())) {
        return false;
      }
    }
    return true;
  }

  private static String get(HttpClient http, String url) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(url)).GET().build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
