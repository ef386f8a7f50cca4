package dev.driftless.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.StoredDocument;
import dev.driftless.core.spi.DocumentMapper;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.spring.boot.actuate.DriftlessEndpoint;
import dev.driftless.spring.boot.actuate.DriftlessHealthIndicator;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import dev.driftless.testinfra.postgres.PostgresServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * A Spring Boot application with the starter, auto-configured from properties, against a real
 * PostgreSQL and a real OpenSearch node: rows reach the index through the application's mapper
 * bean, health is UP, the endpoint reads and repairs, a reconciliation runs, the meters count, and
 * closing the context drains and stops the pipeline.
 */
class DriftlessStarterIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static PostgresServer postgres;
  private static OpenSearchNode opensearch;

  @TempDir Path dir;

  @BeforeAll
  static void servers() throws Exception {
    // Boot would reconfigure Log4j 2, which the in-process OpenSearch node logs through.
    System.setProperty("org.springframework.boot.logging.LoggingSystem", "none");
    // Both servers start at once (the OpenSearch node takes the longest).
    ExecutorService starter = Executors.newSingleThreadExecutor();
    try {
      Future<OpenSearchNode> node = starter.submit(OpenSearchNode::shared);
      postgres = PostgresServer.startNew();
      opensearch = node.get();
    } finally {
      starter.shutdownNow();
    }
    postgres.createDatabase("shop");
    try (Connection c = postgres.connect("shop");
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE orders (id int PRIMARY KEY, total numeric, note text)");
      // Present before the application starts: reaches the index through the backfill.
      s.execute("INSERT INTO orders VALUES (1, 10.50, 'before start')");
    }
  }

  @AfterAll
  static void stop() {
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void rowsReachTheIndexAndTheActuatorSeesAndOperatesThePipeline() throws Exception {
    ConfigurableApplicationContext ctx =
        new SpringApplicationBuilder(ShopApplication.class)
            .web(WebApplicationType.NONE)
            .properties(
                "driftless.pipeline.name=shop",
                "driftless.pipeline.drain-timeout=20s",
                "driftless.postgres.url=" + postgres.jdbcUrl("shop"),
                "driftless.postgres.username=" + PostgresServer.SUPERUSER,
                "driftless.postgres.slot-name=shop_slot",
                "driftless.postgres.publication=shop_pub",
                "driftless.postgres.tables=orders",
                "driftless.postgres.backfill.enabled=true",
                "driftless.opensearch.hosts=" + opensearch.httpUrl(),
                "driftless.opensearch.index-prefix=shop-",
                "driftless.dead-letters.path=" + dir.resolve("dead-letters.jsonl"),
                "driftless.reconciliation.orders.interval=1h",
                "driftless.reconciliation.orders.verify-delay=0s",
                "management.endpoints.web.exposure.include=health,driftless",
                // The endpoint through Boot's own operation discovery, as JMX exposes it.
                "spring.jmx.enabled=true",
                "management.endpoints.jmx.exposure.include=driftless")
            .run();
    Pipeline pipeline = ctx.getBean(Pipeline.class);
    Recorder recorder = ctx.getBean(Recorder.class);
    try {
      assertThat(pipeline.status().state()).isEqualTo(PipelineStatus.State.RUNNING);
      try (Connection c = postgres.connect("shop");
          Statement s = c.createStatement()) {
        s.execute("INSERT INTO orders VALUES (2, 20.00, 'streamed'), (3, 30.00, 'streamed')");
        s.execute("UPDATE orders SET note = 'updated' WHERE id = 3");
      }
      assertThat(pipeline.awaitCaughtUp(WAIT)).isTrue();
      OpenSearchSink sink = (OpenSearchSink) ctx.getBean(VersionedSink.class);
      for (String id : List.of("1", "2", "3")) {
        Optional<StoredDocument> stored = sink.get(DocumentKey.of("orders", id));
        assertThat(stored).as("order %s in the index", id).isPresent();
        // The application's DocumentMapper bean was used.
        assertThat(stored.get().document().get("mapped_by")).isEqualTo("shop-mapper");
      }
      assertThat(sink.get(DocumentKey.of("orders", "3")).get().document().get("note"))
          .isEqualTo("updated");
      assertThat(sink.indexFor("orders")).isEqualTo("shop-orders");

      // Health.
      DriftlessHealthIndicator health = ctx.getBean(DriftlessHealthIndicator.class);
      assertThat(health.health().getStatus()).isEqualTo(Status.UP);
      assertThat(health.health().getDetails()).containsEntry("pipeline", "shop");

      // The endpoint's read.
      DriftlessEndpoint endpoint = ctx.getBean(DriftlessEndpoint.class);
      Map<String, Object> status = endpoint.status();
      assertThat(status).containsEntry("pipeline", "shop").containsEntry("state", "RUNNING");
      assertThat(status.get("deadLetters")).isEqualTo(Map.of("count", 0L, "oldest", List.of()));
      Object overJmx =
          ctx.getBean(MBeanServer.class)
              .invoke(
                  new ObjectName("org.springframework.boot:type=Endpoint,name=Driftless"),
                  "status",
                  new Object[0],
                  new String[0]);
      assertThat(String.valueOf(overJmx)).contains("shop").contains("RUNNING");

      // A write operation: a document lost from the index is repaired from the database.
      deleteFromIndex("shop-orders", "2");
      assertThat(sink.get(DocumentKey.of("orders", "2"))).isEmpty();
      Map<String, Object> repaired = endpoint.run("repair", null, "orders", List.of("2"));
      assertThat(repaired).containsEntry("applied", 1).containsEntry("failed", List.of());
      assertThat(sink.get(DocumentKey.of("orders", "2"))).isPresent();

      // A reconciliation of the configured collection: the index matches the table.
      sink.refresh("orders");
      Map<String, Object> reconciled = endpoint.run("reconcile", null, "orders", null);
      assertThat((String) reconciled.get("summary")).contains("orders");
      assertThat(ctx.getBean(DriftlessReconcilers.class).lastReport("orders")).isPresent();
      ReconciliationReport report =
          ctx.getBean(DriftlessReconcilers.class).lastReport("orders").orElseThrow();
      assertThat(report.sourceRows()).isEqualTo(3);
      assertThat(report.missing() + report.stale() + report.phantom()).isZero();

      // Meters, bound by Boot's Micrometer auto-configuration.
      MeterRegistry registry = ctx.getBean(MeterRegistry.class);
      Counter applied =
          registry.find("driftless.pipeline.events.applied").tag("pipeline", "shop").counter();
      assertThat(applied).isNotNull();
      assertThat(applied.count()).isGreaterThanOrEqualTo(3);
      assertThat(recorder.events).contains("started shop");
    } finally {
      ctx.close();
    }
    // Closing the context drained and stopped the pipeline, and told the listener.
    assertThat(pipeline.status().state()).isEqualTo(PipelineStatus.State.STOPPED);
    assertThat(pipeline.status().inFlightEvents()).isZero();
    assertThat(pipeline.failure()).isEmpty();
    assertThat(recorder.events).contains("stopped shop");
  }

  private static void deleteFromIndex(String index, String id) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        opensearch.httpUrl() + "/" + index + "/_doc/" + id + "?refresh=true"))
                .DELETE()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  /** The application: nothing but the starter's auto-configuration and two beans of its own. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class ShopApplication {
    @Bean
    DocumentMapper shopMapper() {
      return (key, row) -> {
        Map<String, Object> fields = new LinkedHashMap<>(row.fields());
        fields.put("mapped_by", "shop-mapper");
        Document doc = Document.of(fields);
        // Keeps the row's fingerprint, so that reconciliation compares the row's columns.
        return Optional.of(
            row.fingerprint().isPresent()
                ? doc.withFingerprint(row.fingerprint().getAsLong())
                : doc);
      };
    }

    @Bean
    Recorder recorder() {
      return new Recorder();
    }
  }

  /** A listener bean of the application. */
  static final class Recorder implements PipelineListener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void started(String pipeline) {
      events.add("started " + pipeline);
    }

    @Override
    public void stopped(String pipeline, PipelineStatus last) {
      events.add("stopped " + pipeline);
    }
  }
}
