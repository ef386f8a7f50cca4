package dev.driftless.benchmarks;

import dev.driftless.testinfra.postgres.PostgresServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bigtx}: one transaction of {@code bench.rows} inserted rows (a million by default), read
 * by Driftless's pipeline and by Debezium's embedded engine, each in a child JVM capped at each
 * heap of {@code bench.bigtx.heaps}, and by {@code pg_recvlogical} for the time it takes the server
 * to send it. Reports the time and the heap each JVM needed, and whether it finished at all.
 */
final class BigTxBenchmark {

  static final String RECV = PgDecodeBenchmark.RECV;
  static final String DRIFTLESS = "driftless-pipeline";
  static final String DEBEZIUM = PgDecodeBenchmark.DEBEZIUM;

  private static final Pattern RESULT =
      Pattern.compile(
          "RESULT nanos=(\\d+) steady=(\\d+) liveAfterGc=(\\d+) peakUsed=(\\d+) gcs=(\\d+)"
              + " gcMillis=(\\d+)");

  private final BenchSettings settings;
  private final List<String> heaps;

  BigTxBenchmark(BenchSettings settings) {
    this.settings = settings;
    this.heaps = List.of(System.getProperty("bench.bigtx.heaps", "64m,256m").split(","));
  }

  private static String name(String contender, String heap) {
    return contender + " -Xmx" + heap;
  }

  Report run() throws Exception {
    int rows = settings.rows();
    Report report =
        new Report(
            "bigtx",
            "One large transaction: Driftless vs Debezium under a capped heap, and pg_recvlogical",
            "events");
    report.parameter("transaction", "one INSERT of " + rows + " rows (items, six columns)");
    report.parameter("logical_decoding_work_mem", "64MB (the transaction exceeds it)");
    report.parameter("heaps (each JVM contender in its own child JVM)", String.join(", ", heaps));
    report.parameter("measured rounds (contenders alternate)", settings.rounds());
    report.contender(
        RECV,
        "`pg_recvlogical` (protocol 1: the server decodes the whole transaction after its commit"
            + " and sends it), timed from process start to exit");
    for (String heap : heaps) {
      report.contender(
          name(DRIFTLESS, heap),
          "`Pipeline` with `PostgresSource`'s defaults (the highest protocol, large transactions"
              + " streamed by the server while in progress and spilled to a file) into a"
              + " counting sink, in a child JVM with -Xmx"
              + heap
              + "; timed from `start()` until every event is settled");
      report.contender(
          name(DEBEZIUM, heap),
          "Debezium embedded engine (pgoutput, default batch and queue sizes) in a child JVM"
              + " with -Xmx"
              + heap
              + "; timed from engine start until every record was handed to the consumer");
      report.ratio(name(DRIFTLESS, heap), name(DEBEZIUM, heap), 1.0);
    }
    Path recv = new PgDecodeBenchmark(settings).recvlogical();
    List<Map<String, Object>> memory = new ArrayList<>();
    StringBuilder table =
        new StringBuilder(
            "| contender | round | finished | s | max heap used after a GC | peak heap used |"
                + " GCs (ms) |\n|---|---:|---|---:|---:|---:|---:|\n");

    System.out.println("[bigtx] starting PostgreSQL");
    try (PostgresServer server = PostgresServer.startNew()) {
      PgWorkload db = new PgWorkload(server);
      db.setUp();
      report.machine("database server", db.serverVersion() + " (separate process, same machine)");
      List<String> jvmContenders = new ArrayList<>();
      for (String heap : heaps) {
        jvmContenders.add(name(DRIFTLESS, heap));
        jvmContenders.add(name(DEBEZIUM, heap));
      }
      for (int round = 1; round <= settings.rounds(); round++) {
        db.createSlot(slot(RECV, round));
        for (String c : jvmContenders) {
          db.createSlot(slot(c, round));
        }
      }
      String startLsn = db.currentInsertLsn();
      String endLsn = insertOneTransaction(db, rows);
      report.parameter("WAL of the transaction", db.walBytes(startLsn, endLsn) + " bytes");
      for (int round = 1; round <= settings.rounds(); round++) {
        report.run(PgDecodeBenchmark.recvlogical(recv, db, slot(RECV, round), round, rows, endLsn));
        for (String heap : heaps) {
          for (String contender : List.of(DRIFTLESS, DEBEZIUM)) {
            String name = name(contender, heap);
            Probe m = probe(contender, heap, db.port(), slot(name, round), rows);
            memory.add(m.json(name, round));
            if (m.finished()) {
              report.run(new Run(name, round, rows, m.nanos(), m.steadyNanos(), Map.of()));
            }
            table.append(
                String.format(
                    Locale.ROOT,
                    "| `%s` | %d | %s | %s | %s | %s | %s |%n",
                    name,
                    round,
                    m.finished() ? "yes" : "**no**: " + m.why(),
                    m.finished() ? String.format(Locale.ROOT, "%.1f", m.nanos() / 1e9) : "–",
                    mib(m.liveAfterGc()),
                    mib(m.peakUsed()),
                    m.finished() ? m.gcs() + " (" + m.gcMillis() + ")" : "–"));
            db.dropSlot(slot(name, round));
          }
        }
      }
    }
    report.section("Heap", table.toString());
    report.json("heap", memory);
    report.note(
        "Max heap used after a GC is an upper bound of what was live (the young collections leave"
            + " old garbage in place); peak heap used includes garbage not yet collected.");
    return report;
  }

