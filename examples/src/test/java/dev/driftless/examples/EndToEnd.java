package dev.driftless.examples;

import dev.driftless.core.DocumentJson;
import dev.driftless.core.Pipeline;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.postgres.PostgresDatabase;
import dev.driftless.postgres.PostgresSource;
import dev.driftless.postgres.PostgresSourceBuilder;
import dev.driftless.postgres.reconcile.PostgresFingerprintReader;
import dev.driftless.postgres.reconcile.TableMapping;
import dev.driftless.search.IndexRouting;
import dev.driftless.tck.Eventually;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * What the end-to-end tests share: one PostgreSQL server and one OpenSearch node per test JVM, a
 * fresh database per test, and PostgreSQL → OpenSearch pipelines built the way a user builds them.
 */
final class EndToEnd {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  final String database;
  final String name;

  private EndToEnd(String name) throws Exception {
    this.name = name + "_" + SEQUENCE.incrementAndGet();
    this.database = this.name;
    postgres().createDatabase(database);
  }

  /** A fresh database named after {@code name}. */
  static EndToEnd create(String name) throws Exception {
    return new EndToEnd(name);
  }

  static PostgresServer postgres() {
    return PostgresServer.shared();
  }

  static OpenSearchNode opensearch() {
    return OpenSearchNode.shared();
  }

  String jdbcUrl() {
    return postgres().jdbcUrl(database);
  }

  /** A sink writing collection {@code c} to index {@code <indexPrefix>c}. */
  OpenSearchSink sink(String indexPrefix) {
    return OpenSearchSink.builder()
        .urls(opensearch().httpUrl())
        .routing(IndexRouting.prefixed(indexPrefix))
        .indexSettings("{\"number_of_shards\": 1, \"number_of_replicas\": 0}")
        .build();
  }

  PostgresSourceBuilder source(String slot, List<String> tables) {
    return PostgresSource.builder()
        .database(
            PostgresDatabase.builder().jdbcUrl(jdbcUrl()).user(PostgresServer.SUPERUSER).build())
        .slotName(slot)
        .publication(slot)
        .tables(tables)
        .dropSlotOnClose(true)
        .statusInterval(Duration.ofMillis(500));
  }

  /** Starts a pipeline and waits until its source streams (its slot exists from then on). */
  Pipeline start(String slot, PostgresSource source, dev.driftless.core.spi.VersionedSink sink)
      throws Exception {
    Pipeline pipeline =
        Pipeline.builder()
            .name(slot)
            .source(source)
            .sink(sink)
            .deadLetterStore(new InMemoryDeadLetterStore())
            .build()
            .start();
    Eventually.until(
        Duration.ofSeconds(60),
        "the source of " + slot + " to connect",
        () -> Boolean.TRUE.equals(pipeline.status().source().get("connected")));
    return pipeline;
  }

  PostgresFingerprintReader fingerprints(String table) {
    return PostgresFingerprintReader.builder()
        .database(
            PostgresDatabase.builder().jdbcUrl(jdbcUrl()).user(PostgresServer.SUPERUSER).build())
        .table(TableMapping.of("public", table))
        .build();
  }

  void exec(String... statements) throws Exception {
    try (Connection c = postgres().connect(database);
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  /** {@code sql}'s rows as maps of column name to text. */
  List<Map<String, @Nullable String>> rows(String sql) throws Exception {
    List<Map<String, @Nullable String>> out = new java.util.ArrayList<>();
    try (Connection c = postgres().connect(database);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        Map<String, @Nullable String> row = new HashMap<>();
        for (int i = 1; i <= n; i++) {
          row.put(rs.getMetaData().getColumnLabel(i), rs.getString(i));
        }
        out.add(row);
      }
    }
    return out;
  }

  String scalar(String sql) throws Exception {
    return String.valueOf(rows(sql).get(0).values().iterator().next());
  }

  /** Waits until {@code slot} confirmed everything committed so far (the pipeline settled it). */
  void awaitCaughtUp(String slot, Pipeline pipeline) throws Exception {
    String lsn = scalar("SELECT pg_current_wal_insert_lsn()::text");
    Eventually.until(
        Duration.ofSeconds(90),
        "slot " + slot + " to confirm " + lsn + ": " + pipeline.status().summary(),
        () ->
            pipeline.failure().isEmpty()
                && "true"
                    .equals(
                        scalar(
                            "SELECT (confirmed_flush_lsn >= '"
                                + lsn
                                + "'::pg_lsn)::text FROM pg_replication_slots WHERE slot_name = '"
                                + slot
                                + "'")));
    if (pipeline.failure().isPresent()) {
      throw new AssertionError("pipeline failed", pipeline.failure().get());
    }
  }

  /** Every document of {@code index} by id: its {@code _source}. At most 10,000. */
  static Map<String, Map<?, ?>> documents(String index) throws Exception {
    http("POST", "/" + index + "/_refresh", "");
    String body =
        http("POST", "/" + index + "/_search", "{\"size\": 10000, \"query\": {\"match_all\": {}}}");
    Map<?, ?> root = (Map<?, ?>) DocumentJson.parseValue(body);
    List<?> hits = (List<?>) ((Map<?, ?>) root.get("hits")).get("hits");
    Map<String, Map<?, ?>> out = new HashMap<>();
    for (Object hit : hits) {
      Map<?, ?> h = (Map<?, ?>) hit;
      out.put(String.valueOf(h.get("_id")), (Map<?, ?>) h.get("_source"));
    }
    return out;
  }

  /** Each document's engine {@code _version} (the source version it was written at), by id. */
  static Map<String, Long> versions(String index) throws Exception {
    http("POST", "/" + index + "/_refresh", "");
    String body =
        http(
            "POST",
            "/" + index + "/_search",
            "{\"size\": 10000, \"_source\": false, \"version\": true, \"query\": {\"match_all\": {}}}");
    Map<?, ?> root = (Map<?, ?>) DocumentJson.parseValue(body);
    List<?> hits = (List<?>) ((Map<?, ?>) root.get("hits")).get("hits");
    Map<String, Long> out = new HashMap<>();
    for (Object hit : hits) {
      Map<?, ?> h = (Map<?, ?>) hit;
      out.put(String.valueOf(h.get("_id")), ((Number) h.get("_version")).longValue());
    }
    return out;
  }

  static String http(String method, String path, String body) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(opensearch().httpUrl() + path))
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new AssertionError(method + " " + path + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }
}
