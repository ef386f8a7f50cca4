package dev.driftless.tck;

import dev.driftless.core.Pipeline;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.internal.PipelineHooks;
import java.time.Duration;

/**
 * Testing a real {@link Pipeline} beyond what its users may do: a builder preset for fast tests, a
 * crash ({@link #halt}), and the peak in-flight counters behind the bounded-memory invariant (I6).
 * Tests build pipelines with the public {@link Pipeline#builder()} and use this kit for the rest,
 * never the runner inside.
 */
public final class PipelineTestKit {
  /** 1 ms doubling to 4 ms, no jitter: outages in tests are retried at once. */
  public static final RetrySettings FAST_RETRY =
      new RetrySettings(Duration.ofMillis(1), Duration.ofMillis(4), 2.0, 0.0);

  private PipelineTestKit() {}

  /**
   * A builder set up for fast tests, to which a test adds at least a source, a sink and a
   * dead-letter store: no linger, {@link #FAST_RETRY}, every settled position committed at once, a
   * 5 s drain timeout.
   */
  public static Pipeline.Builder fastPipeline(String name) {
    return Pipeline.builder()
        .name(name)
        .linger(Duration.ZERO)
        .retry(FAST_RETRY)
        .commitInterval(Duration.ZERO)
        .drainTimeout(Duration.ofSeconds(5));
  }

  /**
   * Simulates a crash: stops every thread of {@code pipeline} at once, without draining or
   * committing, and closes the source and sink. What was committed before stays committed;
   * everything else is replayed by the next run over the same source. (A real crash, a killed
   * process, is the honest test of durability; this is the in-process approximation for properties
   * that need thousands of crashes.)
   */
  public static void halt(Pipeline pipeline) {
    PipelineHooks.runner(pipeline).halt();
  }

  /** The most events {@code pipeline} ever held in flight at once (received, not settled). */
  public static long peakInFlightEvents(Pipeline pipeline) {
    return PipelineHooks.runner(pipeline).peakInFlightEvents();
  }

  /** The most estimated bytes {@code pipeline} ever held in flight at once. */
  public static long peakInFlightBytes(Pipeline pipeline) {
    return PipelineHooks.runner(pipeline).peakInFlightBytes();
  }
}
