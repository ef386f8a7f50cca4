package dev.driftless.benchmarks;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.postgres.PostgresDatabase;
import dev.driftless.postgres.PostgresSource;
import dev.driftless.testinfra.postgres.PostgresServer;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.apache.kafka.connect.source.SourceRecord;
import org.jspecify.annotations.Nullable;

/**
 * Issue "PostgreSQL source": change events per second decoded from the same WAL by {@code
 * pg_recvlogical} (the server's own client: the ceiling), the Debezium embedded engine and
 * Driftless's {@link PostgresSource} (polled directly, and through a {@link Pipeline} into a
 * counting sink).
 *
 * <p>Every contender of every round has its own slot, created before the workload is written, so
 * all of them read exactly the same WAL. Contenders run one at a time, in an order that rotates
 * between rounds.
 */
final class PgDecodeBenchmark {

  static final String RECV = "pg_recvlogical";
  static final String DEBEZIUM = "debezium-embedded";
  static final String POLL = "driftless-poll";
  static final String PIPELINE = "driftless-pipeline";

  /** Rows per transaction ({@code -Dbench.pg.txRows}; default 1,000). */
  private final int txRows = BenchSettings.intProperty("bench.pg.txRows", 1_000, 1, 1_000_000);

  private static final long WARM_FIRST_ID = 1_000_000_000L;
  private static final String DEBEZIUM_VERSION = "3.6.1.Final";

  private final BenchSettings settings;
  private @Nullable String valueTypes;

  PgDecodeBenchmark(BenchSettings settings) {
    this.settings = settings;
  }

