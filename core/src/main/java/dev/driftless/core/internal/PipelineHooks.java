package dev.driftless.core.internal;

import dev.driftless.core.Pipeline;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What the test kit ({@code dev.driftless.tck.PipelineTestKit}) may reach beyond a {@link
 * Pipeline}'s public API: its runner, to simulate a crash ({@link PipelineRunner#halt()}) and to
 * read the peak in-flight counters. Not for users: this package is not exported.
 *
 * <p>{@code Pipeline} hands over the access when its class is initialised, which happens before any
 * instance exists, so {@link #runner} always finds it.
 */
public final class PipelineHooks {
  private static volatile @Nullable Function<Pipeline, PipelineRunner> access;

  private PipelineHooks() {}

  /** Called once, by {@code Pipeline}'s static initialiser; later calls are ignored. */
  public static synchronized void registerRunnerAccess(Function<Pipeline, PipelineRunner> a) {
    if (access == null) {
      access = Objects.requireNonNull(a, "access");
    }
  }

  /** The runner behind {@code pipeline}. */
  public static PipelineRunner runner(Pipeline pipeline) {
    Function<Pipeline, PipelineRunner> a = access;
    if (a == null) {
      throw new IllegalStateException("Pipeline did not register its runner access");
    }
    return a.apply(Objects.requireNonNull(pipeline, "pipeline"));
  }
}
