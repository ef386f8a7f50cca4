package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.faults.FaultProxy;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A PostgreSQL server that cannot be reached is an outage the pipeline sees: it is retried, and
 * {@code outageDeadline} stops the pipeline once it lasts too long (issue 12: the source turned a
 * lost server into empty polls, so the pipeline waited forever and reported nothing). I5: an outage
 * is retried, never dead-lettered.
 */
class PostgresOutageIT {

  @Test
  void anUnreachableServerOutlastingTheDeadlineStopsThePipeline() throws Exception {
    String db = PgTesting.newDatabase("outage");
    exec(db, "CREATE TABLE o (id int PRIMARY KEY)");
    try (FaultProxy proxy = FaultProxy.start("localhost", PgTesting.server().port())) {
      PostgresSource source =
          PostgresSource.builder()
              .database(
                  PostgresDatabase.builder()
                      .jdbcUrl("jdbc:postgresql://localhost:" + proxy.port() + "/" + db)
                      .user(PostgresServer.SUPERUSER)
                      .build())
              .slotName("outage_it")
              .publication("outage_it")
              .tables(List.of("o"))
              .dropSlotOnClose(true)
              .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200))
              .build();
      InMemoryVersionedSink sink = InMemoryVersionedSink.create();
      InMemoryDeadLetterStore letters = new InMemoryDeadLetterStore();
      try (Pipeline pipeline =
          Pipeline.builder()
              .name("outage_it")
              .source(source)
              .sink(sink)
              .deadLetterStore(letters)
              .outageDeadline(Duration.ofSeconds(3))
              .build()
              .start()) {
        exec(db, "INSERT INTO o VALUES (1)");
        Eventually.until(
            Duration.ofSeconds(30), "the first row", () -> !sink.liveDocuments().isEmpty());

        proxy.refuse(true); // cut the live connections and refuse new ones
        Eventually.until(
            Duration.ofSeconds(60),
            "the pipeline to stop on the outage",
            () -> pipeline.status().state() == PipelineStatus.State.FAILED);
        assertThat(pipeline.status().failure()).contains("outageDeadline");
        assertThat(letters.count()).isZero();
        proxy.accept();
      }
    }
    // The failed pipeline closed its source while the proxy still refused, so the slot may
    // remain: drop it once no walsender holds it.
    Eventually.until(
        Duration.ofSeconds(30),
        "the slot to be dropped",
        () -> {
          exec(
              db,
              "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                  + " WHERE slot_name = 'outage_it' AND NOT active");
          return PgTesting.query(
                  db, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'outage_it'")
              .equals("0");
        });
  }
}
