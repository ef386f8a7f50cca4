package dev.driftless.benchmarks;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.search.IndexMapping;
import dev.driftless.search.IndexRouting;
import dev.driftless.search.internal.BulkEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Issue "Elasticsearch and OpenSearch versioned sinks": documents per second through Driftless's
 * sink for one engine ({@link SinkEngine}: OpenSearch here, Elasticsearch in module {@code
 * benchmarks-elasticsearch}; through a {@link Pipeline}, and directly) against a raw bulk loader
 * sending the same documents in the same bulk size and concurrency, into the same node in the same
 * run.
 *
 * <p>Every run writes a fresh index created with the same body (the sink's merged mapping and
 * {@link Corpus#INDEX_SETTINGS}, refresh off), checks afterwards that the index holds every
 * document, and deletes it, so each run starts on an empty node.
 */
final class SinkBenchmark {

  static final String RAW = "raw-bulk";
  static final String RAW_STORED = "raw-bulk-stored-form";
  static final String SINK = "driftless-sink";
  static final String PIPELINE = "driftless-pipeline";

  private final BenchSettings settings;
  private final SinkEngine engine;

  /** The benchmark on OpenSearch. */
  SinkBenchmark(BenchSettings settings) {
    this(settings, new OpenSearchEngine());
  }

  SinkBenchmark(BenchSettings settings, SinkEngine engine) {
    this.settings = settings;
    this.engine = engine;
  }

  Report run() throws Exception {
    Report report =
        new Report(
            "sink" + engine.reportSuffix(),
            "Sink throughput: Driftless " + engine.name() + " sink vs raw _bulk",
            "docs");
    int rows = settings.rows();
    report.parameter("documents per run", rows);
    report.parameter("bulk size (docs per _bulk request / pipeline batch)", settings.bulk());
    report.parameter(
        "concurrency (concurrent bulk requests, every contender)", settings.concurrency());
    report.parameter("measured rounds (contenders alternate)", settings.rounds());
    report.parameter("warm-up documents per contender", settings.warmupRows());
    report.parameter("index settings", "`" + Corpus.INDEX_SETTINGS + "`");
    report.parameter("user mapping", "`" + Corpus.MAPPING + "`");
    report.contender(
        RAW,
        "the baseline: the same documents serialised by hand into NDJSON `_bulk` requests, sent"
            + " with java.net.http.HttpClient, no versioning, no metadata fields, no retries");
    report.contender(
        RAW_STORED,
        "the same raw loader sending each document exactly as the Driftless index stores it (its"
            + " fields and the metadata fields, checked byte for byte against the sink's source"
            + " lines), without versioning: the sink's own cost, apart from the index schema it"
            + " needs");
    report.contender(
        SINK,
        "`"
            + engine.sinkClass()
            + ".write(batch)` called directly from the same number of threads with"
            + " batches of the bulk size (versioned `external_gte` bulk, metadata fields, per-item"
            + " classification)");
    report.contender(
        PIPELINE,
        "`Pipeline` (batchSize = bulk size, parallelism = concurrency) from a pre-filled"
            + " in-memory source into `"
            + engine.sinkClass()
            + "`; timed from `start()` until every event is"
            + " settled");
    report.ratio(PIPELINE, RAW, 0.85);
    report.ratio(SINK, RAW, 0.85);
    report.ratio(PIPELINE, RAW_STORED, 0.90);
    report.ratio(SINK, RAW_STORED, 0.90);

    System.out.printf(Locale.ROOT, "[sink] generating %,d documents%n", rows);
    List<ChangeEvent> events = Corpus.events(rows);
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    System.out.println("[sink] starting " + engine.name());
    try (SinkEngine.Node node = engine.start()) {
      IndexAdmin admin = new IndexAdmin(http, node.url());
      report.machine("search server", admin.serverVersion() + " (" + engine.nodePlacement() + ")");
      describeBytes(report, events);
      engine
          .checkWireForm(node.url(), events.subList(0, Math.min(events.size(), 1_000)))
          .ifPresent(report::note);

      System.out.println("[sink] warm-up");
      List<ChangeEvent> warm = events.subList(0, settings.warmupRows());
      for (String contender : List.of(RAW, RAW_STORED, SINK, PIPELINE)) {
        measure(contender, "warm-" + contender + "-", warm, admin, http, 0);
      }
      for (int round = 1; round <= settings.rounds(); round++) {
        List<String> order = new ArrayList<>(List.of(RAW, RAW_STORED, SINK, PIPELINE));
        java.util.Collections.rotate(order, -(round - 1));
        for (String contender : order) {
          String prefix = "bench-" + contender + "-r" + round + "-";
          report.run(measure(contender, prefix, events, admin, http, round));
        }
      }
    }
    report.note(engine.nodeNote());
    report.note(
        "`driftless-*` documents carry the Driftless metadata fields (bucket and three"
            + " fingerprint parts; the key only where its `_id` is an encoded one, which no key of"
            + " this corpus is; no copy of the version since issue 17) and an external version per"
            + " item. `raw-bulk-stored-form`"
            + " sends the same stored documents without versions, so its ratio is the sink's own"
            + " cost; `raw-bulk` sends neither, so its ratio adds the cost of indexing the metadata"
            + " fields (compare `node cpu s`).");
    report.note(
        "`cpu s` in the runs is the CPU time of the whole benchmark JVM (client and node) during"
            + " the timed load; `docs per cpu s` divides the documents by it. It moves less than"
            + " docs/s when other work takes cores away from the run (though it still rises then,"
            + " and in the first run after the warm-up), so compare it across contenders of the"
            + " same round when the wall-clock rates are noisy.");
    report.note(
        "Each run loads a fresh index (deleted after the run, after checking that it holds every"
            + " document), so no run indexes into a bigger index than another.");
    return report;
  }

  private Run measure(
      String contender,
      String prefix,
      List<ChangeEvent> events,
      IndexAdmin admin,
      HttpClient http,
      int round)
      throws Exception {
    String index = prefix + Corpus.COLLECTION;
    Map<String, Object> details = new LinkedHashMap<>();
    long nanos;
    long cpuBefore;
    ThreadCpu threads;
    switch (contender) {
      case RAW, RAW_STORED -> {
        admin.create(
            index, IndexMapping.merge(Corpus.MAPPING).createIndexBody(Corpus.INDEX_SETTINGS));
        RawBulkLoader loader =
            new RawBulkLoader(
                http,
                admin.baseUrl(),
                settings.bulk(),
                settings.concurrency(),
                contender.equals(RAW_STORED));
        long start = System.nanoTime();
        cpuBefore = processCpuNanos();
        threads = ThreadCpu.start();
        long bytes = loader.load(index, events);
        nanos = System.nanoTime() - start;
        details.put("bytes sent", bytes);
      }
      case SINK -> {
        SinkEngine.BuiltSink built = sink(admin.baseUrl(), prefix);
        try (VersionedSink sink = built.sink()) {
          sink.start(context());
          String unused = built.indexFor().apply(Corpus.COLLECTION); // creates it, untimed
          long start = System.nanoTime();
          cpuBefore = processCpuNanos();
          threads = ThreadCpu.start();
          AtomicInteger cursor = new AtomicInteger();
          AtomicLong notApplied = new AtomicLong();
          Workers.run(
              settings.concurrency(),
              () -> {
                while (true) {
                  int from = cursor.getAndAdd(settings.bulk());
                  if (from >= events.size()) {
                    return;
                  }
                  List<ChangeEvent> batch =
                      events.subList(from, Math.min(events.size(), from + settings.bulk()));
                  for (WriteResult r : sink.write(batch)) {
                    if (!(r instanceof WriteResult.Applied)) {
                      notApplied.incrementAndGet();
                    }
                  }
                }
              });
          nanos = System.nanoTime() - start;
          if (notApplied.get() > 0) {
            throw new IllegalStateException(
                notApplied.get() + " items were not applied by the sink in " + index);
          }
        }
      }
      case PIPELINE -> {
        SinkEngine.BuiltSink built = sink(admin.baseUrl(), prefix);
        VersionedSink sink = built.sink();
        String unused = built.indexFor().apply(Corpus.COLLECTION); // creates it, untimed
        Pipeline pipeline =
            Pipeline.builder()
                .name("bench-sink")
                .source(new PrefilledSource(events))
                .sink(sink)
                .deadLetterStore(new InMemoryDeadLetterStore())
                .batchSize(settings.bulk())
                .parallelism(settings.concurrency())
                .maxInFlightEvents(Math.max(10_000, settings.bulk() * settings.concurrency() * 4))
                .build();
        PipelineStatus status;
        try {
          long start = System.nanoTime();
          cpuBefore = processCpuNanos();
          threads = ThreadCpu.start();
          pipeline.start();
          long deadline = start + TimeUnit.MINUTES.toNanos(30);
          while (true) {
            status = pipeline.status();
            if (status.eventsSettled() >= events.size()) {
              break;
            }
            if (pipeline.failure().isPresent() || System.nanoTime() > deadline) {
              throw new IllegalStateException(
                  "pipeline did not settle every event: " + status.summary(),
                  pipeline.failure().orElse(null));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
          }
          nanos = System.nanoTime() - start;
        } finally {
          pipeline.close();
        }
        if (status.eventsApplied() != events.size()) {
          throw new IllegalStateException("not every event was applied: " + status.summary());
        }
        details.put("retries", status.retries());
      }
      default -> throw new IllegalArgumentException("unknown contender " + contender);
    }
    long cpu = processCpuNanos() - cpuBefore;
    threads.close();
    if (cpuBefore >= 0 && cpu >= 0) {
      // CPU of the whole JVM (client and node) during the timed load: unlike docs/s, it hardly
      // moves when other work on the machine takes cores away from the run.
      details.put("cpu s", String.format(Locale.ROOT, "%.1f", cpu / 1e9));
      details.put("docs per cpu s", Math.round(events.size() / (cpu / 1e9)));
    }
    if (ThreadCpu.supported()) {
      details.put("node cpu s", String.format(Locale.ROOT, "%.1f", threads.serverNanos() / 1e9));
      details.put("client cpu s", String.format(Locale.ROOT, "%.1f", threads.clientNanos() / 1e9));
    }
    long count = admin.refreshAndCount(index);
    if (count != events.size()) {
      throw new IllegalStateException(
          index
              + " holds "
              + count
              + " documents after "
              + contender
              + ", expected "
              + events.size());
    }
    details.put("store bytes", admin.storeBytes(index));
    admin.delete(index);
    return new Run(contender, round, events.size(), nanos, 0, details);
  }

  /** CPU time of this JVM so far, or -1 when the JVM does not tell. */
  private static long processCpuNanos() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  private SinkEngine.BuiltSink sink(String url, String prefix) {
    return engine.sink(
        url,
        b ->
            b.routing(IndexRouting.prefixed(prefix))
                .mapping(Corpus.COLLECTION, Corpus.MAPPING)
                .indexSettings(Corpus.INDEX_SETTINGS)
                .maxRequestItems(settings.bulk()));
  }

  private SinkContext context() {
    int bulk = settings.bulk();
    return new SinkContext() {
      @Override
      public String pipelineName() {
        return "bench-sink";
      }

      @Override
      public int maxBatchEvents() {
        return bulk;
      }

      @Override
      public long maxBatchBytes() {
        return 5L * 1024 * 1024;
      }
    };
  }

  /** Average NDJSON bytes per document of each contender, from a sample, for the report. */
  private static void describeBytes(Report report, List<ChangeEvent> events) {
    List<ChangeEvent> sample = events.subList(0, Math.min(events.size(), 10_000));
    long raw = RawBulkLoader.body(sample, false).length;
    long stored = RawBulkLoader.body(sample, true).length;
    long driftless = 0;
    for (ChangeEvent e : sample) {
      ChangeEvent.Upsert u = (ChangeEvent.Upsert) e;
      byte[] lines = BulkEncoder.index(null, u.key().id(), u.version().value(), u.document());
      driftless += lines.length;
      // The stored-form baseline must send exactly the sink's documents, or it measures nothing.
      String sinkSource = new String(lines, StandardCharsets.UTF_8).split("\n")[1];
      StringBuilder rawSource = new StringBuilder();
      RawBulkLoader.source(rawSource, u, true);
      if (!sinkSource.equals(rawSource.toString())) {
        throw new IllegalStateException(
            "the stored-form loader's source differs from the sink's:\n"
                + rawSource
                + "\n"
                + sinkSource);
      }
    }
    report.parameter(
        "NDJSON bytes per document (action + source)",
        String.format(
            Locale.ROOT,
            "%s %.0f, %s %.0f, driftless %.0f (sample of %d)",
            RAW,
            raw / (double) sample.size(),
            RAW_STORED,
            stored / (double) sample.size(),
            driftless / (double) sample.size(),
            sample.size()));
  }
}
