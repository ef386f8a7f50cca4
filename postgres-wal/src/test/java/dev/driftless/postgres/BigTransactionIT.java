package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.tck.Eventually;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A transaction of a million rows streams through a test JVM whose heap is capped at 256 MiB (its
 * own failsafe execution): the source spills the in-progress transaction to disk and releases it at
 * commit (I6), every row arrives once with the transaction's commit LSN (I1, I2), and a row updated
 * hundreds of times inside it ends in its last state (I4).
 */
class BigTransactionIT {

  private static final int ROWS = 1_000_000;
  private static final int UPDATES = 300;

  @Test
  void aMillionRowTransactionFlowsWithBoundedHeap() throws Exception {
    assertThat(Runtime.getRuntime().maxMemory()).isLessThanOrEqualTo(300L * 1024 * 1024);
    String db = PgTesting.newDatabase("big");
    exec(db, "CREATE TABLE big (id int PRIMARY KEY, v text)");
    PostgresSource source =
        PgTesting.source(db, "big_tx", "big_pub")
            .tables(List.of("big"))
            .dropSlotOnClose(true)
            .build();
    source.start(PgTesting.context("big"));

    long started = System.nanoTime();
    // One transaction: a million inserts, then the same row updated many times.
    exec(
        db,
        "BEGIN",
        "INSERT INTO big SELECT g, 'row ' || g FROM generate_series(1, " + ROWS + ") g",
        "DO $$ BEGIN FOR i IN 1.."
            + UPDATES
            + " LOOP UPDATE big SET v = 'update ' || i WHERE id ="
            + " 1; END LOOP; END $$",
        "COMMIT");
    long inserted = System.nanoTime();

    // A counting sink: one bit per key, the one version seen.
    BitSet seen = new BitSet(ROWS + 1);
    long[] version = {-1};
    long[] events = {0};
    Object[] lastOfRow1 = {null};
    long[] peakUsed = {0};
    Eventually.until(
        Duration.ofMinutes(3),
        "a million rows",
        () -> {
          List<ChangeEvent> batch = source.poll(5000, Duration.ofMillis(200));
          for (ChangeEvent e : batch) {
            seen.set(Integer.parseInt(e.key().id()));
            if (e.key().id().equals("1")) {
              lastOfRow1[0] = ((ChangeEvent.Upsert) e).document().get("v");
            }
            if (version[0] == -1) {
              version[0] = e.version().value();
            }
            assertThat(e.version().value()).isEqualTo(version[0]);
            events[0]++;
          }
          if (!batch.isEmpty()) {
            source.commit(batch.get(batch.size() - 1).position());
          }
          Runtime rt = Runtime.getRuntime();
          peakUsed[0] = Math.max(peakUsed[0], rt.totalMemory() - rt.freeMemory());
          return seen.cardinality() == ROWS && events[0] == ROWS + UPDATES;
        });
    long drained = System.nanoTime();
    source.close();

    assertThat(events[0]).isEqualTo(ROWS + UPDATES);
    // The row's changes share the transaction's version and come in order: the last one wins.
    assertThat(lastOfRow1[0]).isEqualTo("update " + UPDATES);
    System.out.printf(
        "1M-row transaction: insert %d ms, replicate %d ms, peak heap used %d MiB%n",
        (inserted - started) / 1_000_000,
        (drained - inserted) / 1_000_000,
        peakUsed[0] / (1024 * 1024));
  }
}
