package dev.driftless.core.internal;

import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import java.time.Duration;
import java.util.Optional;

/** The pipeline's engine. (Being written.) */
public final class PipelineRunner implements AutoCloseable {
  private final PipelineSettings settings;

  public PipelineRunner(PipelineSettings settings) {
    this.settings = settings;
  }

  public void start() {
    throw new UnsupportedOperationException("not yet: " + settings.name());
  }

  public boolean awaitTermination(Duration timeout) {
    throw new UnsupportedOperationException();
  }

  public boolean awaitIdle(Duration timeout) {
    throw new UnsupportedOperationException();
  }

  public PipelineStatus status() {
    throw new UnsupportedOperationException();
  }

  public Optional<Throwable> failure() {
    return Optional.empty();
  }

  public Pipeline.ReplayResult replayDeadLetters(int max) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void close() {}
}