  Report run() throws Exception {
    Report report =
        new Report(
            "pgdecode",
            "PostgreSQL decode throughput: Driftless PostgresSource vs pg_recvlogical and Debezium",
            "events");
    int rows = settings.rows();
    Path recv = recvlogical();
    report.parameter(
        "changes per run",
        rows
            + " ("
            + (rows - rows / 2)
            + " inserts, then "
            + rows / 2
            + " updates of the same rows)");
    report.parameter(
        "table",
        "items(id bigint PK, name text, qty int, price numeric(12,2), updated_at timestamptz, active boolean)");
    report.parameter("rows per transaction", txRows);
    report.parameter(
        "pgoutput protocol",
        "1 for every contender (pg_recvlogical -o proto_version=1, Debezium's own choice, PostgresSource.protocolVersion(1))");
    report.parameter("logical_decoding_work_mem", "64MB (no transaction spills on the server)");
    report.parameter("measured rounds (contenders alternate)", settings.rounds());
    report.parameter(
        "warm-up changes (JVM contenders, own slots, before the measured slots exist)",
        settings.warmupRows());
    report.contender(
        RECV,
        "the ceiling: `pg_recvlogical --start --endpos=<end LSN> -o proto_version=1 -o"
            + " publication_names=bench_pub -f /dev/null`, timed from process start to exit");
    report.contender(
        DEBEZIUM,
        "Debezium embedded engine "
            + DEBEZIUM_VERSION
            + " (PostgresConnector, pgoutput, snapshot.mode=no_data, in-memory offsets, Connect"
            + " records, default batch and queue sizes), timed from engine start until every"
            + " record was handed to the consumer");
    report.contender(
        POLL,
        "`PostgresSource.poll(4096, 100 ms)` in a loop, timed from `start()` until every event"
            + " was returned");
    report.contender(
        PIPELINE,
        "`Pipeline` (default settings) from `PostgresSource` into a counting no-op sink, timed"
            + " from `start()` until every event is settled");
    report.ratio(POLL, RECV, 0.80);
    report.ratio(POLL, DEBEZIUM, 3.0);
    report.ratio(PIPELINE, RECV, 0.80);
    report.ratio(PIPELINE, DEBEZIUM, 3.0);
    report.machine("pg_recvlogical", recv + " (" + command(recv.toString(), "--version") + ")");
    report.machine("debezium", DEBEZIUM_VERSION);

    System.out.println("[pgdecode] starting PostgreSQL");
    try (PostgresServer server = PostgresServer.startNew()) {
      PgWorkload db = new PgWorkload(server);
      db.setUp();
      report.machine("database server", db.serverVersion() + " (separate process, same machine)");
      List<String> jvmContenders = List.of(DEBEZIUM, POLL, PIPELINE);

      System.out.println("[pgdecode] warm-up");
      for (String c : jvmContenders) {
        db.createSlot(slot(c, 0));
      }
      String warmEnd = db.write(WARM_FIRST_ID, settings.warmupRows(), txRows);
      for (String c : jvmContenders) {
        measure(c, 0, db, settings.warmupRows(), warmEnd, recv);
        db.dropSlot(slot(c, 0));
      }

      List<String> all = List.of(RECV, DEBEZIUM, POLL, PIPELINE);
      for (int round = 1; round <= settings.rounds(); round++) {
        for (String c : all) {
          db.createSlot(slot(c, round));
        }
      }
      System.out.printf(Locale.ROOT, "[pgdecode] writing %,d changes%n", rows);
      String start = db.currentInsertLsn();
      long t0 = System.nanoTime();
      String end = db.write(1, rows, txRows);
      double writeSeconds = (System.nanoTime() - t0) / 1e9;
      report.parameter(
          "workload WAL",
          String.format(
              Locale.ROOT,
              "%,d bytes from %s to %s, written in %.1f s",
              db.walBytes(start, end),
              start,
              end,
              writeSeconds));
      for (int round = 1; round <= settings.rounds(); round++) {
        List<String> order = new ArrayList<>(all);
        java.util.Collections.rotate(order, -(round - 1));
        for (String c : order) {
          report.run(measure(c, round, db, rows, end, recv));
          db.dropSlot(slot(c, round));
        }
      }
    }
    String types = valueTypes;
    boolean typed = types != null && types.matches(".*=(Long|Integer|BigDecimal|Boolean).*");
    report.note(
        "What each JVM contender builds per change: Debezium a Kafka Connect record with typed"
            + " values (numeric as BigDecimal, timestamptz as an ISO string) in a before/after"
            + " envelope; Driftless a ChangeEvent whose Document holds "
            + (types == null ? "(no sample)" : types)
            + (typed
                ? ", i.e. typed values too."
                : ", i.e. PostgreSQL's text: less work per value than Debezium does."));
    report.note(
        "driftless-pipeline writes into a sink that does nothing, so its gap to driftless-poll is"
            + " the pipeline runner's own cost per event at default settings (batchSize 500,"
            + " parallelism 4, maxInFlightEvents 10,000, linger 5 ms).");
    report.note(
        "PostgreSQL runs as a separate process on the same 2 cores: while a contender reads, the"
            + " server's walsender decodes the WAL (the larger share of the work for"
            + " pg_recvlogical) and the contender's JVM competes with it for CPU.");
    report.note(
        "Rates include connecting and, for the JVM contenders, their start-up (Debezium's type"
            + " and schema loading); the steady column counts from the first event to the last.");
    return report;
  }

  private static String slot(String contender, int round) {
    return contender.replace('-', '_').replace("pg_", "") + "_r" + round;
  }

  private Run measure(
      String contender, int round, PgWorkload db, int expected, String endLsn, Path recv)
      throws Exception {
    String slot = slot(contender, round);
    return switch (contender) {
      case RECV -> recvlogical(recv, db, slot, round, expected, endLsn);
      case DEBEZIUM -> debezium(db, slot, round, expected);
      case POLL -> poll(db, slot, round, expected);
      case PIPELINE -> pipeline(db, slot, round, expected);
      default -> throw new IllegalArgumentException("unknown contender " + contender);
    };
  }

