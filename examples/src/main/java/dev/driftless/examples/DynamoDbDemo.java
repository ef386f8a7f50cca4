package dev.driftless.examples;

import com.fasterxml.jackson.databind.JsonNode;
import dev.driftless.core.Pipeline;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.stores.FileCheckpointStore;
import dev.driftless.core.stores.FileDeadLetterStore;
import dev.driftless.dynamodb.BackfillSettings;
import dev.driftless.dynamodb.DynamoDbStreamsSource;
import dev.driftless.dynamodb.VersionStrategy;
import dev.driftless.dynamodb.reconcile.DynamoDbFingerprintReader;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.search.IndexRouting;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.dynamodb.ShardInfo;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * DynamoDB to OpenSearch, end to end: a table of products in the in-process DynamoDB emulator
 * (driven through the real AWS SDK v2 clients, as an application would drive DynamoDB), followed by
 * a {@link DynamoDbStreamsSource} into an embedded OpenSearch node, with versions from the items'
 * {@code version} attribute. The products written before the pipeline starts are older than the
 * stream's 24 hours and come in by the source's backfill. Live writes run while the pipeline runs;
 * on the way one shard splits in two and every shard rolls over; a product priced with a word is
 * dead-lettered and then fixed in the table; the demo ends by comparing every item of the table
 * with the index, or exits with status 1.
 */
public final class DynamoDbDemo {
  static final String TABLE = "products";

  private DynamoDbDemo() {}

  /**
   * What a run found.
   *
   * @param inSync the index held exactly the table's items (ids and every attribute)
   * @param items items in the table at the end
   * @param documents documents in the index at the end
   * @param deadLetters events the pipeline dead-lettered
   * @param deadLetterText the dead-letter file's content
   * @param shardsAtStart shards of the table's stream before the workload
   * @param shards shards at the end (closed ones included)
   * @param differences the first differences seen at the last comparison (empty when in sync)
   */
  public record Outcome(
      boolean inSync,
      int items,
      int documents,
      long deadLetters,
      String deadLetterText,
      int shardsAtStart,
      int shards,
      List<String> differences,
      long missingFound,
      long staleFound,
      long phantomsFound,
      long repaired) {}

  public static void main(String[] args) throws Exception {
    long started = System.nanoTime();
    PrintStream console = System.out;
    PrintStream errors = System.err;
    try (DynamoDbEmulator emulator =
            DynamoDbEmulator.builder().partitions(4).noTimedRollover().build().start();
        OpenSearchNode opensearch =
            OpenSearchNode.builder()
                .setting("logger.level", "ERROR") // its warnings are about the one-node setup
                .start()) {
      System.setOut(console); // the embedded node routes System.out and err through its logger
      System.setErr(errors);
      Outcome outcome =
          run(
              emulator,
              opensearch.httpUrl(),
              "ddb-",
              Duration.ofSeconds(15),
              Files.createTempDirectory("driftless-ddb-demo"));
      System.out.printf(
          "index equals table: %s (%,d products) in %d s%n",
          outcome.inSync(), outcome.items(), (System.nanoTime() - started) / 1_000_000_000L);
      if (!outcome.inSync()) {
        System.exit(1);
      }
    }
  }

