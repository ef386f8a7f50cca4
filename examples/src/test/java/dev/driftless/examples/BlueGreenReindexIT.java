package dev.driftless.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.DocumentJson;
import dev.driftless.core.Pipeline;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.postgres.BackfillSettings;
import dev.driftless.postgres.PostgresSource;
import dev.driftless.search.IndexRouting;
import dev.driftless.search.SearchSink;
import dev.driftless.search.SearchSinkSettings;
import dev.driftless.tck.Eventually;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The blue/green re-index of {@code docs/operations.md}: pipeline A writes {@code *_v1} behind the
 * alias readers search; pipeline B, with its own slot and a backfill, fills {@code *_v2} while
 * writes go on; once B has caught up the alias is switched atomically and A stops. A reader
 * searching the alias all along never finds it missing or empty, and afterwards the alias serves
 * exactly the table (I1, I8).
 */
class BlueGreenReindexIT {

  @Test
  void aliasSwitchesToTheNewIndexWithoutReadersNoticing() throws Exception {
    EndToEnd e2e = EndToEnd.create("bluegreen");
    e2e.exec("CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price int)");
    String alias = e2e.name + "-products";
    String blue = alias + "_v1";
    String green = alias + "_v2";
    String slotA = e2e.name + "_a";
    String slotB = e2e.name + "_b";

    SearchSink sinkA = sinkRoutingProductsTo(blue);
    Pipeline a = e2e.start(slotA, e2e.source(slotA, List.of("products")).build(), sinkA);
    e2e.exec("INSERT INTO products SELECT g, 'product ' || g, g FROM generate_series(1, 2000) g");
    e2e.awaitCaughtUp(slotA, a);
    sinkA.refresh("products");
    sinkA.switchAlias(alias, blue);

    AtomicBoolean stop = new AtomicBoolean();
    ConcurrentLinkedQueue<String> readerProblems = new ConcurrentLinkedQueue<>();
    AtomicLong reads = new AtomicLong();
    Thread reader =
        new Thread(
            () -> {
              while (!stop.get()) {
                try {
                  Map<?, ?> r =
                      (Map<?, ?>)
                          DocumentJson.parseValue(
                              EndToEnd.http("GET", "/" + alias + "/_count", ""));
                  long count = ((Number) r.get("count")).longValue();
                  if (count < 1_000) {
                    readerProblems.add("alias held only " + count + " documents");
                  }
                  reads.incrementAndGet();
                } catch (Throwable t) {
                  readerProblems.add(String.valueOf(t));
                }
              }
            },
            "alias-reader");
    Thread writer =
        new Thread(
            () -> {
              Random random = new Random(3);
              try (Connection c = EndToEnd.postgres().connect(e2e.database);
                  Statement s = c.createStatement()) {
                while (!stop.get()) {
                  s.execute(
                      "UPDATE products SET price = price + 1 WHERE id = "
                          + (1 + random.nextInt(2000)));
                }
              } catch (Exception ex) {
                readerProblems.add("writer: " + ex);
              }
            },
            "product-writer");
    reader.start();
    writer.start();
    try {
      SearchSink sinkB = sinkRoutingProductsTo(green);
      PostgresSource sourceB =
          e2e.source(slotB, List.of("products"))
              .backfill(
                  BackfillSettings.builder().tables(List.of("products")).chunkRows(500).build())
              .build();
      try (Pipeline b = e2e.start(slotB, sourceB, sinkB)) {
        Eventually.until(
            Duration.ofSeconds(90),
            "B's backfill",
            () -> "done".equals(b.status().source().get("backfillState")));
        e2e.awaitCaughtUp(slotB, b);
        sinkB.refresh("products");
        Reconciler check =
            Reconciler.builder()
                .source(e2e.fingerprints("products"))
                .index(sinkB.fingerprintReader())
                .collection("products")
                .build();
        ReconciliationReport caughtUp = check.run();
        assertThat(caughtUp.sourceRows()).isEqualTo(2000);
        assertThat(caughtUp.indexDocuments()).as(caughtUp.summary()).isEqualTo(2000);

        sinkB.switchAlias(alias, green);
        a.close(); // A's slot is dropped with it (dropSlotOnClose)

        stop.set(true);
        writer.join();
        reader.join();
        assertThat(readerProblems).isEmpty();
        assertThat(reads.get()).as("the reader searched the alias throughout").isGreaterThan(10);
        assertThat(EndToEnd.http("GET", "/_alias/" + alias, ""))
            .contains(green)
            .doesNotContain(blue);

        e2e.awaitCaughtUp(slotB, b);
        sinkB.refresh("products");
        ReconciliationReport after = check.run();
        assertThat(after.inSync()).as(after.summary()).isTrue();
        Map<?, ?> count =
            (Map<?, ?>) DocumentJson.parseValue(EndToEnd.http("GET", "/" + alias + "/_count", ""));
        assertThat(((Number) count.get("count")).longValue()).isEqualTo(2000);
      }
    } finally {
      stop.set(true);
      writer.join();
      reader.join();
      a.close();
    }
  }

  private static SearchSink sinkRoutingProductsTo(String index) {
    return new SearchSink(
        new JdkHttpTransport(EndToEnd.opensearch().httpUrl()),
        SearchSinkSettings.builder()
            .routing(IndexRouting.of(Map.of("products", index), "unused-"))
            .indexSettings("{\"number_of_shards\": 1, \"number_of_replicas\": 0}")
            .build());
  }
}