  private static String mib(long bytes) {
    return bytes <= 0 ? "–" : String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0);
  }

  /** What one child JVM measured, or why it did not finish. */
  private record Probe(
      String heap,
      boolean finished,
      String why,
      long nanos,
      long steadyNanos,
      long liveAfterGc,
      long peakUsed,
      long gcs,
      long gcMillis) {

    static Probe failed(String heap, String why) {
      return new Probe(heap, false, why, 0, 0, 0, 0, 0, 0);
    }

    Map<String, Object> json(String contender, int round) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("contender", contender);
      m.put("round", round);
      m.put("heap", heap);
      m.put("finished", finished);
      if (finished) {
        m.put("nanos", nanos);
        m.put("maxHeapUsedAfterGcBytes", liveAfterGc);
        m.put("peakHeapUsedBytes", peakUsed);
        m.put("gcs", gcs);
        m.put("gcMillis", gcMillis);
      } else {
        m.put("why", why);
      }
      return m;
    }
  }

  private static String slot(String contender, int round) {
    return ("bigtx_" + contender + "_" + round)
        .toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9_]", "_");
  }

  private static String insertOneTransaction(PgWorkload db, int rows) throws Exception {
    System.out.println("[bigtx] inserting " + rows + " rows in one transaction");
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO "
              + PgWorkload.TABLE
              + " SELECT g, 'item-' || g, (g % 1000)::int, (g % 100000) / 100.0,"
              + " timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second',"
              + " g % 3 <> 0 FROM generate_series(1, "
              + rows
              + ") g");
      String end;
      try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
        rs.next();
        end = rs.getString(1);
      }
      s.execute("INSERT INTO wal_marker (at) VALUES (now())");
      return end;
    }
  }

  /** Runs one contender in a child JVM; what it measured, or why it did not finish. */
  private static Probe probe(String contender, String heap, int port, String slot, int rows)
      throws Exception {
    System.out.println("[bigtx] " + contender + " -Xmx" + heap + " on slot " + slot);
    Path log = Files.createTempFile("bigtx-" + contender, ".log");
    try {
      Process p =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-Xmx" + heap,
                  "-XX:+ExitOnOutOfMemoryError",
                  "-cp",
                  System.getProperty("java.class.path"),
                  BigTxProbe.class.getName(),
                  contender,
                  Integer.toString(port),
                  slot,
                  Integer.toString(rows))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      if (!p.waitFor(30, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        return Probe.failed(heap, "not done in 30 min");
      }
      String out = Files.readString(log, StandardCharsets.UTF_8);
      Matcher r = RESULT.matcher(out);
      if (p.exitValue() == 0 && r.find()) {
        return new Probe(
            heap,
            true,
            "",
            Long.parseLong(r.group(1)),
            Long.parseLong(r.group(2)),
            Long.parseLong(r.group(3)),
            Long.parseLong(r.group(4)),
            Long.parseLong(r.group(5)),
            Long.parseLong(r.group(6)));
      }
      String why =
          out.contains("OutOfMemoryError")
              ? "out of memory"
              : "exit " + p.exitValue() + ": " + tail(out);
      System.out.println("[bigtx] " + contender + " -Xmx" + heap + " failed: " + why);
      return Probe.failed(heap, why);
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private static String tail(String out) {
    String t = out.strip();
    return t.length() <= 300 ? t : t.substring(t.length() - 300);
  }
}
