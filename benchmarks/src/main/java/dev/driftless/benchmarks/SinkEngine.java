package dev.driftless.benchmarks;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.search.SearchSinkBuilder;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What {@link SinkBenchmark} and {@link ReconcileBenchmark} need from one search engine: a node to
 * measure against, the engine's Driftless sink, and the words their reports use. Everything else
 * (the corpus, the raw loaders, the timing, the checks) is the same for every engine. {@link
 * OpenSearchEngine} is this module's; module {@code benchmarks-elasticsearch} has the Elasticsearch
 * one (the two servers never share a classpath).
 */
interface SinkEngine {

  /** The engine's name in the report, e.g. {@code OpenSearch}. */
  String name();

  /**
   * What the reports' file names end with: empty for OpenSearch (the first engine measured), e.g.
   * {@code -elasticsearch} for another.
   */
  String reportSuffix();

  /** The sink's class name, as the report's contender descriptions name it. */
  String sinkClass();

  /** Where the node runs, for the report's machine section, e.g. {@code in this JVM, ...}. */
  String nodePlacement();

  /** A note for the report on where the node runs and what that means for the numbers. */
  String nodeNote();

  /** Starts a node and blocks until it serves HTTP. */
  Node start() throws Exception;

  /**
   * A new sink writing to {@code url}, configured by {@code settings} (the builder settings both
   * engines' sinks share).
   */
  BuiltSink sink(String url, Consumer<SearchSinkBuilder<?>> settings);

  /**
   * Checks that the stored-form loader's source lines equal what the sink really sends over the
   * wire for {@code sample}, where the engine can capture it; the benchmark also checks them
   * against the sink's encoder in every case.
   *
   * @return a note for the report saying what was checked, or empty if nothing was
   * @throws IllegalStateException if they differ
   */
  default Optional<String> checkWireForm(String url, List<ChangeEvent> sample) throws Exception {
    return Optional.empty();
  }

  /** A running node. */
  interface Node extends AutoCloseable {
    /** The node's HTTP base URL. */
    String url();

    @Override
    void close();
  }

  /**
   * A sink for one run.
   *
   * @param sink the sink
   * @param indexFor resolves (and creates, if missing) the index of a collection, before the load
   * @param fingerprintReader the sink's reader of the index side of reconciliation
   */
  record BuiltSink(
      VersionedSink sink,
      Function<String, String> indexFor,
      Supplier<FingerprintReader> fingerprintReader) {}
}
