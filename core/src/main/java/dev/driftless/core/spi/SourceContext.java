package dev.driftless.core.spi;

import java.time.Clock;

/**
 * What the pipeline hands a {@link ChangeSource} when it starts. An interface so that it can grow
 * without breaking sources.
 */
public interface SourceContext {

  /** The pipeline's name; sources use it to name their checkpoints, slots or leases. */
  String pipelineName();

  /** Where a source that does not keep its own position stores it. */
  CheckpointStore checkpointStore();

  /** The pipeline's clock. */
  default Clock clock() {
    return Clock.systemUTC();
  }
}
