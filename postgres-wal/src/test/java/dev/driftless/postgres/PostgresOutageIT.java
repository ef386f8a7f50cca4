package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.faults.FaultProxy;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
              .retry(new RetrySettings(Duration.ofMillis(50), Duration.ofMillis(200), 2.0, 0.2))
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

  @Test
  void aLostServerIsReportedAsAnOutageThroughTheContextAndItsEndToo() throws Exception {
    String db = PgTesting.newDatabase("outage_report");
    exec(db, "CREATE TABLE r (id int PRIMARY KEY)");
    List<String> reports = new CopyOnWriteArrayList<>();
    SourceContext base = PgTesting.context("outage_report");
    SourceContext context =
        new SourceContext() {
          @Override
          public String pipelineName() {
            return base.pipelineName();
          }

          @Override
          public CheckpointStore checkpointStore() {
            return base.checkpointStore();
          }

          @Override
          public OutagePolicy outagePolicy() {
            return base.outagePolicy();
          }

          @Override
          public void outageStarted(Throwable cause) {
            reports.add("started");
          }

          @Override
          public void outageEnded() {
            reports.add("ended");
          }
        };
    try (FaultProxy proxy = FaultProxy.start("localhost", PgTesting.server().port())) {
      PostgresSource source =
          PostgresSource.builder()
              .database(
                  PostgresDatabase.builder()
                      .jdbcUrl("jdbc:postgresql://localhost:" + proxy.port() + "/" + db)
                      .user(PostgresServer.SUPERUSER)
                      .build())
              .slotName("outage_report")
              .publication("outage_report")
              .tables(List.of("r"))
              .dropSlotOnClose(true)
              .build();
      try {
        source.start(context);
        proxy.refuse(true);
        Eventually.until(
            Duration.ofSeconds(30),
            "the outage to be reported",
            () -> {
              assertThat(source.poll(10, Duration.ofMillis(50))).isEmpty();
              return reports.contains("started");
            });
        assertThat(source.statusDetails()).containsEntry("connected", false);
        proxy.accept();
        exec(db, "INSERT INTO r VALUES (1)");
        List<ChangeEvent> events = new ArrayList<>();
        Eventually.until(
            Duration.ofSeconds(30),
            "the row after the outage",
            () -> {
              events.addAll(source.poll(10, Duration.ofMillis(50)));
              return !events.isEmpty();
            });
        assertThat(events).extracting(e -> e.key().id()).containsExactly("1");
        assertThat(reports).first().isEqualTo("started");
        assertThat(reports).last().isEqualTo("ended");
        assertThat(reports).containsOnlyOnce("ended");
      } finally {
        source.close();
      }
    }
  }
}
