package dev.driftless.benchmarks;

final class PgDecodeBenchmark {
  private final BenchSettings settings;

  PgDecodeBenchmark(BenchSettings settings) {
    this.settings = settings;
  }

  Report run() {
    throw new UnsupportedOperationException("not yet " + settings.rows());
  }
}
