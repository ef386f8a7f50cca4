package dev.driftless.benchmarks;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link VersionedSink} that applies everything instantly and only counts, so a pipeline
 * benchmark measures the source and the pipeline. Thread-safe.
 */
final class CountingSink implements VersionedSink {

  private final LongAdder written = new LongAdder();

  @Override
  public List<WriteResult> write(List<ChangeEvent> batch) {
    written.add(batch.size());
    return Collections.nCopies(batch.size(), WriteResult.applied());
  }

  long written() {
    return written.sum();
  }
}
