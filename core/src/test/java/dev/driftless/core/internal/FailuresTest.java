package dev.driftless.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ConfigurationException;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.RetriableException;
import dev.driftless.core.internal.Failures.Failure;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;

/** The one table of what an exception means. */
class FailuresTest {

  @Test
  void classifiesByTypeWhileThePipelineRuns() {
    assertThat(Failures.classify(new RetriableException("refused"), false))
        .isEqualTo(Failure.OUTAGE);
    assertThat(Failures.classify(new ConfigurationException("401"), false))
        .isEqualTo(Failure.CONFIGURATION);
    assertThat(Failures.classify(new IllegalStateException("sink bug"), false))
        .isEqualTo(Failure.BUG);
    assertThat(Failures.classify(new DriftlessException("protocol error"), false))
        .isEqualTo(Failure.BUG);
  }

  @Test
  void anInterruptHoweverWrappedIsStopping() {
    assertThat(Failures.classify(new InterruptedException(), false)).isEqualTo(Failure.STOPPING);
    assertThat(
            Failures.classify(
                new RuntimeException(
                    "client", new UncheckedIOException(new InterruptedIOException())),
                false))
        .isEqualTo(Failure.STOPPING);
  }

  @Test
  void anythingWhileThePipelineStopsIsStopping() {
    assertThat(Failures.classify(new RetriableException("refused"), true))
        .isEqualTo(Failure.STOPPING);
    assertThat(Failures.classify(new IllegalStateException("closed"), true))
        .isEqualTo(Failure.STOPPING);
  }
}
