package dev.driftless.benchmarks;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Entry point: runs the benchmarks named by {@code -Dbench} (see {@link BenchSettings}) one after
 * the other, each with its own servers, writes each report as soon as it is done and prints a
 * summary. Exits non-zero if a benchmark failed (a wrong count or a server error), never because a
 * target ratio was missed: missed targets are facts for the report, not build failures.
 */
public final class Benchmarks {

  /** Runs one benchmark by name and returns its report. */
  @FunctionalInterface
  interface Runner {
    Report run(String name, BenchSettings settings) throws Exception;
  }

  private Benchmarks() {}

  public static void main(String[] args) throws Exception {
    String selection = System.getProperty("bench.selected", "");
    if (!selectsThisModule(selection)) {
      // `-Pbench -pl benchmarks-elasticsearch -am` builds this module only as a dependency: its
      // OpenSearch runs would take as long again and overwrite this module's reports.
      System.out.println(
          "benchmarks: module benchmarks not selected (-pl " + selection + "), nothing to run");
      return;
    }
    runAll(
        BenchSettings.fromSystemProperties(),
        (name, settings) ->
            switch (name) {
              case "sink" -> new SinkBenchmark(settings).run();
              case "pgdecode" -> new PgDecodeBenchmark(settings).run();
              case "reconcile" -> new ReconcileBenchmark(settings).run();
              case "dynamodb" -> new DynamoDbBenchmark(settings).run();
              case "bigtx" -> new BigTxBenchmark(settings).run();
              case "freshness" -> new FreshnessBenchmark(settings).run();
              default -> throw new IllegalArgumentException("unknown benchmark " + name);
            });
  }

  /**
   * Whether Maven's project selection ({@code -pl}, as {@code [a, b]}; empty without {@code -pl})
   * selects module {@code benchmarks}, rather than building it only because a selected module
   * depends on it ({@code -am}). Exclusions ({@code !x}) select everything else.
   */
  static boolean selectsThisModule(String selection) {
    String list = selection.strip();
    if (list.contains("$")) {
      return true; // not filled in by Maven
    }
    if (list.startsWith("[") && list.endsWith("]")) {
      list = list.substring(1, list.length() - 1);
    }
    boolean anyInclusion = false;
    for (String part : list.split(",", -1)) {
      String p = part.strip().replace('\\', '/');
      if (p.isEmpty() || p.startsWith("!") || p.startsWith("-")) {
        continue;
      }
      anyInclusion = true;
      while (p.endsWith("/")) {
        p = p.substring(0, p.length() - 1);
      }
      if (p.equals("benchmarks")
          || p.endsWith("/benchmarks")
          || p.endsWith(":driftless-benchmarks")) {
        return true;
      }
    }
    return !anyInclusion;
  }

  /**
   * Runs every benchmark of {@code settings} through {@code runner}, writes the reports, prints the
   * summaries and exits the JVM (non-zero if one failed).
   */
  static void runAll(BenchSettings settings, Runner runner) {
    // An in-process search node redirects System.out and System.err into its logging, which it
    // shuts down when it closes: keep the real streams and put them back after each benchmark.
    PrintStream out = System.out;
    PrintStream err = System.err;
    // Looking up a resource no jar has makes the class loader open every jar of the classpath now;
    // an open jar stays readable if a concurrent build deletes or rewrites its file later.
    ClassLoader.getSystemClassLoader().getResource("dev/driftless/benchmarks/no-such-resource");
    System.out.println(
        "benchmarks "
            + settings.benchmarks()
            + ", rows="
            + settings.rows()
            + ", rounds="
            + settings.rounds()
            + ", load average "
            + MachineFacts.loadAverage());
    List<String> summaries = new ArrayList<>();
    boolean failed = false;
    for (String name : settings.benchmarks()) {
      try {
        Report report = runner.run(name, settings);
        for (Path p : report.write(settings.reports())) {
          System.out.println("wrote " + p.toAbsolutePath().normalize());
        }
        summaries.add(report.summary());
      } catch (Exception e) {
        failed = true;
        System.setErr(err);
        err.println("benchmark " + name + " failed:");
        e.printStackTrace(err);
      } finally {
        System.setOut(out);
        System.setErr(err);
      }
    }
    System.out.println();
    summaries.forEach(System.out::print);
    // Servers' and clients' non-daemon threads must not keep the JVM alive after the reports.
    System.exit(failed ? 1 : 0);
  }
}
