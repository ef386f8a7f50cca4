package dev.driftless.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.search.StoredDocument;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryChangeLog;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Checks shared by the pipeline-driven tests. */
final class Converged {

  private Converged() {}

  /**
   * Waits until the pipeline has received every change of {@code log}, settled it and committed the
   * last one.
   */
  static PipelineStatus awaitDrained(
      Pipeline pipeline, InMemoryChangeLog log, String name, Duration timeout) {
    long last = log.size() - 1L;
    Eventually.until(
        timeout,
        () -> "pipeline drained; now " + pipeline.status().summary(),
        () -> {
          PipelineStatus s = pipeline.status();
          if (s.failure() != null) {
            throw new AssertionError("pipeline failed: " + s.failure());
          }
          return s.eventsReceived() >= log.size()
              && s.inFlightEvents() == 0
              && log.committedOffset(name) == last;
        });
    return pipeline.status();
  }

  /**
   * I1: every key of {@code log} holds its newest change in the index: the document at that
   * version, or nothing after a delete.
   */
  static void assertIndexMatches(ElasticsearchSink reader, InMemoryChangeLog log) {
    int upserts = 0;
    for (Map.Entry<DocumentKey, ChangeEvent> e : log.latestByKey().entrySet()) {
      Optional<StoredDocument> held = reader.get(e.getKey());
      if (e.getValue() instanceof ChangeEvent.Upsert upsert) {
        upserts++;
        assertThat(held).as("document of %s", e.getKey()).isPresent();
        assertThat(held.get().version())
            .as("version of %s", e.getKey())
            .isEqualTo(upsert.version());
        assertThat(held.get().document().fields())
            .as("fields of %s", e.getKey())
            .isEqualTo(upsert.document().fields());
      } else {
        assertThat(held).as("deleted %s", e.getKey()).isEmpty();
      }
    }
    assertThat(upserts).as("the test wrote live documents at all").isPositive();
  }
}
