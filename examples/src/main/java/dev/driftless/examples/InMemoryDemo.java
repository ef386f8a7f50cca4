package dev.driftless.examples;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.stores.FileDeadLetterStore;
import dev.driftless.tck.InMemoryChangeLog;
import dev.driftless.tck.InMemoryChangeSource;
import dev.driftless.tck.InMemoryVersionedSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The pipeline on the in-memory reference source and sink: 20,000 changes to 2,001 keys, one poison
 * row dead-lettered, fixed in the "database" and replayed, and a final check that the index equals
 * the source.
 */
public final class InMemoryDemo {
  private InMemoryDemo() {}

  public static void main(String[] args) throws Exception {
    InMemoryChangeLog database = InMemoryChangeLog.create();
    InMemoryVersionedSink index =
        InMemoryVersionedSink.builder()
            .poison(doc -> Objects.equals(doc.get("price"), "not a number"))
            .latency(Duration.ofMillis(1))
            .build();
    Path deadLetters = Files.createTempDirectory("driftless-demo").resolve("dead-letters.jsonl");

    try (Pipeline pipeline =
        Pipeline.builder()
            .name("demo")
            .source(new InMemoryChangeSource(database))
            .sink(index)
            .deadLetterStore(FileDeadLetterStore.open(deadLetters))
            .build()
            .start()) {

      DocumentKey bad = DocumentKey.of("products", "p-bad");
      database.upsert(bad, Document.of("price", "not a number"));
      for (int i = 1; i < 20_000; i++) {
        database.upsert(
            DocumentKey.of("products", "p" + (i % 2_000)), Document.of("price", i * 1.5));
        if (i % 5_000 == 0) {
          System.out.println(pipeline.status().summary());
        }
      }
      awaitSettled(pipeline, 20_000);
      System.out.println(pipeline.status().summary());
      System.out.println("dead letters in " + deadLetters + ": " + Files.readString(deadLetters));

      // Fix the row in the database, then replay: the pipeline re-reads the key's current state.
      database.upsert(bad, Document.of("price", 1.0));
      awaitSettled(pipeline, 20_001);
      System.out.println("replay: " + pipeline.replayDeadLetters(100));

      Map<DocumentKey, Document> expected = database.currentState();
      boolean equal = expected.equals(index.liveDocuments());
      System.out.printf(
          "index equals database: %s (%d documents)%n", equal, index.liveDocuments().size());
      if (!equal) {
        System.exit(1);
      }
    }
  }

  private static void awaitSettled(Pipeline pipeline, long events) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (pipeline.status().eventsReceived() < events && System.nanoTime() < deadline) {
      pipeline.awaitIdle(Duration.ofMillis(100));
    }
    if (!pipeline.awaitIdle(Duration.ofMinutes(1))) {
      throw new IllegalStateException("pipeline did not settle: " + pipeline.status().summary());
    }
    PipelineStatus status = pipeline.status();
    if (status.state() != PipelineStatus.State.RUNNING) {
      throw new IllegalStateException("pipeline stopped: " + status.failure());
    }
  }
}
