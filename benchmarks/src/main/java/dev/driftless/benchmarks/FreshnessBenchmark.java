package dev.driftless.benchmarks;

import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.postgres.BackfillSettings;
import dev.driftless.postgres.PostgresDatabase;
import dev.driftless.postgres.PostgresSource;
import dev.driftless.search.IndexRouting;
import dev.driftless.testinfra.faults.FaultProxy;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.net.http.HttpClient;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * Issue 15 §4: freshness, measured. One-row transactions update a products table in PostgreSQL
 * while a default {@link Pipeline} follows it into OpenSearch. First the capacity (the transactions
 * per second that go through writer and pipeline together when the writers do not wait), then an
 * open-loop steady rate of 20 transactions/s and 25%, 50% and 90% of that capacity, each repeated;
 * per change, commit to acknowledgement (the pipeline's own freshness samples) and, for a sample,
 * commit to visible by a real-time GET and by a search; then 50% with the index refusing
 * connections for 30 s (time to drain, lag-over-time chart). See README.md, section {@code
 * freshness}; {@link FreshnessRun} does the measuring.
 */
final class FreshnessBenchmark {

  static final String TABLE = "products";
  static final String DATABASE = "fresh";
  static final String PUBLICATION = "fresh_pub";
  static final String PASSWORD = "bench";
  static final String REFRESH_INTERVAL = "1s";
  static final double[] FRACTIONS = {0.25, 0.5, 0.9};
  static final double OUTSIDE_RATE = 20;
  static final double GOAL_P99_MS = 100;

  private final BenchSettings settings;
  private final int seconds = intProperty("bench.fresh.seconds", 30, 5, 3_600);
  private final int reps = intProperty("bench.fresh.reps", 3, 1, 20);
  private final @Nullable Duration linger = lingerProperty();

  FreshnessBenchmark(BenchSettings settings) {
    this.settings = settings;
  }

  /** The benchmark's database: a products table of {@link RateWriter#KEYS} rows. */
  static final class Db {
    private final PostgresServer server;

    Db(PostgresServer server) {
      this.server = server;
    }

    Connection connect() throws SQLException {
      return server.connect(DATABASE);
    }

    String jdbcUrl() {
      return server.jdbcUrl(DATABASE);
    }

    void setUp() throws SQLException {
      server.createDatabase(DATABASE);
      try (Connection c = connect();
          Statement s = c.createStatement()) {
        s.execute("ALTER ROLE postgres PASSWORD '" + PASSWORD + "'");
        // The test launcher starts the server with synchronous_commit=off (and fsync=off) on its
        // command line. With asynchronous commit the WAL is flushed by the WAL writer every
        // wal_writer_delay (200 ms), and a logical walsender sends only flushed WAL: changes would
        // reach the pipeline in 200 ms clumps. Users run the default, on; a database-level setting
        // overrides the command line for every new session (fsync cannot be set per database).
        s.execute("ALTER DATABASE " + DATABASE + " SET synchronous_commit = on");
        s.execute(
            "CREATE TABLE "
                + TABLE
                + " (id bigint PRIMARY KEY, name text NOT NULL, category text NOT NULL,"
                + " price numeric(12,2) NOT NULL, stock integer NOT NULL, seq bigint NOT NULL,"
                + " updated_at timestamptz NOT NULL)");
        s.execute(
            "INSERT INTO "
                + TABLE
                + " SELECT g, 'product ' || g, 'category ' || (g % 50), (g % 10000) / 100.0 + 1,"
                + " 1000000, 0, now() FROM generate_series(1, "
                + RateWriter.KEYS
                + ") g");
        s.execute("ANALYZE " + TABLE);
        s.execute("CREATE PUBLICATION " + PUBLICATION + " FOR TABLE " + TABLE);
      }
    }

    String serverVersion() throws SQLException {
      try (Connection c = connect();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT version()")) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  Report run() throws Exception {
    Report report =
        new Report(
            name(),
            "Freshness: PostgreSQL commit to OpenSearch acknowledgement and visibility at a steady"
                + " rate",
            "tx");
    parameters(report);
    String chart = name() + "-outage.svg";
    FreshnessRun measure = new FreshnessRun(report, seconds, reps, chart);
    System.out.println("[freshness] starting PostgreSQL and OpenSearch");
    try (PostgresServer server = PostgresServer.startNew();
        OpenSearchNode node = OpenSearchNode.builder().start()) {
      Db db = new Db(server);
      db.setUp();
      IndexAdmin admin = new IndexAdmin(HttpClient.newHttpClient(), node.httpUrl());
      report.machine("database server", db.serverVersion() + " (separate process, same machine)");
      report.machine("search server", admin.serverVersion() + " (inside the benchmark JVM)");
      FreshnessRecorder recorder = new FreshnessRecorder();
      try (RateWriter writer = new RateWriter(db, FreshnessRun.WRITERS)) {
        OpenSearchSink sink = sink(node.httpUrl());
        String index = sink.indexFor(TABLE);
        Pipeline pipeline = pipeline(db, sink, "fresh_steady", true, recorder);
        try {
          pipeline.start();
          awaitBackfill(pipeline, admin, index);
          try (VisibilityProbe probe = new VisibilityProbe(node.httpUrl(), index)) {
            measure.steady(pipeline, writer, recorder, probe);
          }
        } finally {
          pipeline.close();
        }
        try (FaultProxy proxy = FaultProxy.start("127.0.0.1", node.httpPort())) {
          Pipeline proxied = pipeline(db, sink(proxy.httpUrl()), "fresh_outage", false, recorder);
          try {
            proxied.start();
            measure.outages(proxied, writer, recorder, proxy, settings.reports().resolve(chart));
          } finally {
            proxied.close();
          }
        }
      }
    }
    measure.write();
    return report;
  }

  /**
   * {@code freshness}, or {@code freshness-linger-<ms>ms} when {@code bench.fresh.linger} is set,
   * so a run with another linger does not overwrite the default run's report.
   */
  private String name() {
    return linger == null ? "freshness" : "freshness-linger-" + linger.toMillis() + "ms";
  }

  private void parameters(Report report) {
    report.parameter(
        "workload",
        "one-row transactions: autocommitted `"
            + RateWriter.UPDATE
            + "` of a uniformly random id among "
            + String.format(Locale.ROOT, "%,d", RateWriter.KEYS)
            + " rows (the index holds all of them, backfilled first), from "
            + FreshnessRun.WRITERS
            + " connections");
    report.parameter(
        "table",
        TABLE
            + "(id bigint PK, name text, category text, price numeric(12,2), stock int, seq"
            + " bigint, updated_at timestamptz); synchronous_commit = on for the database (the"
            + " PostgreSQL default; the test launcher's command line has it off), fsync off (the"
            + " launcher's, cannot be changed per database: commits do not wait for the disk)");
    report.parameter(
        "pipeline",
        "PostgresSource (pgoutput) → OpenSearchSink, Pipeline defaults (batchSize 500, linger "
            + (linger == null ? "5 ms" : linger.toMillis() + " ms (bench.fresh.linger)")
            + ", parallelism 4, commitInterval 1 s, retry 100 ms doubling to 30 s)");
    report.parameter(
        "index",
        "1 shard, 0 replicas, refresh_interval " + REFRESH_INTERVAL + " (OpenSearch's default)");
    report.parameter(
        "rate phases",
        String.format(
            Locale.ROOT,
            "%.0f tx/s and %s of capacity; %d s unmeasured then %d s measured each; every"
                + " repetition runs all rates in that order; %d repetitions",
            OUTSIDE_RATE,
            "25%, 50%, 90%",
            FreshnessRun.WARMUP.toSeconds(),
            seconds,
            reps));
    report.parameter(
        "visibility samples",
        String.format(
            Locale.ROOT,
            "about %d measured commits per second (every k-th), probed by a real-time _mget every"
                + " %d ms and a _search by id every %d ms, each on its own thread",
            FreshnessRun.SAMPLES_PER_SECOND,
            VisibilityProbe.GET_PAUSE.toMillis(),
            VisibilityProbe.SEARCH_PAUSE.toMillis()));
  }

  private OpenSearchSink sink(String url) {
    return OpenSearchSink.builder()
        .hosts(url)
        .routing(IndexRouting.prefixed("bench-fresh-"))
        .mapping(TABLE, "{\"properties\":{\"seq\":{\"type\":\"long\"}}}")
        .indexSettings(
            "{\"number_of_shards\": 1, \"number_of_replicas\": 0, \"refresh_interval\": \""
                + REFRESH_INTERVAL
                + "\"}")
        .build();
  }

  private Pipeline pipeline(
      Db db, OpenSearchSink sink, String slot, boolean backfill, FreshnessRecorder recorder) {
    var source =
        PostgresSource.builder()
            .database(
                PostgresDatabase.builder()
                    .jdbcUrl(db.jdbcUrl())
                    .user("postgres")
                    .password(PASSWORD)
                    .build())
            .slotName(slot)
            .publication(PUBLICATION)
            .createPublication(false)
            .tables(List.of(TABLE))
            .dropSlotOnClose(true);
    if (backfill) {
      source.backfill(BackfillSettings.builder().tables(List.of(TABLE)).build());
    }
    Pipeline.Builder b =
        Pipeline.builder()
            .name("bench-" + slot)
            .source(source.build())
            .sink(sink)
            .deadLetterStore(new InMemoryDeadLetterStore())
            .listener(recorder);
    if (linger != null) {
      b.linger(linger);
    }
    return b.build();
  }

  private static void awaitBackfill(Pipeline pipeline, IndexAdmin admin, String index)
      throws Exception {
    System.out.printf(
        Locale.ROOT, "[freshness] backfilling %,d products into %s%n", RateWriter.KEYS, index);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (pipeline.status().eventsSettled() < RateWriter.KEYS) {
      PipelineStatus st = pipeline.status();
      if (pipeline.failure().isPresent() || System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "backfill did not settle: " + st.summary(), pipeline.failure().orElse(null));
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
    }
    long count = admin.refreshAndCount(index);
    if (count != RateWriter.KEYS) {
      throw new IllegalStateException(
          "index holds " + count + " documents, expected " + RateWriter.KEYS);
    }
  }

  static Histogram merged(List<Histogram> hs) {
    Histogram all = Latency.micros();
    hs.forEach(all::add);
    return all;
  }

  static List<Double> values(List<Latency> ls, java.util.function.ToDoubleFunction<Latency> f) {
    List<Double> v = new ArrayList<>();
    for (Latency l : ls) {
      if (l.count() > 0) {
        v.add(f.applyAsDouble(l));
      }
    }
    return v;
  }

  private static @Nullable Duration lingerProperty() {
    String v = System.getProperty("bench.fresh.linger");
    if (v == null || v.isBlank()) {
      return null;
    }
    int ms = intProperty("bench.fresh.linger", 5, 0, 10_000);
    return Duration.ofMillis(ms);
  }

  private static int intProperty(String name, int fallback, int min, int max) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    int parsed;
    try {
      parsed = Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number, was '" + v + "'", e);
    }
    if (parsed < min || parsed > max) {
      throw new IllegalArgumentException(
          name + " must be in [" + min + ", " + max + "], was " + parsed);
    }
    return parsed;
  }
}
