package dev.driftless.core.internal;

import dev.driftless.core.DeadLetter;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.PipelineListener;
import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.SourceContext;
import java.time.Clock;
import java.util.Objects;

/** The contexts the runner hands to its sink's and source's {@code start}. Stateless. */
final class RunnerContexts {

  /** What a source may tell the runner (see {@link SourceContext}). */
  interface SourceCallbacks {
    void resynced();

    void deadLetter(DeadLetter letter) throws Exception;

    void outageStarted(Throwable cause);

    void outageEnded();

    void backfillProgress(PipelineListener.BackfillProgress progress);
  }

  private RunnerContexts() {}

  static SinkContext sink(PipelineSettings settings) {
    return new SinkContext() {
      @Override
      public String pipelineName() {
        return settings.name();
      }

      @Override
      public int maxBatchEvents() {
        return settings.batchSize();
      }

      @Override
      public long maxBatchBytes() {
        return settings.batchBytes();
      }
    };
  }

  static SourceContext source(
      PipelineSettings settings, OutagePolicy outagePolicy, SourceCallbacks callbacks) {
    return new SourceContext() {
      @Override
      public String pipelineName() {
        return settings.name();
      }

      @Override
      public CheckpointStore checkpointStore() {
        return settings.checkpointStore();
      }

      @Override
      public boolean checkpointStoreConfigured() {
        return !(settings.checkpointStore() instanceof DefaultCheckpointStore);
      }

      @Override
      public Clock clock() {
        return settings.clock();
      }

      @Override
      public void resynced() {
        callbacks.resynced();
      }

      @Override
      public void deadLetter(DeadLetter letter) throws Exception {
        callbacks.deadLetter(letter);
      }

      @Override
      public OutagePolicy outagePolicy() {
        return outagePolicy;
      }

      @Override
      public void outageStarted(Throwable cause) {
        callbacks.outageStarted(Objects.requireNonNull(cause, "cause"));
      }

      @Override
      public void outageEnded() {
        callbacks.outageEnded();
      }

      @Override
      public void backfillProgress(PipelineListener.BackfillProgress progress) {
        callbacks.backfillProgress(Objects.requireNonNull(progress, "progress"));
      }
    };
  }
}