  /**
   * The whole flow against a started emulator and OpenSearch node: 2,000 products, {@code workload}
   * of live writes (a split a third of the way through, a rollover of every shard at two thirds),
   * one poison product, and the final comparison. Prints its progress.
   *
   * @param indexPrefix prefix of the index name (the collection is {@value #TABLE})
   * @param workDir where the dead-letter file and the checkpoints go
   */
  public static Outcome run(
      DynamoDbEmulator emulator,
      String opensearchUrl,
      String indexPrefix,
      Duration workload,
      Path workDir)
      throws Exception {
    var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("demo", "demo"));
    try (DynamoDbClient dynamoDb =
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
                .build()) {
      DynamoDbShop shop = new DynamoDbShop(dynamoDb, TABLE);
      shop.createTable();
      section("seeding 2,000 products");
      shop.seed(2_000);
      // A day passes: the stream no longer holds these writes, only the backfill can find them.
      emulator.advanceClock(Duration.ofHours(25));
      emulator.trimAllBefore(emulator.now().minusSeconds(1));
      int shardsAtStart = emulator.shards(TABLE).size();
      System.out.printf("table %s: %d shards%n", TABLE, shardsAtStart);

      OpenSearchSink sink =
          OpenSearchSink.builder()
              .urls(opensearchUrl)
              .routing(IndexRouting.prefixed(indexPrefix))
              .mapping(TABLE, DynamoDbShop.PRODUCTS_MAPPING)
              .indexSettings("{\"number_of_shards\": 1, \"number_of_replicas\": 0}")
              .build();
      DynamoDbStreamsSource source =
          DynamoDbStreamsSource.builder()
              .dynamoDbClient(dynamoDb)
              .streamsClient(streams)
              .table(TABLE)
              // The 2,000 products already there: a parallel, consistent Scan beside the stream.
              .backfill(BackfillSettings.builder().totalSegments(4).parallelism(2).build())
              .versionStrategy(VersionStrategy.attribute("version")) // exact: the preferred mode
              // A repair of a vanished item deletes at the version the index holds.
              .indexVersions(sink.fingerprintReader())
              .pollInterval(Duration.ofMillis(100)) // open shards: one GetRecords every 100 ms
              .discoveryInterval(Duration.ofSeconds(1)) // list shards every second
              .build();
      Path deadLetters = workDir.resolve("dead-letters.jsonl");
      IndexContents index = new IndexContents(opensearchUrl);
      String indexName = sink.indexFor(TABLE);

      try (Pipeline pipeline =
              Pipeline.builder()
                  .name("ddb-shop")
                  .source(source)
                  .sink(sink)
                  .checkpointStore(FileCheckpointStore.in(workDir.resolve("checkpoints")))
                  .deadLetterStore(FileDeadLetterStore.open(deadLetters))
                  .build()
                  .start();
          StatusLine status = StatusLine.every(Duration.ofSeconds(1), pipeline)) {

        long seconds = workload.toSeconds();
        section(seconds + " s of live writes; a split and a rollover on the way");
        long writes =
            shop.runWorkload(
                workload,
                200,
                second -> {
                  if (second == Math.max(1, seconds / 3)) {
                    int partition = emulator.partitions(TABLE).get(0);
                    emulator.split(TABLE, partition);
                    System.out.printf("split partition %d's shard in two%n", partition);
                  } else if (second == Math.max(2, 2 * seconds / 3)) {
                    emulator.rollover(TABLE);
                    System.out.println("rolled every open shard over");
                  }
                });
        System.out.printf("workload done: %,d writes%n", writes);

        section("poison item");
        String poison = DynamoDbShop.idOf(42);
        shop.putPoison(poison);
        awaitDeadLetter(pipeline);
        String letters = Files.readString(deadLetters);
        System.out.print("dead letters: " + letters);
        shop.putValid(poison);
        System.out.println(poison + " fixed in the table: its next change supersedes the letter");

        section("comparing the table with the index");
        // Every write made so far is in the index once this returns: one comparison, no polling.
        if (!pipeline.awaitCaughtUp(Duration.ofMinutes(2))) {
          throw new IllegalStateException(
              "not caught up: " + pipeline.status().summary(), pipeline.failure().orElse(null));
        }
        Map<String, Map<String, AttributeValue>> items = shop.scanAll();
        Map<String, JsonNode> documents = index.read(indexName);
        List<String> differences = differences(items, documents);
        System.out.printf(
            "caught up: %,d items, %,d documents, %d differences%n",
            items.size(), documents.size(), differences.size());

        section("damaging the index behind the pipeline's back");
        IndexTampering tamper = new IndexTampering(opensearchUrl);
        List<String> ids = new ArrayList<>(new TreeSet<>(items.keySet())).subList(0, 5);
        tamper.delete(indexName, ids.get(0));
        tamper.delete(indexName, ids.get(1));
        tamper.swapContent(indexName, ids.get(2), ids.get(3)); // changed content
        tamper.addPhantom(indexName, ids.get(4), "p-phantom"); // an item the table never had
        tamper.refresh(indexName);
        System.out.printf(
            "%s and %s deleted, %s changed, phantom p-phantom added%n",
            ids.get(0), ids.get(1), ids.get(2));

        section("reconciliation");
        DynamoDbFingerprintReader table =
            DynamoDbFingerprintReader.builder().dynamoDbClient(dynamoDb).table(TABLE).build();
        Reconciler reconciler =
            Reconciler.builder()
                .source(table)
                .index(sink.fingerprintReader())
                .pipeline(pipeline)
                .collection(TABLE)
                .build();
        ReconciliationReport found = reconciler.run();
        System.out.println(found.summary());
        System.out.printf(
            "table side: %d scans, %,d items read (%,d bytes)%n",
            table.scans(), table.itemsRead(), table.bytesRead());
        sink.refresh(TABLE);
        ReconciliationReport check = reconciler.run();
        System.out.println(check.summary());
        documents = index.read(indexName);
        differences = differences(items, documents);
        status.close();

        List<ShardInfo> shards = emulator.shards(TABLE);
        long open = shards.stream().filter(ShardInfo::isOpen).count();
        section("summary");
        System.out.println(pipeline.status().summary());
        System.out.printf(
            "shards: %d at start, %d now (%d open, %d closed)%n",
            shardsAtStart, shards.size(), open, shards.size() - open);
        System.out.printf(
            "table: %,d items, index: %,d documents, differences: %s%n",
            items.size(), documents.size(), differences.isEmpty() ? "none" : differences);
        return new Outcome(
            differences.isEmpty() && check.inSync(),
            items.size(),
            documents.size(),
            pipeline.status().eventsDeadLettered(),
            letters,
            shardsAtStart,
            shards.size(),
            differences,
            found.missing(),
            found.stale(),
            found.phantom(),
            found.repaired());
      }
    }
  }

  /** Waits until the pipeline has dead-lettered an event. */
  private static void awaitDeadLetter(Pipeline pipeline) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (pipeline.status().eventsDeadLettered() == 0) {
      if (System.nanoTime() > deadline || pipeline.failure().isPresent()) {
        throw new IllegalStateException("no dead letter: " + pipeline.status().summary());
      }
      pipeline.awaitIdle(Duration.ofMillis(200));
    }
  }

  /**
   * The first few differences between the items and the documents: a missing or extra id, or an
   * attribute whose value differs (numbers compared as exact decimals).
   */
  static List<String> differences(
      Map<String, Map<String, AttributeValue>> items, Map<String, JsonNode> documents) {
    List<String> out = new ArrayList<>();
    TreeSet<String> ids = new TreeSet<>(items.keySet());
    ids.addAll(documents.keySet());
    for (String id : ids) {
      if (out.size() >= 5) {
        break;
      }
      Map<String, AttributeValue> item = items.get(id);
      JsonNode doc = documents.get(id);
      if (item == null) {
        out.add(id + " only in the index");
      } else if (doc == null) {
        out.add(id + " missing from the index");
      } else {
        item.forEach(
            (name, value) -> {
              if (!sameValue(value, doc.get(name))) {
                out.add(id + "." + name + ": table " + value + ", index " + doc.get(name));
              }
            });
      }
    }
    return out;
  }

  private static boolean sameValue(
      AttributeValue value, @org.jspecify.annotations.Nullable JsonNode node) {
    if (node == null) {
      return false;
    }
    if (value.s() != null) {
      return node.isTextual() && node.asText().equals(value.s());
    }
    if (value.n() != null) {
      return node.isNumber() && node.decimalValue().compareTo(new BigDecimal(value.n())) == 0;
    }
    return node.toString().equals(value.toString()); // the demo writes only S and N attributes
  }

  private static void section(String title) {
    System.out.println();
    System.out.println("== " + title);
  }
}
