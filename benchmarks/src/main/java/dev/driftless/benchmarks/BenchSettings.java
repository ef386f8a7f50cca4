package dev.driftless.benchmarks;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What to run and at which scale, read from system properties ({@code
 * -Dbench=sink,pgdecode,dynamodb}, {@code -Dbench.rows=...}; see README.md). Invalid values fail at
 * once with a message naming the property.
 *
 * @param benchmarks the benchmarks to run, in the order given
 * @param rows documents (sink), changes (pgdecode), rows (reconcile) or stream records (dynamodb)
 *     per measured run
 * @param rounds measured runs per contender
 * @param concurrency concurrent bulk requests in the sink benchmark, the same for every contender
 * @param bulk documents per bulk request and per pipeline batch
 * @param reports where reports are written
 * @param recvlogical the pg_recvlogical binary to use, or {@code null} to look for one
 */
record BenchSettings(
    Set<String> benchmarks,
    int rows,
    int rounds,
    int concurrency,
    int bulk,
    Path reports,
    @Nullable Path recvlogical) {

  static final Set<String> KNOWN =
      Set.of("sink", "pgdecode", "reconcile", "dynamodb", "bigtx", "freshness");

  static BenchSettings fromSystemProperties() {
    Set<String> which = new LinkedHashSet<>();
    for (String part : property("bench", "all").split(",")) {
      String name = part.trim().toLowerCase(Locale.ROOT);
      if (name.isEmpty()) {
        continue;
      }
      if (name.equals("all")) {
        which.add("sink");
        which.add("pgdecode");
        which.add("reconcile");
        which.add("dynamodb");
        which.add("bigtx");
        which.add("freshness");
      } else if (KNOWN.contains(name)) {
        which.add(name);
      } else {
        throw new IllegalArgumentException(
            "bench: unknown benchmark '"
                + name
                + "'; choose from sink, pgdecode, reconcile, dynamodb, bigtx, freshness, all");
      }
    }
    if (which.isEmpty()) {
      throw new IllegalArgumentException(
          "bench: name at least one of sink, pgdecode, reconcile, dynamodb, bigtx, freshness, all");
    }
    String recv = property("bench.pg.recvlogical", "").trim();
    return new BenchSettings(
        which,
        intProperty("bench.rows", 1_000_000, 1_000, 50_000_000),
        intProperty("bench.rounds", 2, 1, 20),
        intProperty("bench.concurrency", 2, 1, 64),
        intProperty("bench.bulk", 1_000, 1, 100_000),
        Path.of(property("bench.reports", "benchmarks/reports")),
        recv.isEmpty() ? null : Path.of(recv));
  }

  /** Rows for the unmeasured warm-up: a tenth of the run, at least ten bulks, at most 100,000. */
  int warmupRows() {
    return Math.min(rows, Math.max(bulk * 10, Math.min(100_000, rows / 10)));
  }

  private static String property(String name, String fallback) {
    String v = System.getProperty(name);
    return v == null || v.isBlank() ? fallback : v;
  }

  static int intProperty(String name, int fallback, int min, int max) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    int parsed;
    try {
      parsed = Integer.parseInt(v.trim().replace("_", ""));
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