  static Run recvlogical(
      Path recv, PgWorkload db, String slot, int round, int expected, String endLsn)
      throws Exception {
    Path log = Files.createTempFile("pg_recvlogical", ".log");
    try {
      ProcessBuilder pb =
          new ProcessBuilder(
                  recv.toString(),
                  "-h",
                  "localhost",
                  "-p",
                  Integer.toString(db.port()),
                  "-U",
                  "postgres",
                  "-d",
                  PgWorkload.DATABASE,
                  "--slot",
                  slot,
                  "--start",
                  "--no-loop",
                  "--endpos",
                  endLsn,
                  "-o",
                  "proto_version=1",
                  "-o",
                  "publication_names=" + PgWorkload.PUBLICATION,
                  "-f",
                  "/dev/null")
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      pb.environment().put("PGPASSWORD", PgWorkload.PASSWORD);
      long start = System.nanoTime();
      Process p = pb.start();
      if (!p.waitFor(30, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException("pg_recvlogical did not reach " + endLsn + " in 30 min");
      }
      long nanos = System.nanoTime() - start;
      String output = Files.readString(log, StandardCharsets.UTF_8).trim();
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            "pg_recvlogical exited with " + p.exitValue() + ": " + output);
      }
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("slot confirmed end LSN", db.confirmedReached(slot, endLsn));
      if (!output.isEmpty()) {
        details.put("output", output.replace('\n', ' '));
      }
      return new Run(RECV, round, expected, nanos, 0, details);
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private static Run debezium(PgWorkload db, String slot, int round, int expected)
      throws Exception {
    Properties p = debeziumProperties(db.port(), slot);
    String topic = "bench.public." + PgWorkload.TABLE;
    return debeziumRun(p, topic, round, expected);
  }

  /**
   * The embedded engine's configuration for the benchmark database on {@code port}: pgoutput,
   * snapshot.mode=no_data, in-memory offsets, default batch and queue sizes.
   */
  static Properties debeziumProperties(int port, String slot) {
    Properties p = new Properties();
    p.setProperty("name", "bench-" + slot);
    p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    p.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
    p.setProperty("offset.flush.interval.ms", "10000");
    p.setProperty("database.hostname", "localhost");
    p.setProperty("database.port", Integer.toString(port));
    p.setProperty("database.user", "postgres");
    p.setProperty("database.password", PgWorkload.PASSWORD);
    p.setProperty("database.dbname", PgWorkload.DATABASE);
    p.setProperty("topic.prefix", "bench");
    p.setProperty("plugin.name", "pgoutput");
    p.setProperty("slot.name", slot);
    p.setProperty("publication.name", PgWorkload.PUBLICATION);
    p.setProperty("publication.autocreate.mode", "disabled");
    p.setProperty("snapshot.mode", "no_data");
    p.setProperty("table.include.list", "public." + PgWorkload.TABLE);
    return p;
  }

  static Run debeziumRun(Properties p, String topic, int round, int expected) throws Exception {

    AtomicLong count = new AtomicLong();
    AtomicLong firstAt = new AtomicLong();
    AtomicLong lastAt = new AtomicLong();
    AtomicLong others = new AtomicLong();
    AtomicLong failure = new AtomicLong();
    List<String> failureMessage = new java.util.concurrent.CopyOnWriteArrayList<>();
    DebeziumEngine<RecordChangeEvent<SourceRecord>> engine =
        DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
            .using(p)
            .using(
                (success, message, error) -> {
                  if (!success) {
                    failure.incrementAndGet();
                    failureMessage.add(message + (error == null ? "" : ": " + error));
                  }
                })
            .notifying(
                event -> {
                  SourceRecord r = event.record();
                  if (r.value() != null && topic.equals(r.topic())) {
                    long n = count.incrementAndGet();
                    long now = System.nanoTime();
                    if (n == 1) {
                      firstAt.set(now);
                    }
                    if (n == expected) {
                      lastAt.set(now);
                    }
                  } else {
                    others.incrementAndGet();
                  }
                })
            .build();
    ExecutorService executor = Executors.newSingleThreadExecutor();
    long start = System.nanoTime();
    long deadline = start + TimeUnit.MINUTES.toNanos(30);
    try {
      executor.execute(engine);
      while (count.get() < expected) {
        if (failure.get() > 0) {
          throw new IllegalStateException("Debezium stopped: " + failureMessage);
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "Debezium saw " + count.get() + " of " + expected + " records in 30 min");
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
      }
    } finally {
      engine.close();
      executor.shutdown();
      executor.awaitTermination(1, TimeUnit.MINUTES);
    }
    long end = lastAt.get() != 0 ? lastAt.get() : System.nanoTime();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("records", count.get());
    if (others.get() > 0) {
      details.put("other records", others.get());
    }
    return new Run(DEBEZIUM, round, expected, end - start, end - firstAt.get(), details);
  }

  private static PostgresSource source(PgWorkload db, String slot) {
    return PostgresSource.builder()
        .database(
            PostgresDatabase.builder()
                .jdbcUrl(db.jdbcUrl())
                .user("postgres")
                .password(PgWorkload.PASSWORD)
                .build())
        .slotName(slot)
        .publication(PgWorkload.PUBLICATION)
        .createSlot(false)
        .createPublication(false)
        .protocolVersion(1)
        .streaming(false)
        .build();
  }

  private Run poll(PgWorkload db, String slot, int round, int expected) throws Exception {
    long count = 0;
    long first = 0;
    @Nullable ChangeEvent sample = null;
    long start = System.nanoTime();
    long deadline = start + TimeUnit.MINUTES.toNanos(30);
    try (PostgresSource source = source(db, slot)) {
      source.start(context());
      Duration wait = Duration.ofMillis(100);
      while (count < expected) {
        List<ChangeEvent> events = source.poll(4096, wait);
        if (!events.isEmpty()) {
          if (first == 0) {
            first = System.nanoTime();
            sample = events.get(0);
          }
          count += events.size();
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "PostgresSource returned " + count + " of " + expected + " events in 30 min");
        }
      }
      long end = System.nanoTime();
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("events", count);
      if (sample instanceof ChangeEvent.Upsert u) {
        valueTypes = valueTypes(u);
        details.put("value types", valueTypes);
      }
      return new Run(POLL, round, expected, end - start, end - first, details);
    }
  }

