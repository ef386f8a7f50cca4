package dev.driftless.benchmarks;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Pipeline;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.dynamodb.DynamoDbStreamsSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;

/**
 * DynamoDB Streams source throughput against a plain SDK loop over the same shards (the ceiling),
 * with 1 and with 64 shards, and the end-to-end delay from a write to the sink call at a steady
 * write rate. Everything runs against the in-process emulator through the real SDK v2 clients. See
 * README.md, section {@code dynamodb}.
 */
final class DynamoDbBenchmark {
  static final int[] SHARD_COUNTS = {1, 64};
  static final int READERS = 8; // the source's default maxConcurrentReads
  static final int DELAY_WRITES_PER_SECOND = 200;
  static final Duration DELAY_WRITE_TIME = Duration.ofSeconds(20);
  static final Duration DELAY_WARMUP = Duration.ofSeconds(3);
  static final Duration[] POLL_INTERVALS = {Duration.ofMillis(500), Duration.ofMillis(100)};
  private static final String SDK = "sdk-getrecords";
  private static final String POLL = "driftless-poll";
  private static final String PIPELINE = "driftless-pipeline";
  private static final long RUN_LIMIT_NANOS = TimeUnit.MINUTES.toNanos(20);

  /** The pipeline's default {@code commitInterval}. */
  private static final long COMMIT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final BenchSettings settings;
  private final ExecutorService workers =
      Executors.newFixedThreadPool(
          READERS,
          r -> {
            Thread t = new Thread(r, "bench-ddb-worker");
            t.setDaemon(true);
            return t;
          });

  DynamoDbBenchmark(BenchSettings settings) {
    this.settings = settings;
  }

  Report run() throws Exception {
    Report report =
        new Report(
            "dynamodb",
            "DynamoDB Streams source throughput: DynamoDbStreamsSource vs a plain GetRecords loop",
            "records");
    int rows = settings.rows();
    String loadAtStart = MachineFacts.loadAverage();
    for (int shards : SHARD_COUNTS) {
      report.contender(SDK + "@" + shards, sdkDescription(shards));
      report.contender(
          POLL + "@" + shards,
          "`DynamoDbStreamsSource.poll(4096, 100 ms)` in a loop, committing the last position"
              + " returned once a second (the pipeline's default commitInterval), default settings (8 reader threads, 1,000 records per GetRecords), timed"
              + " from `start()` until every record was returned");
      report.contender(
          PIPELINE + "@" + shards,
          "`Pipeline` (default settings) from `DynamoDbStreamsSource` (default settings) into a"
              + " counting no-op sink, timed from `start()` until every record is settled");
      report.ratio(POLL + "@" + shards, SDK + "@" + shards, 0.80);
      report.ratio(PIPELINE + "@" + shards, SDK + "@" + shards, 0.80);
    }
    report.parameter("stream records per run", rows + " (one put of a new item each)");
    report.parameter(
        "item", "id S, name S, qty N, price N (decimal), active BOOL; NEW_AND_OLD_IMAGES stream");
    report.parameter("shards", "1 and 64 (emulator partitions; no rollover, no split)");
    report.parameter("measured rounds (contenders alternate)", settings.rounds());
    report.parameter(
        "warm-up records (every contender, before the measured rounds)", settings.warmupRows());
    report.parameter("GetRecords Limit", 1000);
    report.parameter(
        "reader threads", READERS + " (the source's default; the SDK loop uses min(8, shards))");
    report.parameter(
        "HTTP client",
        "url-connection-client for every contender, -Dhttp.maxConnections=64 (keep-alive pool)");
    report.machine(
        "emulator",
        "test-infra DynamoDbEmulator, in the benchmark JVM (JDK HTTP server, 32 threads)");
    report.machine("aws sdk", software.amazon.awssdk.core.util.VersionInfo.SDK_VERSION);

    for (int shards : SHARD_COUNTS) {
      try (DdbFixture ddb = new DdbFixture(shards)) {
        String table = "items_" + shards;
        ddb.createTable(table);
        long loadStart = System.nanoTime();
        ddb.load(table, rows, workers, 4);
        double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
        int listed = ddb.shardIds(table).size();
        if (listed != shards) {
          throw new IllegalStateException(table + " lists " + listed + " shards, not " + shards);
        }
        report.parameter(
            "load of " + table,
            String.format(
                Locale.ROOT, "%,d items in %.1f s (BatchWriteItem, 4 threads)", rows, loadSeconds));
        int warm = settings.warmupRows();
        sdkLoop(ddb, table, 0, warm);
        poll(ddb, table, 0, warm);
        pipeline(ddb, table, 0, warm);
        for (int round = 1; round <= settings.rounds(); round++) {
          for (int k = 0; k < 3; k++) {
            switch ((round - 1 + k) % 3) {
              case 0 -> report.run(sdkLoop(ddb, table, round, rows));
              case 1 -> report.run(poll(ddb, table, round, rows));
              default -> report.run(pipeline(ddb, table, round, rows));
            }
          }
        }
      }
    }
    delays(report);
    spreadNote(report);
    report.note(
        "Load average "
            + loadAtStart
            + " at start and "
            + MachineFacts.loadAverage()
            + " at end (1, 5, 15 min) on "
            + Runtime.getRuntime().availableProcessors()
            + " cores; the benchmark itself (emulator, SDK clients, source) keeps about two busy, so"
            + " a clearly higher load means other work competed for the CPU and the spreads widen:"
            + " compare medians, and re-run on a quiet machine before drawing fine conclusions.");
    report.note(
        "The emulator serves every contender in the same JVM: GetRecords' JSON encoding in the"
            + " emulator and decoding in the SDK are most of the work, so the SDK loop is the"
            + " ceiling of this machine, not of DynamoDB (where a shard serves 2 MB/s and five"
            + " GetRecords calls a second).");
    report.note(
        "The source converts every record (attribute values to JDK values, a derived version per"
            + " key) and keeps per-shard settle tracking; the SDK loop only counts the records of"
            + " each page.");
    workers.shutdownNow();
    return report;
  }

