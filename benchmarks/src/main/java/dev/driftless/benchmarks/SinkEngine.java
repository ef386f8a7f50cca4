package dev.driftless.benchmarks;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.spi.VersionedSink;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What {@link SinkBenchmark} needs from one search engine: a node to measure against, the engine's
 * Driftless sink, and the words its report uses. Everything else (the corpus, the raw loaders, the
 * timing, the checks) is the same for every engine. {@link OpenSearchEngine} is this module's;
 * module {@code benchmarks-elasticsearch} has the Elasticsearch one (the two servers never share a
 * classpath).
 */
interface SinkEngine {

  /** The engine's name in the report, e.g. {@code OpenSearch}. */
  String name();

  /** The report's file name without extension. */
  String reportName();

  /** The sink's class name, as the report's contender descriptions name it. */
  String sinkClass();

  /** Where the node runs, for the report's machine section, e.g. {@code in this JVM, ...}. */
  String nodePlacement();

  /** A note for the report on where the node runs and what that means for the numbers. */
  String nodeNote();

  /** Starts a node and blocks until it serves HTTP. */
  Node start() throws Exception;

  /**
   * A new sink writing to {@code url} with index names prefixed by {@code prefix}, the corpus's
   * mapping and index settings, and {@code bulk} items per request at most.
   */
  BuiltSink sink(String url, String prefix, int bulk);

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
   */
  record BuiltSink(VersionedSink sink, Consumer<String> indexFor) {}
}
