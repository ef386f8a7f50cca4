package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.InMemoryVersionedSink;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code Pipeline.awaitCaughtUp} returns once everything committed before the call is in the index,
 * without the caller comparing WAL positions by hand.
 */
class AwaitCaughtUpIT {

  @Test
  void everythingCommittedBeforeTheCallIsInTheIndexWhenItReturns() throws Exception {
    String db = PgTesting.newDatabase("caughtup");
    exec(
        db,
        "CREATE TABLE c (id int PRIMARY KEY, v int NOT NULL)",
        "CREATE TABLE other (id int PRIMARY KEY)");
    InMemoryVersionedSink sink = InMemoryVersionedSink.create();
    PostgresSource source =
        PgTesting.source(db, "caughtup_slot", "caughtup_pub")
            .tables(List.of("c"))
            .dropSlotOnClose(true)
            .build();
    try (Pipeline pipeline =
        Pipeline.builder()
            .name("caughtup")
            .source(source)
            .sink(sink)
            .deadLetterStore(new InMemoryDeadLetterStore())
            .build()) {
      pipeline.start();
      for (int round = 1; round <= 3; round++) {
        exec(
            db,
            "INSERT INTO c SELECT g, "
                + round
                + " FROM generate_series(1, 500) g ON CONFLICT (id) DO UPDATE SET v = "
                + round);
        assertThat(pipeline.awaitCaughtUp(Duration.ofSeconds(60))).isTrue();
        // No waiting here: the call returned only once the last row of the round was committed.
        assertThat(
                sink.get(DocumentKey.of("c", "500")).orElseThrow().document().get("v").toString())
            .isEqualTo(String.valueOf(round));
        assertThat(sink.get(DocumentKey.of("c", "1")).orElseThrow().document().get("v").toString())
            .isEqualTo(String.valueOf(round));
      }
      // WAL that carries no published change (another table) is passed too: the call returns.
      exec(db, "INSERT INTO other SELECT g FROM generate_series(1, 100) g");
      assertThat(pipeline.awaitCaughtUp(Duration.ofSeconds(60))).isTrue();
    }
  }
}
