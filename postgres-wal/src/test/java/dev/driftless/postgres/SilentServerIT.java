package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.tck.PipelineTestKit;
import dev.driftless.testinfra.faults.FaultProxy;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A server that falls silent without closing anything (a network partition, a frozen host: the
 * proxy holds every byte in both directions) is an outage the pipeline shows, not a source that
 * looks idle forever; when the server answers again the stream resumes and nothing is lost (I1,
 * I2). Before {@code responseTimeout} the poll thread waited on the silent socket of its status
 * query for good: no outage was ever shown and {@code close()} never returned.
 */
class SilentServerIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @Test
  void aSilentServerShowsAsAnOutageAndTheStreamResumesWhenItAnswersAgain() throws Exception {
    String db = PgTesting.newDatabase("silent");
    exec(db, "CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL)");
    InMemoryVersionedSink index = InMemoryVersionedSink.create();
    ExecutorService closer = Executors.newSingleThreadExecutor();
    try (FaultProxy proxy = FaultProxy.start("localhost", PgTesting.server().port())) {
      PostgresSource source =
          PostgresSource.builder()
              .database(
                  PostgresDatabase.builder()
                      .jdbcUrl("jdbc:postgresql://localhost:" + proxy.port() + "/" + db)
                      .user(PostgresServer.SUPERUSER)
                      .build())
              .slotName("silent")
              .publication("silent_pub")
              .tables(List.of("items"))
              .statusInterval(Duration.ofMillis(500))
              .responseTimeout(Duration.ofSeconds(2))
              .build();
      Pipeline pipeline =
          PipelineTestKit.fastPipeline("silent")
              .source(source)
              .sink(index)
              .deadLetterStore(new InMemoryDeadLetterStore())
              .build()
              .start();
      try {
        insert(db, 1, 10);
        Eventually.until(WAIT, "the first rows", () -> index.liveDocuments().size() == 10);

        proxy.blackHole(true);
        Eventually.until(
            WAIT,
            () -> "the silence to show as a source outage: " + pipeline.status(),
            () -> pipeline.status().sourceOutage() != null);
        assertThat(pipeline.status().sourceOutage()).containsIgnoringCase("timed out");
        insert(db, 11, 20); // straight to the server, past the proxy

        proxy.blackHole(false);
        Eventually.until(
            WAIT,
            () -> "the stream to resume: " + pipeline.status(),
            () -> pipeline.status().sourceOutage() == null && index.liveDocuments().size() == 20);
        assertThat(index.get(DocumentKey.of("items", "20"))).isPresent();
        assertThat(index.violations()).isEmpty();

        // Silent again: close must still return (it waited on the socket for good before).
        proxy.blackHole(true);
        Eventually.until(
            WAIT,
            () -> "the second silence to show: " + pipeline.status(),
            () -> pipeline.status().sourceOutage() != null);
        CompletableFuture<Void> closed = CompletableFuture.runAsync(pipeline::close, closer);
        Eventually.until(WAIT, "close to return while the server is silent", closed::isDone);
        closed.get(1, TimeUnit.SECONDS);
      } finally {
        proxy.blackHole(false);
        pipeline.close();
        closer.shutdownNow();
      }
    }
    // The walsender of the abandoned stream ends once its connection's held bytes arrive.
    Eventually.until(
        WAIT,
        "the slot to be free and dropped",
        () -> {
          try {
            exec(db, "SELECT pg_drop_replication_slot('silent')");
            return true;
          } catch (Exception e) {
            return false;
          }
        });
  }

  private static void insert(String db, int from, int to) throws Exception {
    exec(
        db,
        "INSERT INTO items SELECT g, 'v' || g FROM generate_series(" + from + ", " + to + ") g");
  }
}
