package dev.driftless.examples;

import dev.driftless.core.Pipeline;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.stores.FileDeadLetterStore;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.postgres.BackfillSettings;
import dev.driftless.postgres.PostgresDatabase;
import dev.driftless.postgres.PostgresSource;
import dev.driftless.postgres.reconcile.PostgresFingerprintReader;
import dev.driftless.postgres.reconcile.TableMapping;
import dev.driftless.search.IndexRouting;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * PostgreSQL to OpenSearch, end to end, on embedded servers: a shop database with a few thousand
 * rows, a live write workload, one poison row dead-lettered, fixed and replayed, an index damaged
 * behind the pipeline's back, and reconciliation finding and repairing every difference. Ends with
 * a reconciliation that proves the index equals the database, or exits with status 1.
 */
public final class Demo {
  private static final List<String> TABLES = List.of("products", "orders");

  private Demo() {}

  public static void main(String[] args) throws Exception {
    long started = System.nanoTime();
    PrintStream console = System.out;
    PrintStream errors = System.err;
    try (PostgresServer postgres = PostgresServer.startNew();
        OpenSearchNode opensearch =
            OpenSearchNode.builder()
                .setting("logger.level", "ERROR") // its warnings are about the one-node setup
                .start();
        ShopDatabase shop =
            new ShopDatabase(postgres.jdbcUrl("postgres"), PostgresServer.SUPERUSER)) {
      System.setOut(console); // the embedded node routes System.out and err through its logger
      System.setErr(errors);
      shop.createSchema();
      section("seeding 5,000 products and 10,000 orders");
      shop.seed(5_000, 10_000);
      shop.setAttributes(42, "{\"weight_kg\": \"heavy\"}"); // the index mapping wants a number
      String jdbcUrl = postgres.jdbcUrl("postgres");
      Path deadLetters = Files.createTempDirectory("driftless-demo").resolve("dead-letters.jsonl");

      OpenSearchSink sink =
          OpenSearchSink.builder()
              .urls(opensearch.httpUrl())
              .routing(IndexRouting.prefixed("shop-"))
              .mapping("products", ShopDatabase.PRODUCTS_MAPPING)
              .indexSettings("{\"number_of_shards\": 1, \"number_of_replicas\": 0}")
              .build();
      PostgresDatabase shopDatabase =
          PostgresDatabase.builder().jdbcUrl(jdbcUrl).user(PostgresServer.SUPERUSER).build();
      PostgresSource source =
          PostgresSource.builder()
              .database(shopDatabase)
              .slotName("shop_search")
              .publication("shop_search")
              .tables(TABLES)
              .backfill(BackfillSettings.builder().build()) // the rows already there, every table
              .statusInterval(Duration.ofSeconds(1)) // confirm progress to the server every second
              .build();

      try (Pipeline pipeline =
              Pipeline.builder()
                  .name("shop")
                  .source(source)
                  .sink(sink)
                  .deadLetterStore(FileDeadLetterStore.open(deadLetters))
                  .build()
                  .start();
          StatusLine status = StatusLine.every(Duration.ofSeconds(1), pipeline)) {

        section("backfill, and 15 s of live writes meanwhile");
        long writes = shop.runWorkload(Duration.ofSeconds(15), 2_000);
        System.out.printf("workload done: %,d statements%n", writes);
        awaitCaughtUp(pipeline);

        section("poison row");
        System.out.print("dead letters: " + Files.readString(deadLetters));
        shop.setAttributes(42, "{\"weight_kg\": 2.5}");
        awaitCaughtUp(pipeline);
        System.out.println("fixed in the database, replayed: " + pipeline.replayDeadLetters(100));

        section("damaging the index behind the pipeline's back");
        IndexTampering tamper = new IndexTampering(opensearch.httpUrl());
        String products = sink.indexFor("products");
        List<String> ids = shop.firstIds("products", 6);
        IndexTampering.Snapshot before = tamper.require(products, ids.get(0));
        shop.execute("UPDATE products SET price = 1234.50 WHERE id = " + ids.get(0));
        awaitCaughtUp(pipeline);
        tamper.restore(products, before); // a stale version
        tamper.delete(products, ids.get(1));
        tamper.delete(products, ids.get(2));
        tamper.swapContent(products, ids.get(3), ids.get(4)); // changed content
        tamper.addPhantom(products, ids.get(5), "999999"); // a product the database never had
        tamper.refresh(products);
        System.out.printf(
            "products %s stale, %s and %s deleted, %s changed, phantom 999999 added%n",
            ids.get(0), ids.get(1), ids.get(2), ids.get(3));

        section("reconciliation");
        PostgresFingerprintReader database =
            PostgresFingerprintReader.builder()
                .database(source.database())
                .table(TableMapping.of("public", "products"))
                .table(TableMapping.of("public", "orders"))
                .build();
        boolean inSync = true;
        for (String table : TABLES) {
          Reconciler reconciler =
              Reconciler.builder()
                  .source(database)
                  .index(sink.fingerprintReader())
                  .pipeline(pipeline)
                  .collection(table)
                  .build();
          System.out.println(reconciler.run().summary());
          sink.refresh(table);
          ReconciliationReport check = reconciler.run();
          System.out.println(check.summary());
          inSync &= check.inSync() && check.sourceRows() == shop.count(table);
        }

        status.close();
        section("summary");
        System.out.println(pipeline.status().summary());
        System.out.printf(
            "index equals database: %s (%,d products, %,d orders) in %d s%n",
            inSync,
            shop.count("products"),
            shop.count("orders"),
            (System.nanoTime() - started) / 1_000_000_000L);
        if (!inSync) {
          System.exit(1);
        }
      }
    }
  }

  /** Waits until the backfill is done and the pipeline settled everything committed so far. */
  private static void awaitCaughtUp(Pipeline pipeline) throws Exception {
    if (!pipeline.awaitCaughtUp(Duration.ofMinutes(2))) {
      throw new IllegalStateException("pipeline did not catch up: " + pipeline.status().summary());
    }
  }

  private static void section(String title) {
    System.out.println();
    System.out.println("== " + title);
  }
}
