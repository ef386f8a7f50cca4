package dev.driftless.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.driftless.core.Fingerprints;
import dev.driftless.core.Pipeline;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.FingerprintReader.BucketRange;
import dev.driftless.core.spi.FingerprintReader.KeyFingerprint;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.postgres.BackfillSettings;
import dev.driftless.postgres.PostgresDatabase;
import dev.driftless.postgres.PostgresSource;
import dev.driftless.postgres.reconcile.PostgresFingerprintReader;
import dev.driftless.postgres.reconcile.TableMapping;
import dev.driftless.search.IndexRouting;
import dev.driftless.search.MetadataFields;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * Issue "reconciliation": comparing a PostgreSQL table of {@code bench.rows} rows with its search
 * index (OpenSearch here, Elasticsearch in module {@code benchmarks-elasticsearch}: {@link
 * SinkEngine}) when 0, 10 and 1,000 documents differ, by Driftless's {@link Reconciler} (summaries
 * of bucket ranges, listing only mismatching ranges) and by a naive full comparison (every key and
 * fingerprint listed from both sides, diffed in memory).
 *
 * <p>The index is filled by a real {@link Pipeline} ({@link PostgresSource} backfill into the
 * engine's sink), so its documents carry the fingerprints the source computes. Differences are then
 * made behind the pipeline's back through the engine's REST API and undone after each scenario, so
 * every scenario starts from an index that matches the table.
 */
final class ReconcileBenchmark {

  static final String DRIFTLESS = "driftless-reconciler";
  static final String NAIVE = "naive-full-listing";
  private static final int[] SCENARIOS = {0, 10, 1_000};
  private static final String PREFIX = "bench-rec-";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final BenchSettings settings;
  private final SinkEngine engine;
  private final HttpClient http = HttpClient.newHttpClient();
  private String baseUrl = "";
  private @Nullable CountingProxy proxy;

  /** The benchmark on OpenSearch. */
  ReconcileBenchmark(BenchSettings settings) {
    this(settings, new OpenSearchEngine());
  }

  ReconcileBenchmark(BenchSettings settings, SinkEngine engine) {
    this.settings = settings;
    this.engine = engine;
  }

  private SinkEngine.BuiltSink sink(String url) {
    return engine.sink(
        url,
        b ->
            b.routing(IndexRouting.prefixed(PREFIX))
                .indexSettings("{\"number_of_shards\": 1, \"number_of_replicas\": 0}")
                // Both contenders list through this reader: the largest page, so the naive
                // listing is not handicapped by round trips.
                .listPageSize(10_000));
  }

  private long proxyBytes() {
    CountingProxy p = proxy;
    return p == null ? 0 : p.bytes();
  }

  private static String contender(String who, int differences) {
    return who + "@" + differences;
  }

  Report run() throws Exception {
    int rows = settings.rows();
    Report report =
        new Report(
            "reconcile" + engine.reportSuffix(),
            "Reconciliation of a PostgreSQL table with its "
                + engine.name()
                + " index: Driftless Reconciler vs naive full listing",
            "rows");
    report.parameter("rows in the table and documents in the index", rows);
    report.parameter(
        "table",
        "items(id bigint PK, name text, qty int, price numeric(12,2), updated_at timestamptz,"
            + " active boolean)");
    report.parameter(
        "differences per scenario",
        "0; 10 (3 deleted, 3 stale, 4 phantoms); 1,000 (333 deleted, 333 stale, 334 phantoms);"
            + " made through the REST API and undone after each scenario (not accumulated)");
    report.parameter(
        "Reconciler settings",
        "defaults (first level sized from the index's count at ~256 documents per range,"
            + " listThreshold 32, verifyDelay 1 s), report-only: no pipeline, so nothing is"
            + " repaired");
    report.parameter("measured rounds per scenario (contenders alternate)", settings.rounds());
    for (int d : SCENARIOS) {
      report.contender(
          contender(DRIFTLESS, d),
          "`Reconciler.run()` over `PostgresFingerprintReader` and `"
              + engine.sinkClass()
              + ".fingerprintReader()` with "
              + d
              + " differences");
      report.contender(
          contender(NAIVE, d),
          "`PostgresFingerprintReader.list` and the sink's `FingerprintReader.list` over the whole"
              + " bucket range [0, 2^32) (one streamed SELECT; search_after paging), diffed in a"
              + " HashMap, with "
              + d
              + " differences");
      report.ratio(contender(DRIFTLESS, d), contender(NAIVE, d), 1.0);
    }

    System.out.println("[reconcile] starting PostgreSQL and " + engine.name());
    try (PostgresServer server = PostgresServer.startNew();
        SinkEngine.Node node = engine.start()) {
      baseUrl = node.url();
      IndexAdmin admin = new IndexAdmin(http, baseUrl);
      PgWorkload db = new PgWorkload(server);
      db.setUp();
      report.machine("database server", db.serverVersion() + " (separate process, same machine)");
      report.machine("search server", admin.serverVersion() + " (inside the benchmark JVM)");
      fill(db, rows);

      // Closing the backfill's pipeline closes its sink: reconciliation reads through a second
      // one, connected through a relay that counts the index side's bytes.
      SinkEngine.BuiltSink filler = sink(baseUrl);
      String index = filler.indexFor().apply(PgWorkload.TABLE);
      long t0 = System.nanoTime();
      backfill(db, filler.sink(), admin, index, rows);
      URI target = URI.create(baseUrl);
      CountingProxy relay = new CountingProxy(target.getHost(), target.getPort());
      proxy = relay;
      SinkEngine.BuiltSink sink = sink(relay.url());
      report.parameter(
          "index filled by",
          String.format(
              Locale.ROOT,
              "Pipeline(PostgresSource backfill -> %s) in %.1f s; index store %,d bytes",
              engine.sinkClass(),
              (System.nanoTime() - t0) / 1e9,
              admin.storeBytes(index)));

      PostgresFingerprintReader.Builder pg =
          PostgresFingerprintReader.builder()
              .database(
                  PostgresDatabase.builder()
                      .jdbcUrl(db.jdbcUrl())
                      .user("postgres")
                      .password(PgWorkload.PASSWORD)
                      .build())
              .table(TableMapping.of("public", PgWorkload.TABLE));
      for (int d : SCENARIOS) {
        Tamper tamper = tamper(index, rows, d);
        try {
          for (int round = 1; round <= settings.rounds(); round++) {
            boolean naiveFirst = round % 2 == 0;
            for (int i = 0; i < 2; i++) {
              boolean naive = (i == 0) == naiveFirst;
              Run r =
                  naive
                      ? naive(pg.build(), sink.fingerprintReader().get(), d, round, rows, tamper)
                      : driftless(
                          pg.build(), sink.fingerprintReader().get(), d, round, rows, tamper);
              report.run(r);
            }
          }
        } finally {
          restore(index, tamper);
        }
      }
      sink.sink().close();
      relay.close();
    }
    bytesTable(report);
    report.note(
        "The ratio rows above are rows compared per second, Driftless over naive, i.e. naive time /"
            + " Driftless time; each run's details give bytes, rows and documents read. The"
            + " bytes table below compares medians of bytes moved (both readers' bytesRead()).");
    report.note(
        "Bytes moved = the PostgreSQL reader's own bytesRead() plus every HTTP byte (requests and"
            + " responses, headers included, as compressed on the wire) between the index's"
            + " FingerprintReader and "
            + engine.name()
            + ", counted by a loopback TCP relay in front of the"
            + " node. ReconciliationReport.bytesRead (in the Driftless runs' details) counts the"
            + " index side as the client sees the bodies, after decompression, so it is larger.");
    report.note(
        "Restoring between scenarios: deleted documents are written back with their original"
            + " source at the original version + 1 (a delete leaves the engine's version one"
            + " higher); stale documents at their original version (external_gte); phantoms are"
            + " deleted. Phantom ids differ per scenario.");
    report.note(
        "Driftless's time includes the Reconciler's default 1 s verifyDelay whenever a range"
            + " differs (the re-listing that tells in-flight changes from real differences).");
    return report;
  }

  private final Map<String, List<Long>> bytes = new LinkedHashMap<>();

  private void bytesTable(Report report) {
    StringBuilder t = new StringBuilder("Bytes moved (median of rounds): ");
    for (int d : SCENARIOS) {
      double a = medianOf(contender(DRIFTLESS, d));
      double b = medianOf(contender(NAIVE, d));
      t.append(
          String.format(
              Locale.ROOT,
              "%s differences: Driftless %,.0f, naive %,.0f, naive/Driftless = %.1f× (target ≥"
                  + " 10×: %s); ",
              d,
              a,
              b,
              b / a,
              b / a >= 10 ? "met" : "NOT met"));
    }
    report.note(t.toString());
    System.out.println("[reconcile] " + t);
  }

  private double medianOf(String contender) {
    List<Double> v = new ArrayList<>();
    for (long x : bytes.getOrDefault(contender, List.of())) {
      v.add((double) x);
    }
    return v.isEmpty() ? Double.NaN : Run.median(v);
  }

  private Run driftless(
      PostgresFingerprintReader pg, FingerprintReader os, int d, int round, int rows, Tamper tamper)
      throws Exception {
    Reconciler reconciler =
        Reconciler.builder().source(pg).index(os).collection(PgWorkload.TABLE).build();
    long before = proxyBytes();
    long start = System.nanoTime();
    ReconciliationReport r = reconciler.run();
    long nanos = System.nanoTime() - start;
    long indexBytes = proxyBytes() - before;
    long moved = pg.bytesRead() + indexBytes;
    String who = contender(DRIFTLESS, d);
    bytes.computeIfAbsent(who, k -> new ArrayList<>()).add(moved);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("rows read", r.sourceRowsListed());
    details.put("index docs read", r.indexDocumentsListed());
    details.put("bytes (report.bytesRead)", r.bytesRead());
    details.put("bytes moved (pg + index)", moved);
    details.put("pg bytes", pg.bytesRead());
    details.put("index bytes (HTTP, counted by a relay)", indexBytes);
    details.put("summary requests", r.summaryRequests());
    details.put(
        "ranges compared/mismatched", r.bucketRangesCompared() + "/" + r.bucketRangesMismatched());
    details.put("found missing/stale/phantom", r.missing() + "/" + r.stale() + "/" + r.phantom());
    details.put("check", tamper.check(r.missing(), r.stale(), r.phantom()));
    return new Run(who, round, rows, nanos, 0, details);
  }

  private Run naive(
      PostgresFingerprintReader pg, FingerprintReader os, int d, int round, int rows, Tamper tamper)
      throws Exception {
    BucketRange all = new BucketRange(0, Fingerprints.BUCKET_COUNT);
    long before = proxyBytes();
    long start = System.nanoTime();
    List<KeyFingerprint> source = pg.list(PgWorkload.TABLE, all);
    Map<String, Long> byKey = new HashMap<>(source.size() * 2);
    for (KeyFingerprint k : source) {
      byKey.put(k.key().id(), k.fingerprint());
    }
    List<KeyFingerprint> index = os.list(PgWorkload.TABLE, all);
    long stale = 0;
    long phantom = 0;
    for (KeyFingerprint k : index) {
      Long fp = byKey.remove(k.key().id());
      if (fp == null) {
        phantom++;
      } else if (fp != k.fingerprint()) {
        stale++;
      }
    }
    long missing = byKey.size();
    long nanos = System.nanoTime() - start;
    long indexBytes = proxyBytes() - before;
    long moved = pg.bytesRead() + indexBytes;
    String who = contender(NAIVE, d);
    bytes.computeIfAbsent(who, k -> new ArrayList<>()).add(moved);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("rows read", source.size());
    details.put("index docs read", index.size());
    details.put("bytes moved (pg + index)", moved);
    details.put("pg bytes", pg.bytesRead());
    details.put("index bytes (HTTP, counted by a relay)", indexBytes);
    details.put("found missing/stale/phantom", missing + "/" + stale + "/" + phantom);
    details.put("check", tamper.check(missing, stale, phantom));
    return new Run(who, round, rows, nanos, 0, details);
  }

  private static void fill(PgWorkload db, int rows) throws Exception {
    System.out.printf(Locale.ROOT, "[reconcile] inserting %,d rows%n", rows);
    try (Connection c = db.connect();
        PreparedStatement ins =
            c.prepareStatement(
                "INSERT INTO "
                    + PgWorkload.TABLE
                    + " SELECT g, 'item-' || g, (g % 1000)::int, (g % 100000) / 100.0,"
                    + " timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second',"
                    + " g % 3 <> 0 FROM generate_series(?::bigint, ?::bigint) g")) {
      for (long from = 1; from <= rows; from += 100_000) {
        ins.setLong(1, from);
        ins.setLong(2, Math.min(rows, from + 99_999));
        ins.executeUpdate();
      }
      try (Statement s = c.createStatement()) {
        s.execute("ANALYZE " + PgWorkload.TABLE);
      }
    }
  }

  private static void backfill(
      PgWorkload db, VersionedSink sink, IndexAdmin admin, String index, int rows)
      throws Exception {
    System.out.printf(Locale.ROOT, "[reconcile] backfilling %,d rows into %s%n", rows, index);
    PostgresSource source =
        PostgresSource.builder()
            .database(
                PostgresDatabase.builder()
                    .jdbcUrl(db.jdbcUrl())
                    .user("postgres")
                    .password(PgWorkload.PASSWORD)
                    .build())
            .slotName("reconcile_bench")
            .publication(PgWorkload.PUBLICATION)
            .createPublication(false)
            .tables(List.of(PgWorkload.TABLE))
            .backfill(BackfillSettings.builder().tables(List.of(PgWorkload.TABLE)).build())
            .dropSlotOnClose(true)
            .build();
    Pipeline pipeline =
        Pipeline.builder()
            .name("bench-reconcile")
            .source(source)
            .sink(sink)
            .deadLetterStore(new InMemoryDeadLetterStore())
            .build();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
    try {
      pipeline.start();
      while (pipeline.status().eventsSettled() < rows) {
        if (pipeline.failure().isPresent() || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "backfill did not settle: " + pipeline.status().summary(),
              pipeline.failure().orElse(null));
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
      }
    } finally {
      pipeline.close();
    }
    long count = admin.refreshAndCount(index);
    if (count != rows) {
      throw new IllegalStateException("index holds " + count + " documents, expected " + rows);
    }
  }

  /** What one scenario changed: originals to put back, and phantom ids to delete. */
  private record Tamper(
      List<JsonNode> deleted, List<JsonNode> stale, List<String> phantoms, String index) {
    String check(long missing, long staleFound, long phantom) {
      boolean ok =
          missing == deleted.size() && staleFound == stale.size() && phantom == phantoms.size();
      return ok
          ? "ok"
          : "MISMATCH: made " + deleted.size() + "/" + stale.size() + "/" + phantoms.size();
    }
  }

  private Tamper tamper(String index, int rows, int d) throws Exception {
    int del = d * 333 / 1000;
    int stl = d * 333 / 1000;
    if (d == 10) {
      del = 3;
      stl = 3;
    }
    int ph = d - del - stl;
    List<String> targets = new ArrayList<>();
    long step = Math.max(1, rows / (long) Math.max(1, del + stl + 1));
    for (int i = 0; i < del + stl; i++) {
      targets.add(Long.toString(1 + (i + 1L) * step - 7L * (i % 3)));
    }
    List<JsonNode> originals = new ArrayList<>();
    if (!targets.isEmpty()) {
      ObjectNode body = JSON.createObjectNode();
      targets.forEach(body.putArray("ids")::add);
      JsonNode mget = JSON.readTree(send("POST", "/" + index + "/_mget", body.toString()));
      for (JsonNode doc : mget.path("docs")) {
        if (!doc.path("found").asBoolean()) {
          throw new IllegalStateException("no document " + doc.path("_id") + " in " + index);
        }
        originals.add(doc);
      }
    }
    List<JsonNode> deleted = originals.subList(0, del);
    List<JsonNode> stale = originals.subList(del, del + stl);
    List<String> phantoms = new ArrayList<>();
    StringBuilder bulk = new StringBuilder();
    for (JsonNode doc : deleted) {
      bulk.append("{\"delete\":{\"_id\":\"").append(doc.path("_id").asText()).append("\"}}\n");
    }
    for (JsonNode doc : stale) {
      ObjectNode src = ((ObjectNode) doc.path("_source")).deepCopy();
      src.put("name", "tampered");
      long low = src.path(MetadataFields.FP_LOW).asLong();
      src.put(MetadataFields.FP_LOW, (low + 1) & ((1L << 21) - 1));
      bulk.append(indexLine(doc.path("_id").asText(), doc.path("_version").asLong()))
          .append(src)
          .append('\n');
    }
    JsonNode template = originals.isEmpty() ? null : originals.get(0).path("_source");
    for (int i = 0; i < ph; i++) {
      // Fresh ids per scenario: an id deleted by an earlier restore keeps a higher tombstone
      // version.
      String id = Long.toString(2_000_000_000L + 10_000L * d + i);
      long perKey = Fingerprints.perKey(id, 0x5eed_0000L + i);
      ObjectNode src =
          template == null ? JSON.createObjectNode() : ((ObjectNode) template).deepCopy();
      src.put("id", id);
      src.remove(MetadataFields.KEY); // as the sink writes an ordinary key: it is its _id
      src.remove(MetadataFields.VERSION); // nor a copy of its version: that is _version
      src.put(MetadataFields.BUCKET, Fingerprints.bucket(id));
      src.put(MetadataFields.FP_LOW, Fingerprints.low(perKey));
      src.put(MetadataFields.FP_MID, Fingerprints.mid(perKey));
      src.put(MetadataFields.FP_HIGH, Fingerprints.high(perKey));
      bulk.append(indexLine(id, 1)).append(src).append('\n');
      phantoms.add(id);
    }
    if (bulk.length() > 0) {
      bulk(index, bulk.toString());
    }
    System.out.printf(
        Locale.ROOT,
        "[reconcile] scenario %d: deleted %d, stale %d, phantoms %d%n",
        d,
        deleted.size(),
        stale.size(),
        phantoms.size());
    return new Tamper(deleted, stale, phantoms, index);
  }

  private void restore(String index, Tamper t) throws Exception {
    StringBuilder bulk = new StringBuilder();
    for (JsonNode doc : t.deleted()) {
      // A delete leaves the engine's version one higher (its tombstone): write the original
      // source back one version above that, since an equal version would be refused.
      bulk.append(indexLine(doc.path("_id").asText(), doc.path("_version").asLong() + 1))
          .append(doc.path("_source"))
          .append('\n');
    }
    for (JsonNode doc : t.stale()) {
      bulk.append(indexLine(doc.path("_id").asText(), doc.path("_version").asLong()))
          .append(doc.path("_source"))
          .append('\n');
    }
    for (String id : t.phantoms()) {
      bulk.append("{\"delete\":{\"_id\":\"").append(id).append("\"}}\n");
    }
    if (bulk.length() > 0) {
      bulk(index, bulk.toString());
    }
  }

  private static String indexLine(String id, long version) {
    return "{\"index\":{\"_id\":\""
        + id
        + "\",\"version\":"
        + version
        + ",\"version_type\":\"external_gte\"}}\n";
  }

  private void bulk(String index, String ndjson) throws Exception {
    JsonNode r =
        JSON.readTree(
            send("POST", "/" + index + "/_bulk?refresh=true", ndjson, "application/x-ndjson"));
    if (r.path("errors").asBoolean()) {
      throw new IllegalStateException("tampering bulk failed: " + r);
    }
  }

  private String send(String method, String path, String body) throws Exception {
    return send(method, path, body, "application/json");
  }

  private String send(String method, String path, String body, String type)
      throws IOException, InterruptedException {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(baseUrl + path))
            .timeout(Duration.ofMinutes(2))
            .header("Content-Type", type)
            .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build();
    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IOException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return r.body();
  }
}