  private static String sdkDescription(int shards) {
    return "the ceiling: DescribeStream (paginated), then per shard GetShardIterator(TRIM_HORIZON)"
        + " and GetRecords(Limit 1000) until an empty page, on "
        + Math.min(READERS, shards)
        + " thread(s), counting records and doing nothing else";
  }

  // ------------------------------------------------------------------------------- contenders

  private Run sdkLoop(DdbFixture ddb, String table, int round, int expected) throws Exception {
    AtomicLong count = new AtomicLong();
    AtomicLong pages = new AtomicLong();
    AtomicLong first = new AtomicLong();
    long start = System.nanoTime();
    ConcurrentLinkedQueue<String> shards = new ConcurrentLinkedQueue<>(ddb.shardIds(table));
    String arn = ddb.streamArn(table);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < Math.min(READERS, ddb.partitions); t++) {
      done.add(
          workers.submit(
              () -> {
                String shard;
                while ((shard = shards.poll()) != null && count.get() < expected) {
                  String shardId = shard;
                  String iterator =
                      ddb.streams
                          .getShardIterator(
                              b ->
                                  b.streamArn(arn)
                                      .shardId(shardId)
                                      .shardIteratorType(ShardIteratorType.TRIM_HORIZON))
                          .shardIterator();
                  while (iterator != null && count.get() < expected) {
                    String it = iterator;
                    GetRecordsResponse page =
                        ddb.streams.getRecords(b -> b.shardIterator(it).limit(1000));
                    int n = page.records().size();
                    pages.incrementAndGet();
                    if (n == 0) {
                      break; // caught up with an open shard: nothing more was written
                    }
                    first.compareAndSet(0, System.nanoTime());
                    count.addAndGet(n);
                    iterator = page.nextShardIterator();
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : done) {
      f.get(RUN_LIMIT_NANOS, TimeUnit.NANOSECONDS);
    }
    long end = System.nanoTime();
    if (count.get() < expected) {
      throw new IllegalStateException(
          "the SDK loop read " + count + " of " + expected + " records");
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("records", count.get());
    details.put("GetRecords calls", pages.get());
    return new Run(
        SDK + "@" + ddb.partitions, round, expected, end - start, end - first.get(), details);
  }

  private static DynamoDbStreamsSource source(DdbFixture ddb, String table) {
    return DynamoDbStreamsSource.builder()
        .dynamoDbClient(ddb.dynamoDb)
        .streamsClient(ddb.streams)
        .table(table)
        .build();
  }

  private static Run poll(DdbFixture ddb, String table, int round, int expected) throws Exception {
    long count = 0;
    long first = 0;
    long start = System.nanoTime();
    try (DynamoDbStreamsSource source = source(ddb, table)) {
      source.start(context("bench-ddb-poll-" + round));
      long nextCommit = start + COMMIT_INTERVAL_NANOS;
      @Nullable SourcePosition last = null;
      while (count < expected) {
        List<ChangeEvent> events = source.poll(4096, Duration.ofMillis(100));
        if (!events.isEmpty()) {
          if (first == 0) {
            first = System.nanoTime();
          }
          count += events.size();
          last = events.get(events.size() - 1).position();
        }
        // Every record handed out counts as settled; commit like the pipeline, once a second.
        if (last != null && (count >= expected || System.nanoTime() >= nextCommit)) {
          source.commit(last);
          nextCommit = System.nanoTime() + COMMIT_INTERVAL_NANOS;
        }
        if (System.nanoTime() - start > RUN_LIMIT_NANOS) {
          throw new IllegalStateException(
              "DynamoDbStreamsSource returned "
                  + count
                  + " of "
                  + expected
                  + " records: "
                  + source.statusDetails());
        }
      }
      long end = System.nanoTime();
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("records", count);
      details.put("throttles", source.statusDetails().get("throttles"));
      return new Run(
          POLL + "@" + ddb.partitions, round, expected, end - start, end - first, details);
    }
  }

  private static Run pipeline(DdbFixture ddb, String table, int round, int expected)
      throws Exception {
    CountingSink sink = new CountingSink();
    Pipeline pipeline =
        Pipeline.builder()
            .name("bench-ddb-" + round)
            .source(source(ddb, table))
            .sink(sink)
            .checkpointStore(new InMemoryCheckpointStore())
            .deadLetterStore(new InMemoryDeadLetterStore())
            .build();
    SettledRun run = SettledRun.of(pipeline, expected, RUN_LIMIT_NANOS);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("settled", run.status().eventsSettled());
    details.put("written to sink", sink.written());
    return new Run(
        PIPELINE + "@" + ddb.partitions, round, expected, run.nanos(), run.steadyNanos(), details);
  }

  private static SourceContext context(String name) {
    CheckpointStore store = new InMemoryCheckpointStore();
    return new SourceContext() {
      @Override
      public String pipelineName() {
        return name;
      }

      @Override
      public CheckpointStore checkpointStore() {
        return store;
      }
    };
  }

  // ----------------------------------------------------------------------------- delays

  /**
   * Writes new items at a steady rate while a pipeline follows the table, and records, in the sink,
   * the time from each put's return to the sink call that carries it (same JVM, same monotonic
   * clock; the write time travels in the item).
   */
  private void delays(Report report) throws Exception {
    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            Locale.ROOT,
            "A pipeline (default settings except the poll interval) follows a table of 4 shards while"
                + " one thread puts %d new items a second for %d s; the first %d s are not counted."
                + " Delay: from the put's return to the sink call carrying the item.%n%n",
            DELAY_WRITES_PER_SECOND,
            DELAY_WRITE_TIME.toSeconds(),
            DELAY_WARMUP.toSeconds()));
    md.append("| poll interval | samples | p50 ms | p90 ms | p99 ms | max ms |\n");
    md.append("|---|---:|---:|---:|---:|---:|\n");
    List<Map<String, Object>> json = new ArrayList<>();
    try (DdbFixture ddb = new DdbFixture(4)) {
      for (Duration interval : POLL_INTERVALS) {
        String table = "delay_" + interval.toMillis();
        ddb.createTable(table);
        DelaySink sink = new DelaySink();
        DynamoDbStreamsSource source =
            DynamoDbStreamsSource.builder()
                .dynamoDbClient(ddb.dynamoDb)
                .streamsClient(ddb.streams)
                .table(table)
                .pollInterval(interval)
                .build();
        int writes;
        try (Pipeline pipeline =
            Pipeline.builder()
                .name("bench-ddb-delay-" + interval.toMillis())
                .source(source)
                .sink(sink)
                .checkpointStore(new InMemoryCheckpointStore())
                .deadLetterStore(new InMemoryDeadLetterStore())
                .build()
                .start()) {
          writes = writeSteadily(ddb, table, sink);
          long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
          while (pipeline.status().eventsSettled() < writes) {
            if (pipeline.failure().isPresent() || System.nanoTime() > deadline) {
              throw new IllegalStateException(
                  "delay pipeline did not settle: " + pipeline.status().summary(),
                  pipeline.failure().orElse(null));
            }
            pipeline.awaitIdle(Duration.ofMillis(100));
          }
        }
        Histogram h = sink.histogram();
        String p =
            interval.toMillis() + " ms" + (interval.equals(POLL_INTERVALS[0]) ? " (default)" : "");
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %,d | %.1f | %.1f | %.1f | %.1f |%n",
                p,
                h.getTotalCount(),
                h.getValueAtPercentile(50) / 1000.0,
                h.getValueAtPercentile(90) / 1000.0,
                h.getValueAtPercentile(99) / 1000.0,
                h.getMaxValue() / 1000.0));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pollIntervalMillis", interval.toMillis());
        m.put("writes", writes);
        m.put("samples", h.getTotalCount());
        m.put("p50Millis", h.getValueAtPercentile(50) / 1000.0);
        m.put("p90Millis", h.getValueAtPercentile(90) / 1000.0);
        m.put("p99Millis", h.getValueAtPercentile(99) / 1000.0);
        m.put("maxMillis", h.getMaxValue() / 1000.0);
        json.add(m);
        System.out.printf(Locale.ROOT, "[dynamodb] delay at poll interval %s: %s%n", p, m);
      }
    }
    md.append(
        "\nAn open shard that answered an empty page is polled again one poll interval later, so a"
            + " write waits on average about half the interval before it is read, plus the"
            + " pipeline's `linger` (5 ms) and the emulator and SDK round trips.\n");
    report.section("End-to-end delay at a steady rate", md.toString());
    report.json("delays", json);
  }

  /** Puts new items at {@link #DELAY_WRITES_PER_SECOND}; returns how many. */
  private static int writeSteadily(DdbFixture ddb, String table, DelaySink sink) {
    long start = System.nanoTime();
    long pause = TimeUnit.SECONDS.toNanos(1) / DELAY_WRITES_PER_SECOND;
    int total = (int) (DELAY_WRITE_TIME.toSeconds() * DELAY_WRITES_PER_SECOND);
    sink.countFrom(start + DELAY_WARMUP.toNanos());
    for (int i = 0; i < total; i++) {
      long due = start + i * pause;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      Map<String, software.amazon.awssdk.services.dynamodb.model.AttributeValue> item =
          new java.util.HashMap<>(DdbFixture.item(i));
      ddb.dynamoDb.putItem(b -> b.tableName(table).item(item));
      sink.written("k" + i, System.nanoTime());
    }
    return total;
  }

  private static void spreadNote(Report report) {
    StringBuilder s =
        new StringBuilder("Spread of the runs (slowest–fastest records/s, fastest / slowest):");
    for (int shards : SHARD_COUNTS) {
      for (String c : List.of(SDK, POLL, PIPELINE)) {
        String name = c + "@" + shards;
        List<Double> rates = report.rates(name);
        if (!rates.isEmpty()) {
          double min = Collections.min(rates);
          double max = Collections.max(rates);
          s.append(
              String.format(Locale.ROOT, " `%s` %,.0f–%,.0f (%.2f×);", name, min, max, max / min));
        }
      }
    }
    report.note(s.substring(0, s.length() - 1) + ".");
  }

  /**
   * Applies everything and records, per upsert, the time since its put returned. The put's return
   * time is registered by the writer right after the put; an item the sink sees first (possible
   * when the pipeline is faster than the writer's bookkeeping) is matched when the writer registers
   * it. Thread-safe.
   */
  static final class DelaySink implements VersionedSink {
    private final Map<String, Long> putAt = new java.util.HashMap<>();
    private final Map<String, Long> seenAt = new java.util.HashMap<>();
    private final Histogram histogram = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
    private long countFrom = Long.MAX_VALUE;

    synchronized void countFrom(long nanos) {
      countFrom = nanos;
    }

    synchronized void written(String id, long nanos) {
      Long seen = seenAt.remove(id);
      if (seen != null) {
        record(nanos, seen);
      } else {
        putAt.put(id, nanos);
      }
    }

    @Override
    public synchronized List<WriteResult> write(List<ChangeEvent> batch) {
      long now = System.nanoTime();
      for (ChangeEvent e : batch) {
        String id = e.key().id();
        Long put = putAt.remove(id);
        if (put != null) {
          record(put, now);
        } else {
          seenAt.put(id, now);
        }
      }
      return Collections.nCopies(batch.size(), WriteResult.applied());
    }

    private void record(long put, long seen) {
      if (put >= countFrom) {
        histogram.recordValue(Math.max(0, (seen - put) / 1000));
      }
    }

    synchronized Histogram histogram() {
      return histogram.copy();
    }
  }
}
