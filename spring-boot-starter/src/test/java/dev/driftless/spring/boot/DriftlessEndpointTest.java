package dev.driftless.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.spring.boot.actuate.DriftlessEndpoint;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryChangeLog;
import dev.driftless.tck.InMemoryChangeSource;
import dev.driftless.tck.InMemoryVersionedSink;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The endpoint's operations on a real pipeline over the tck's in-memory source and sink. */
class DriftlessEndpointTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void readShowsDeadLettersAndReplayAndRepairWriteThroughThePipeline() throws Exception {
    InMemoryChangeLog log = InMemoryChangeLog.create();
    AtomicBoolean refusing = new AtomicBoolean(true);
    InMemoryVersionedSink sink =
        InMemoryVersionedSink.builder().poison(d -> refusing.get() && d.has("bad")).build();
    InMemoryDeadLetterStore letters = new InMemoryDeadLetterStore();
    try (Pipeline pipeline =
        Pipeline.builder()
            .name("ops")
            .source(new InMemoryChangeSource(log))
            .sink(sink)
            .deadLetterStore(letters)
            .build()
            .start()) {
      DriftlessEndpoint endpoint = new DriftlessEndpoint(pipeline, letters, null);
      DocumentKey poisoned = DocumentKey.of("orders", "7");
      log.upsert(poisoned, Document.of("bad", true));
      log.upsert(DocumentKey.of("orders", "8"), Document.of("good", true));
      Eventually.until(
          WAIT, "one applied, one dead-lettered", () -> pipeline.status().eventsSettled() == 2);

      Map<String, Object> read = endpoint.status();
      assertThat(read).containsEntry("pipeline", "ops").containsEntry("state", "RUNNING");
      @SuppressWarnings("unchecked")
      Map<String, Object> dead = (Map<String, Object>) read.get("deadLetters");
      assertThat(dead).containsEntry("count", 1L);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> oldest = (List<Map<String, Object>>) dead.get("oldest");
      assertThat(oldest).singleElement().satisfies(l -> assertThat(l).containsEntry("key", "7"));

      // The index takes the document now: the replay re-reads the key and writes it.
      refusing.set(false);
      assertThat(endpoint.run("replay", 10, null, null))
          .containsEntry("replayed", 1)
          .containsEntry("failedAgain", 0);
      assertThat(letters.count()).isZero();
      assertThat(sink.get(poisoned)).isPresent();

      sink.forget(poisoned);
      assertThat(endpoint.run("repair", null, "orders", List.of("7")))
          .containsEntry("applied", 1)
          .containsEntry("failed", List.of());
      assertThat(sink.get(poisoned)).isPresent();

      assertThatThrownBy(() -> endpoint.run("repair", null, null, List.of("7")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("collection");
      assertThatThrownBy(() -> endpoint.run("reconcile", null, "orders", null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("driftless.reconciliation");
      assertThatThrownBy(() -> endpoint.run("compact", null, null, null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("replay, repair or reconcile");
    }
  }
}
