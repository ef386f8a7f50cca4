package dev.driftless.benchmarks;

import java.util.LinkedHashSet;
import java.util.List;

/**
 * Entry point of module {@code benchmarks-elasticsearch}: runs the benchmarks of {@code -Dbench}
 * that involve a search engine against Elasticsearch 7.10 (see {@link Benchmarks} for the rest).
 * Only {@code sink} and {@code reconcile} run here ({@code all} means both); other names fail at
 * once.
 */
public final class ElasticsearchBenchmarks {

  static final List<String> SUPPORTED = List.of("sink", "reconcile");

  private ElasticsearchBenchmarks() {}

  public static void main(String[] args) {
    BenchSettings settings = BenchSettings.fromSystemProperties();
    if (!"all".equalsIgnoreCase(System.getProperty("bench", "").trim())) {
      for (String name : settings.benchmarks()) {
        if (!SUPPORTED.contains(name)) {
          throw new IllegalArgumentException(
              "bench: '" + name + "' does not run on Elasticsearch; choose from " + SUPPORTED);
        }
      }
    } else {
      settings =
          new BenchSettings(
              new LinkedHashSet<>(SUPPORTED),
              settings.rows(),
              settings.rounds(),
              settings.concurrency(),
              settings.bulk(),
              settings.reports(),
              settings.recvlogical());
    }
    Benchmarks.runAll(
        settings,
        (name, s) ->
            switch (name) {
              case "sink" -> new SinkBenchmark(s, new ElasticsearchEngine()).run();
              case "reconcile" -> new ReconcileBenchmark(s, new ElasticsearchEngine()).run();
              default -> throw new IllegalArgumentException("unknown benchmark " + name);
            });
  }
}
