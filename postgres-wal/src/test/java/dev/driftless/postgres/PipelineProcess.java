package dev.driftless.postgres;

import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.stores.FileCheckpointStore;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The pipeline a user runs, as a process of its own for the restart ITs (started and killed with
 * {@code kill -9} through {@link dev.driftless.testinfra.faults.ChildJvm}): a {@link
 * PostgresSource} into an in-memory sink, told what to do by {@code key=value} arguments:
 *
 * <ul>
 *   <li>{@code url}, {@code slot}, {@code publication}, {@code tables} (comma-separated): the
 *       source
 *   <li>{@code backfill} (tables), {@code chunkRows}, {@code rowsPerSecond}: a backfill, if given
 *   <li>{@code checkpoints}: a folder for a {@link FileCheckpointStore}; without it the pipeline
 *       has its default store
 *   <li>{@code spill}: the spill directory
 * </ul>
 *
 * <p>It prints {@code STARTED} once {@code Pipeline.start} returned (or {@code FAILED <why>} and
 * exits with 2), then every 100 ms a {@code STATUS} line of the source's status details.
 */
public final class PipelineProcess {

  private PipelineProcess() {}

  /** The arguments for {@code settings}, as the child expects them. */
  static List<String> args(Map<String, String> settings) {
    return settings.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    PostgresSourceBuilder source =
        PostgresSource.builder()
            .database(
                PostgresDatabase.builder()
                    .jdbcUrl(a.get("url"))
                    .user(PostgresServer.SUPERUSER)
                    .build())
            .slotName(a.get("slot"))
            .publication(a.get("publication"))
            .statusInterval(Duration.ofMillis(500));
    if (a.containsKey("tables")) {
      source.tables(Arrays.asList(a.get("tables").split(",")));
    }
    if (a.containsKey("spill")) {
      source.spillDirectory(Path.of(a.get("spill")));
    }
    if (a.containsKey("backfill")) {
      source.backfill(
          BackfillSettings.builder()
              .tables(Arrays.asList(a.get("backfill").split(",")))
              .chunkRows(Integer.parseInt(a.getOrDefault("chunkRows", "1000")))
              .rowsPerSecond(Integer.parseInt(a.getOrDefault("rowsPerSecond", "0")))
              .build());
    }
    Pipeline.Builder pipeline =
        Pipeline.builder()
            .name(a.getOrDefault("name", "restart"))
            // Reconnects (and sink retries) every 50 ms to 1 s: the tests cut connections.
            .retry(new RetrySettings(Duration.ofMillis(50), Duration.ofSeconds(1), 2.0, 0.2))
            .source(source.build())
            .sink(InMemoryVersionedSink.create())
            .deadLetterStore(new InMemoryDeadLetterStore());
    if (a.containsKey("checkpoints")) {
      pipeline.checkpointStore(FileCheckpointStore.in(Path.of(a.get("checkpoints"))));
    }
    Pipeline p;
    try {
      p = pipeline.build().start();
    } catch (RuntimeException e) {
      System.out.println("FAILED " + e.getMessage().replace('\n', ' '));
      System.exit(2);
      return;
    }
    System.out.println("STARTED");
    while (true) {
      PipelineStatus status = p.status();
      StringBuilder line = new StringBuilder("STATUS state=").append(status.state());
      status.source().forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
      System.out.println(line);
      if (status.failure() != null) {
        System.out.println("FAILED " + status.failure());
      }
      if (p.awaitTermination(Duration.ofMillis(100))) {
        System.exit(3);
      }
    }
  }

  /** The value of {@code key} in a {@code STATUS} line (values hold no spaces), or null. */
  static @org.jspecify.annotations.Nullable String field(String statusLine, String key) {
    for (String part : statusLine.split(" ")) {
      if (part.startsWith(key + "=")) {
        return part.substring(key.length() + 1);
      }
    }
    return null;
  }
}
