package dev.driftless.core.spi;

/**
 * What the pipeline hands a {@link VersionedSink} when it starts. An interface so that it can grow
 * without breaking sinks.
 */
public interface SinkContext {

  /** The pipeline's name. */
  String pipelineName();

  /** The largest batch, in events, the pipeline will pass to {@link VersionedSink#write}. */
  int maxBatchEvents();

  /**
   * The largest batch, in estimated bytes, the pipeline will pass (a single event may exceed it).
   */
  long maxBatchBytes();
}
