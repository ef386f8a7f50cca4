package dev.driftless.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ConfigurationException;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.RetriableException;
import dev.driftless.core.internal.Failures.Failure;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
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
  void aTimeoutIsAnOutageNotAStopAlthoughJavaCallsItAnInterruptedIoException() {
    // SocketTimeoutException extends InterruptedIOException: taken for an interrupt, a slow bulk
    // request left its batch unsettled and its keys in flight for good (a stalled pipeline that
    // claimed to run; found by the combined-fault suite).
    assertThat(
            Failures.classify(
                new RetriableException(
                    "bulk timed out", new SocketTimeoutException("Read timed out"), false),
                false))
        .isEqualTo(Failure.OUTAGE);
    assertThat(Failures.interrupted(new SocketTimeoutException("Read timed out"))).isFalse();
    assertThat(Failures.interrupted(new ConnectTimeoutException())).isFalse();
    assertThat(Failures.interrupted(new InterruptedIOException("interrupted"))).isTrue();
  }

  /** Like Apache HttpClient's: an InterruptedIOException that reports a timeout. */
  private static final class ConnectTimeoutException extends InterruptedIOException {
    private static final long serialVersionUID = 1L;
  }

  @Test
  void anythingWhileThePipelineStopsIsStopping() {
    assertThat(Failures.classify(new RetriableException("refused"), true))
        .isEqualTo(Failure.STOPPING);
    assertThat(Failures.classify(new IllegalStateException("closed"), true))
        .isEqualTo(Failure.STOPPING);
  }
}
