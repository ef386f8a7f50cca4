package dev.driftless.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.SourcePosition;
import dev.driftless.core.Version;
import dev.driftless.core.spi.ChangeSource;
import dev.driftless.core.spi.DocumentMapper;
import dev.driftless.core.spi.SourceContext;
import dev.driftless.core.stores.InMemoryCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The poll loop on the test thread, against a scripted gate. */
class SourcePollerTest {

  private final List<String> calls = new ArrayList<>();

  private SourcePoller poller(ChangeSource source, int[] rooms) {
    PipelineSettings settings =
        new PipelineSettings(
            "poller",
            source,
            batch -> List.of(),
            DocumentMapper.identity(),
            new InMemoryDeadLetterStore(),
            new InMemoryCheckpointStore(),
            10,
            1024,
            Duration.ZERO,
            100,
            1 << 20,
            1,
            new dev.driftless.core.RetrySettings(
                Duration.ofMillis(1), Duration.ofMillis(2), 2.0, 0.0),
            null,
            Duration.ofHours(1),
            Duration.ofSeconds(1),
            Clock.systemUTC(),
            java.util.List.of());
    int[] round = {0};
    OutagePolicy policy = OutagePolicy.of(settings.retry(), settings.outageDeadline());
    return new SourcePoller(
        settings,
        policy,
        new SourceOutage(policy, Clock.systemUTC(), new Listeners("test", List.of())),
        new SourcePoller.Gate() {
          @Override
          public int awaitRoom(long maxWaitNanos) {
            return round[0] < rooms.length ? rooms[round[0]++] : -1;
          }

          @Override
          public int awaitNothingInFlight(long maxWaitNanos) {
            calls.add("drained");
            return 1;
          }

          @Override
          public boolean quietAndUncommitted() {
            return false;
          }

          @Override
          public void commitSettled() {}

          @Override
          public void accept(ChangeEvent event) {
            calls.add("accept " + event.position().asString());
          }

          @Override
          public boolean stopping() {
            return false;
          }

          @Override
          public void failed(Throwable cause) {
            calls.add("failed " + cause.getMessage());
          }

          @Override
          public void ended() {
            calls.add("ended");
          }
        },
        new Listeners("test", List.of()));
  }

  @Test
  void aTruncateWaitsForEverythingBeforeItAndHoldsBackEverythingAfterIt() {
    ListSource source =
        new ListSource(
            List.of(
                PipelineRunnerTest.upsert("a", 1, 0),
                ChangeEvent.truncate("t", Version.of(2), SourcePosition.ofOffset(1), Instant.EPOCH),
                PipelineRunnerTest.upsert("b", 3, 2)));
    poller(source, new int[] {10}).run();
    assertThat(calls)
        .containsExactly("accept 0", "drained", "accept 1", "drained", "accept 2", "ended");
  }

  @Test
  void aFullPipelineIsNotPolledButKeptAlive() {
    ListSource source = new ListSource(List.of(PipelineRunnerTest.upsert("a", 1, 0)));
    poller(source, new int[] {0, 0}).run();
    assertThat(calls).containsExactly("ended");
    assertThat(source.next).as("nothing polled").isZero();
  }

  @Test
  void aSourceReturningMoreThanAskedStopsThePipeline() {
    List<ChangeEvent> two =
        List.of(PipelineRunnerTest.upsert("a", 1, 0), PipelineRunnerTest.upsert("b", 1, 1));
    ChangeSource source =
        new ChangeSource() {
          @Override
          public void start(SourceContext context) {}

          @Override
          public List<ChangeEvent> poll(int maxEvents, Duration maxWait) {
            return two;
          }

          @Override
          public void commit(SourcePosition position) {}

          @Override
          public void close() {}
        };
    poller(source, new int[] {1}).run();
    assertThat(calls).hasSize(2);
    assertThat(calls.get(0)).startsWith("failed source returned 2 events, more than the 1");
    assertThat(calls.get(1)).isEqualTo("ended");
  }
}
