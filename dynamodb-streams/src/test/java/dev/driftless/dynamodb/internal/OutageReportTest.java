package dev.driftless.dynamodb.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.spi.CheckpointStore;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutageReportTest {
  private final List<String> calls = new ArrayList<>();
  private final SourceContext context =
      new SourceContext() {
        @Override
        public String pipelineName() {
          return "p";
        }

        @Override
        public CheckpointStore checkpointStore() {
          return new InMemoryCheckpointStore();
        }

        @Override
        public void outageStarted(Throwable cause) {
          calls.add("started: " + cause.getMessage());
        }

        @Override
        public void outageEnded() {
          calls.add("ended");
        }
      };

  @Test
  void failuresWithSuccessesBetweenAreBackPressureNotAnOutage() {
    OutageReport report = new OutageReport(context);
    for (int i = 0; i < 20; i++) {
      for (int f = 1; f < OutageReport.OUTAGE_AFTER; f++) {
        report.failure(new RuntimeException("throttled"));
      }
      report.success();
    }
    assertThat(calls).isEmpty();
  }

  @Test
  void aRunOfFailuresStartsOneOutageAndTheNextSuccessEndsIt() {
    OutageReport report = new OutageReport(context);
    for (int f = 0; f < OutageReport.OUTAGE_AFTER * 3; f++) {
      report.failure(new RuntimeException("down " + f));
    }
    report.success();
    report.success();
    assertThat(calls).containsExactly("started: down " + (OutageReport.OUTAGE_AFTER - 1), "ended");
  }
}
