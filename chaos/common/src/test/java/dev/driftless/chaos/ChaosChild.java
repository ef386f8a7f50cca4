package dev.driftless.chaos;

import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.PipelineStatus;
import dev.driftless.core.RetrySettings;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.stores.FileCheckpointStore;
import dev.driftless.core.stores.FileDeadLetterStore;
import dev.driftless.postgres.BackfillSettings;
import dev.driftless.postgres.PostgresDatabase;
import dev.driftless.postgres.PostgresSource;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The pipeline of the combined-fault suite, as a process of its own (started and killed with {@code
 * kill -9} through {@link dev.driftless.testinfra.faults.ChildJvm}), configured the way a
 * production user configures it: a PostgreSQL source with a backfill, a search sink, a {@link
 * FileCheckpointStore} (the backfill's progress) and a {@link FileDeadLetterStore}. Arguments are
 * {@code key=value}: {@code url} (through the PostgreSQL proxy), {@code index} (the index proxy's
 * URL), {@code slot}, {@code checkpoints} (a folder), {@code deadLetters} (a file), {@code
 * rowsPerSecond} (backfill throttle), {@code replay} ({@code true}: replays dead letters in a
 * loop).
 *
 * <p>{@link #run(String[], PipelineStarter)} runs the same loop around another source's pipeline
 * ({@code DynamoDbChaosChild} in {@code chaos/dynamodb}); {@link #pipelineBuilder} gives it the
 * suite's settings.
 *
 * <p>The mapper refuses rows whose {@code name} starts with {@code poison:} (a value the
 * application considers malformed): those rows are dead-lettered.
 *
 * <p>It prints {@code STARTED} once {@code Pipeline.start} returned, then every 200 ms a {@code
 * STATUS} line; {@code FAILED <why>} if the pipeline fails; with {@code replay=true}, {@code
 * REPLAYING <n> letters=<count>} before and {@code REPLAYED <n> ...} after each replay.
 */
public final class ChaosChild {

  private static volatile FileDeadLetterStore letters;

  private ChaosChild() {}

  /**
   * Builds and starts the child's pipeline from its {@code key=value} arguments, with the
   * dead-letter store the child opened (its replays read it); a failure is retried like a failed
   * start of an application.
   */
  @FunctionalInterface
  public interface PipelineStarter {
    Pipeline start(Map<String, String> args, FileDeadLetterStore letters) throws Exception;
  }

  /** Runs the child with a sink for the index URL; never returns normally. */
  public static void run(String[] args, Function<String, VersionedSink> sinks) throws Exception {
    run(args, (a, store) -> postgresPipeline(a, store, sinks));
  }

  /**
   * Runs the child with the pipeline {@code starter} builds (another source than PostgreSQL); never
   * returns normally.
   */
  public static void run(String[] args, PipelineStarter starter) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    Pipeline pipeline = start(a, starter);
    System.out.println("STARTED");
    if (Boolean.parseBoolean(a.get("replay"))) {
      Thread replays = new Thread(() -> replayLoop(pipeline), "chaos-replay");
      replays.setDaemon(true);
      replays.start();
    }
    while (true) {
      PipelineStatus status = pipeline.status();
      StringBuilder line = new StringBuilder("STATUS state=").append(status.state());
      line.append(" pipeline=").append(status.summary().replace(' ', '_'));
      status.source().forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
      System.out.println(line.toString().replace('\n', ' '));
      if (pipeline.failure().isPresent()) {
        System.out.println("FAILED " + String.valueOf(pipeline.failure().get()).replace('\n', ' '));
        pipeline.failure().get().printStackTrace(System.out);
        System.exit(3);
      }
      if (pipeline.awaitTermination(Duration.ofMillis(200))) {
        System.out.println("FAILED terminated without a failure");
        System.exit(3);
      }
    }
  }

  private static Pipeline start(Map<String, String> a, PipelineStarter starter)
      throws InterruptedException {
    // FileCheckpointStore.in and FileDeadLetterStore.open fail like a start would: retried.
    // What an application does when the database is unreachable at start: try again (the suite
    // restarts this process while the proxies refuse, black-hole or PostgreSQL restarts).
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (true) {
      FileDeadLetterStore store = null;
      try {
        store = FileDeadLetterStore.open(Path.of(a.get("deadLetters")));
        letters = store;
        return starter.start(a, store);
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        if (store != null) {
          closeQuietly(store);
        }
        System.out.println("START-RETRY " + String.valueOf(e).replace('\n', ' '));
        if (System.nanoTime() > deadline) {
          System.out.println("FAILED start: " + String.valueOf(e).replace('\n', ' '));
          e.printStackTrace(System.out);
          System.exit(2);
        }
        Thread.sleep(250); // an application's back-off between start attempts
      }
    }
  }

  private static Pipeline postgresPipeline(
      Map<String, String> a, FileDeadLetterStore store, Function<String, VersionedSink> sinks)
      throws java.io.IOException {
    String slot = a.get("slot");
    PostgresSource source =
        PostgresSource.builder()
            .database(
                PostgresDatabase.builder()
                    .jdbcUrl(a.get("url"))
                    .user(PostgresServer.SUPERUSER)
                    .build())
            .slotName(slot)
            .publication(slot + "_pub")
            .tables(List.of("public.items"))
            .statusInterval(Duration.ofMillis(500))
            .backfill(
                BackfillSettings.builder()
                    .tables(List.of("public.items"))
                    .chunkRows(100)
                    .rowsPerSecond(Integer.parseInt(a.getOrDefault("rowsPerSecond", "0")))
                    .build())
            .build();
    return pipelineBuilder(a)
        .source(source)
        .sink(sinks.apply(a.get("index")))
        .checkpointStore(FileCheckpointStore.in(Path.of(a.get("checkpoints"))))
        .deadLetterStore(store)
        .build()
        .start();
  }

  /**
   * The suite's pipeline settings, source and stores not yet set: the name, the mapper refusing
   * poison (unless {@code mapper=false}), fast retries.
   */
  public static Pipeline.Builder pipelineBuilder(Map<String, String> a) {
    Pipeline.Builder builder = Pipeline.builder();
    if (Boolean.parseBoolean(a.getOrDefault("mapper", "true"))) {
      builder.mapper(ChaosChild::map);
    }
    return builder
        .name("chaos")
        // Retries every 50 ms to 1 s: the suite cuts connections all the time.
        .retry(new RetrySettings(Duration.ofMillis(50), Duration.ofSeconds(1), 2.0, 0.2));
  }

  /** Identity, except that a row whose name starts with {@code poison:} is refused. */
  static Optional<Document> map(DocumentKey key, Document row) {
    Object name = row.get("name");
    if (name instanceof String s && s.startsWith(Workload.POISON_PREFIX)) {
      throw new IllegalArgumentException("malformed name for " + key + ": " + s);
    }
    return Optional.of(row);
  }

  private static void replayLoop(Pipeline pipeline) {
    AtomicInteger n = new AtomicInteger();
    while (true) {
      int i = n.incrementAndGet();
      try {
        System.out.println("REPLAYING " + i + " letters=" + letters.count());
        Pipeline.ReplayResult r = pipeline.replayDeadLetters(1000);
        System.out.println(
            "REPLAYED "
                + i
                + " replayed="
                + r.replayed()
                + " failedAgain="
                + r.failedAgain()
                + " superseded="
                + r.superseded());
        Thread.sleep(500); // an operator's replay schedule, not a wait for a condition
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        System.out.println("REPLAY-ERROR " + i + " " + String.valueOf(e).replace('\n', ' '));
        try {
          Thread.sleep(500);
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // best effort: the next attempt opens it again
    }
  }
}