  private static Run pipeline(PgWorkload db, String slot, int round, int expected)
      throws Exception {
    CountingSink sink = new CountingSink();
    Pipeline pipeline =
        Pipeline.builder()
            .name("bench-pg")
            .source(source(db, slot))
            .sink(sink)
            .deadLetterStore(new InMemoryDeadLetterStore())
            .build();
    SettledRun run = SettledRun.of(pipeline, expected, TimeUnit.MINUTES.toNanos(30));
    PipelineStatus status = run.status();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("settled", status.eventsSettled());
    details.put("written to sink", sink.written());
    details.put("coalesced", status.eventsCoalesced());
    return new Run(PIPELINE, round, expected, run.nanos(), run.steadyNanos(), details);
  }

  private static String valueTypes(ChangeEvent.Upsert u) {
    StringBuilder s = new StringBuilder();
    u.document()
        .fields()
        .forEach(
            (k, v) -> {
              if (s.length() > 0) {
                s.append(' ');
              }
              s.append(k).append('=').append(v == null ? "null" : v.getClass().getSimpleName());
            });
    return s.toString();
  }

  private static SourceContext context() {
    CheckpointStore store = new InMemoryCheckpointStore();
    return new SourceContext() {
      @Override
      public String pipelineName() {
        return "bench-pg";
      }

      @Override
      public CheckpointStore checkpointStore() {
        return store;
      }
    };
  }

  /** The configured pg_recvlogical, else the newest installed one, else the one on the PATH. */
  Path recvlogical() throws IOException {
    Path configured = settings.recvlogical();
    if (configured != null) {
      if (!Files.isExecutable(configured)) {
        throw new IllegalArgumentException("bench.pg.recvlogical: not executable: " + configured);
      }
      return configured;
    }
    Path root = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(root)) {
      try (Stream<Path> majors = Files.list(root)) {
        List<Path> found =
            majors
                .map(m -> m.resolve("bin/pg_recvlogical"))
                .filter(Files::isExecutable)
                .sorted(Comparator.comparing((Path x) -> majorOf(x)).reversed())
                .toList();
        if (!found.isEmpty()) {
          return found.get(0);
        }
      }
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path p = Path.of(dir, "pg_recvlogical");
      if (!dir.isEmpty() && Files.isExecutable(p)) {
        return p;
      }
    }
    throw new IllegalStateException(
        "pg_recvlogical not found: install the PostgreSQL client (apt-get install"
            + " postgresql-client) or set -Dbench.pg.recvlogical=/path/to/pg_recvlogical");
  }

  private static int majorOf(Path recv) {
    // /usr/lib/postgresql/<major>/bin/pg_recvlogical
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("/postgresql/(\\d+)/bin/").matcher(recv.toString());
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  private static String command(String... args) {
    try {
      Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor(10, TimeUnit.SECONDS);
      return out;
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }
}
