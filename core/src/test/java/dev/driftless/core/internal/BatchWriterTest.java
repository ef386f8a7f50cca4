package dev.driftless.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DriftlessException;
import dev.driftless.core.OutagePolicy;
import dev.driftless.core.RetriableException;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The batch writer on the calling thread: retry, dead-letter, stop on a sink bug. */
class BatchWriterTest {

  private final InMemoryDeadLetterStore store = new InMemoryDeadLetterStore();
  private final List<Map.Entry<String, Outcome>> finished = new ArrayList<>();
  private final List<Throwable> retries = new ArrayList<>();
  private final List<DriftlessException> storeFailures = new ArrayList<>();
  private volatile boolean stopping;

  private BatchWriter writer(VersionedSink sink) {
    return new BatchWriter(
        sink,
        OutagePolicy.of(
            new RetrySettings(Duration.ofMillis(1), Duration.ofMillis(1), 1.0, 0.0),
            Duration.ofSeconds(2)),
        new DeadLetterer(
            "test", store, Clock.systemUTC(), storeFailures::add, new Listeners("test", List.of())),
        new BatchWriter.Callbacks() {
          @Override
          public boolean stopping() {
            return stopping;
          }

          @Override
          public void retrying(Throwable cause) {
            retries.add(cause);
          }

          @Override
          public void finished(KeyScheduler.Item item, Outcome outcome) {
            finished.add(Map.entry(item.newest().event.key().id(), outcome));
          }
        });
  }

  private static List<KeyScheduler.Item> batch(String... ids) {
    KeyScheduler scheduler = new KeyScheduler();
    long seq = 0;
    for (String id : ids) {
      ChangeEvent event = PipelineRunnerTest.upsert(id, 1, seq, "n", 1);
      scheduler.add(new Entry(seq++, event, true, null), 0);
    }
    return scheduler.formBatch(ids.length, Long.MAX_VALUE, 0, (e, o) -> {});
  }

  @Test
  void rejectedItemsAreDeadLetteredAndRetryItemsAloneAreWrittenAgain() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    List<Integer> sizes = new ArrayList<>();
    VersionedSink sink =
        events -> {
          sizes.add(events.size());
          List<WriteResult> out = new ArrayList<>();
          for (ChangeEvent e : events) {
            switch (e.key().id()) {
              case "bad" -> out.add(WriteResult.rejected("mapper_parsing_exception", "bad"));
              case "busy" ->
                  out.add(
                      calls.incrementAndGet() < 3
                          ? WriteResult.retry("429", true)
                          : WriteResult.applied());
              default -> out.add(WriteResult.stale());
            }
          }
          return out;
        };
    boolean throttled = writer(sink).write(batch("ok", "bad", "busy"));
    assertThat(throttled).isTrue();
    assertThat(sizes).containsExactly(3, 1, 1);
    assertThat(retries).hasSize(2);
    assertThat(finished)
        .containsExactly(
            Map.entry("ok", Outcome.STALE),
            Map.entry("bad", Outcome.DEAD_LETTERED),
            Map.entry("busy", Outcome.APPLIED));
    assertThat(store.list(10))
        .singleElement()
        .satisfies(l -> assertThat(l.key().id()).isEqualTo("bad"));
  }

  @Test
  void anyOtherExceptionIsASinkBugThatDeadLettersNothing() {
    VersionedSink buggy =
        events -> {
          throw new NullPointerException("codec");
        };
    assertThatThrownBy(() -> writer(buggy).write(batch("a")))
        .isInstanceOf(DriftlessException.class)
        .hasMessageContaining("NullPointerException")
        .hasMessageContaining("S1.15");
    assertThat(finished).isEmpty();
    assertThat(store.list(10)).isEmpty();
  }

  @Test
  void aTimedOutWriteIsRetriedAndSettledNotLeftInFlight() throws Exception {
    // SocketTimeoutException is an InterruptedIOException; read as an interrupt, the write ended
    // with its items unsettled while the pipeline ran on, their keys in flight for good.
    AtomicInteger calls = new AtomicInteger();
    VersionedSink slowOnce =
        events -> {
          if (calls.incrementAndGet() == 1) {
            throw new RetriableException(
                "bulk request timed out", new SocketTimeoutException("Read timed out"), false);
          }
          return Collections.nCopies(events.size(), WriteResult.applied());
        };
    writer(slowOnce).write(batch("a", "b"));
    assertThat(calls).hasValue(2);
    assertThat(retries).hasSize(1);
    assertThat(finished).hasSize(2);
  }

  @Test
  void anInterruptWhileThePipelineRunsStopsItInsteadOfLeavingItemsInFlight() {
    VersionedSink interrupted =
        events -> {
          throw new RuntimeException("I/O reactor interrupted", new InterruptedException());
        };
    assertThatThrownBy(() -> writer(interrupted).write(batch("a")))
        .isInstanceOf(DriftlessException.class)
        .hasMessageContaining("interrupted while the pipeline runs");
    assertThat(finished).isEmpty();
  }

  @Test
  void aWriteEndedByTheStopLeavesItsItemsUnsettled() throws Exception {
    VersionedSink interruptedClient =
        events -> {
          stopping = true;
          throw new RuntimeException("I/O reactor interrupted", new InterruptedException());
        };
    assertThat(writer(interruptedClient).write(batch("a", "b"))).isFalse();
    assertThat(finished).isEmpty();
    assertThat(store.list(10)).isEmpty();
  }

  @Test
  void anOutageLongerThanTheDeadlineStopsWithTheDeadlineNamed() {
    VersionedSink down =
        events -> {
          throw new RetriableException("connection refused", null, false);
        };
    assertThatThrownBy(() -> writer(down).write(batch("a")))
        .isInstanceOf(DriftlessException.class)
        .hasMessageContaining("outageDeadline");
    assertThat(retries).isNotEmpty();
    assertThat(finished).isEmpty();
  }

  @Test
  void aWrongResultCountStopsThePipeline() {
    VersionedSink miscounting = events -> List.of();
    assertThatThrownBy(() -> writer(miscounting).write(batch("a", "b")))
        .isInstanceOf(DriftlessException.class)
        .hasMessageContaining("one result per event");
  }
}
