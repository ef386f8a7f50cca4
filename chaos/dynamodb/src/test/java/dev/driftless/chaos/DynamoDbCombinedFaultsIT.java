package dev.driftless.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.chaos.DynamoDbFaultSchedule.Fault;
import dev.driftless.chaos.DynamoDbFaultSchedule.Kind;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.dynamodb.reconcile.DynamoDbFingerprintReader;
import dev.driftless.opensearch.OpenSearchSink;
import dev.driftless.search.IndexRouting;
import dev.driftless.tck.Eventually;
import dev.driftless.testinfra.dynamodb.DynamoDbEmulator;
import dev.driftless.testinfra.dynamodb.EmulatorClients;
import dev.driftless.testinfra.dynamodb.FaultKind;
import dev.driftless.testinfra.faults.ChildJvm;
import dev.driftless.testinfra.faults.FaultProxy;
import dev.driftless.testinfra.opensearch.OpenSearchNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.StreamViewType;

/**
 * The combined-fault suite for the DynamoDB Streams source (issue 15 §1): the emulator (in this
 * JVM, so it outlives every {@code kill -9}) served through the real AWS SDK, a pipeline in a child
 * JVM ({@link DynamoDbChaosChild}: backfill on, file checkpoint and dead-letter stores) writing to
 * an OpenSearch 2.19 node (in this JVM) behind a {@link FaultProxy}, under a seeded schedule of
 * overlapping faults: {@code kill -9} of the child (during the backfill, during a dead-letter
 * replay, at random moments); emulator bursts of throttling, 500s, connection resets, corrupt
 * CRC32s (on the Streams and the table API, the workload's writes included: the SDK retries them)
 * and expired iterators; shard rollovers and splits; the index proxy cutting, delaying,
 * black-holing, refusing and answering 429 storms; the index node stopped. The workload writes
 * puts, updates and deletes with 1% poison items, starting with items written before the pipeline
 * first starts whose stream records are then trimmed away, so only the backfill can deliver them.
 *
 * <p>Then, with the writes stopped and every fault ended, a consistent Scan against a plain HTTP
 * scroll of the index and the dead-letter file ({@link DynamoDbComparison}) must show 0 missing, 0
 * stale, 0 phantom and exactly the poison items dead-lettered, and a report-only {@link Reconciler}
 * ({@link DynamoDbFingerprintReader} against the sink's reader) must find nothing but the poison
 * items.
 *
 * <p>System properties: {@code chaos.seed} (replays the schedule and the workload's choices; timing
 * still differs), {@code chaos.duration} (the fault phase, seconds or ISO-8601; default 20 s, which
 * the restarts of the child stretch to about 30), {@code chaos.indexStop} (default 3 s, 30 s when
 * the duration is at least 2 minutes), {@code chaos.faults} (a comma-separated subset of {@link
 * Kind}, or {@code NONE}), {@code chaos.killDuringBackfill}.
 */
class DynamoDbCombinedFaultsIT {
  static {
    // See dynamodb-streams' Emulated: without TCP_NODELAY every emulator call waits out the
    // client's delayed ACK. Read when the first emulator starts in this JVM.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private static final String TABLE = "items";
  private static final int SEED_ITEMS = 1200;
  private static final int MAX_PARTITIONS = 16;

  @Test
  void convergesUnderCombinedFaults() throws Exception {
    long seed =
        Long.getLong("chaos.seed", new java.security.SecureRandom().nextLong() & 0xffffffffL);
    Duration duration = duration("chaos.duration", Duration.ofSeconds(20));
    Duration indexStop =
        duration(
            "chaos.indexStop",
            duration.compareTo(Duration.ofMinutes(2)) >= 0
                ? Duration.ofSeconds(30)
                : Duration.ofSeconds(3));
    String faults = System.getProperty("chaos.faults", "");
    List<Kind> kinds =
        faults.isBlank()
            ? List.of(Kind.values())
            : faults.equals("NONE")
                ? List.of()
                : Arrays.stream(faults.split(",")).map(String::trim).map(Kind::valueOf).toList();
    DynamoDbFaultSchedule schedule = DynamoDbFaultSchedule.draw(seed, duration, indexStop, kinds);
    System.out.println(
        "chaos dynamodb: seed="
            + seed
            + " (replay with -Dchaos.seed="
            + seed
            + ") duration="
            + duration
            + " indexStop="
            + indexStop
            + "\nchaos schedule: "
            + schedule);
    boolean killDuringBackfill =
        Boolean.parseBoolean(System.getProperty("chaos.killDuringBackfill", "true"));
    Run run = new Run(seed, schedule, killDuringBackfill);
    try {
      run.execute();
    } catch (Throwable t) {
      throw new AssertionError(
          "chaos dynamodb failed; seed="
              + seed
              + " (replay with -Dchaos.seed="
              + seed
              + "), duration="
              + duration
              + "\nschedule: "
              + schedule
              + "\nwhat happened: "
              + String.join("; ", run.log)
              + "\nchild log: "
              + run.childLog
              + "\n"
              + t,
          t);
    } finally {
      run.close();
    }
  }

  private static Duration duration(String property, Duration otherwise) {
    String v = System.getProperty(property);
    if (v == null || v.isBlank()) {
      return otherwise;
    }
    v = v.trim();
    return v.matches("\\d+") ? Duration.ofSeconds(Long.parseLong(v)) : Duration.parse(v);
  }

  /** One run's state. */
  private static final class Run implements AutoCloseable {
    final long seed;
    final DynamoDbFaultSchedule schedule;
    final boolean killDuringBackfill;
    final Random random;
    final Path dir;
    final Path childLog;
    final Path deadLetters;
    final List<String> log = new ArrayList<>();
    final List<ChildJvm> children = new ArrayList<>();
    final ScheduledExecutorService timer =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "chaos-faults");
              t.setDaemon(true);
              return t;
            });
    final List<ScheduledFuture<?>> endings = new ArrayList<>();
    final AtomicReference<Throwable> timerFailure = new AtomicReference<>();
    DynamoDbEmulator emulator;
    EmulatorClients clients;
    String indexUrl;
    FaultProxy indexProxy;
    DynamoDbWorkload workload;
    ChildJvm child;
    boolean childReplays;
    int kills;

    Run(long seed, DynamoDbFaultSchedule schedule, boolean killDuringBackfill) {
      this.seed = seed;
      this.schedule = schedule;
      this.killDuringBackfill = killDuringBackfill;
      this.random = new Random(seed ^ 0x5DEECE66DL);
      this.dir = Path.of("target", "chaos", "dynamodb-" + seed).toAbsolutePath();
      this.childLog = dir.resolve("child.log");
      this.deadLetters = dir.resolve("dead-letters.jsonl");
    }

    void note(String what) {
      synchronized (log) {
        log.add(what);
      }
      System.out.println("chaos: " + what);
    }

    void execute() throws Exception {
      // A replayed seed starts clean: an earlier run's checkpoints and letters belong to another
      // emulator's table.
      CombinedFaultsSuite.deleteRecursively(dir);
      Files.createDirectories(dir);
      indexUrl = OpenSearchNode.shared().start().httpUrl();
      deleteIndex();
      emulator = DynamoDbEmulator.builder().partitions(4).noTimedRollover().seed(seed).build();
      emulator.start();
      clients = EmulatorClients.of(emulator);
      EmulatorClients.createTable(clients.dynamoDb(), TABLE, StreamViewType.NEW_AND_OLD_IMAGES);
      workload = new DynamoDbWorkload(clients.dynamoDb(), TABLE, seed);
      workload.seed(SEED_ITEMS);
      // The stream loses the seeded items' records (as a table older than its stream's 24 hours
      // would): only the backfill can bring them into the index.
      emulator.trimAllBefore(emulator.now().plusMillis(1));
      indexProxy = FaultProxy.start("127.0.0.1", java.net.URI.create(indexUrl).getPort());
      workload.start(30);

      startChild(false);
      if (killDuringBackfill) {
        String seen =
            child.awaitLine(
                l ->
                    l.startsWith("STATUS")
                        && "running".equals(CombinedFaultsSuite.field(l, "backfillState"))
                        // backfillItems counts settled segments' items (it jumps); the
                        // scan's own count moves page by page
                        && count(l, "backfillItemsScannedThisRun") >= 100,
                Duration.ofSeconds(120));
        killChild(
            "during the backfill (backfillItemsScannedThisRun="
                + CombinedFaultsSuite.field(seen, "backfillItemsScannedThisRun")
                + ", backfillItems="
                + CombinedFaultsSuite.field(seen, "backfillItems")
                + ")");
        startChild(random.nextBoolean());
      }
      runSchedule();
    }

    void runSchedule() throws Exception {
      long start = System.nanoTime();
      for (Fault fault : schedule.faults()) {
        long due = fault.atMillis() - (System.nanoTime() - start) / 1_000_000;
        if (due > 0) {
          // The schedule's clock: a fault is due at its moment (the faults are the test's input,
          // not a condition it waits for).
          timer.schedule(() -> null, due, TimeUnit.MILLISECONDS).get(due + 60_000, MILLIS);
        }
        rethrowTimerFailure();
        apply(fault);
      }
      for (ScheduledFuture<?> end : endings) {
        end.get(5, TimeUnit.MINUTES);
      }
      rethrowTimerFailure();
      heal();
      workload.stop();
      note(
          "writes stopped: "
              + workload.committed()
              + " writes committed, "
              + workload.failed()
              + " failed after the SDK's retries; emulator fault hits "
              + emulator.faultHits()
              + ", shards "
              + emulator.shards(TABLE).size());

      DynamoDbComparison comparison =
          new DynamoDbComparison(workload, indexUrl, "chaos-" + TABLE, deadLetters);
      AtomicReference<IndependentComparison.Result> last = new AtomicReference<>();
      try {
        Eventually.until(
            Duration.ofMinutes(3),
            "the index and the dead-letter file to match the table",
            () -> {
              assertChildrenHealthy();
              try {
                last.set(comparison.compare());
              } catch (java.io.IOException e) {
                return false; // the index still starting
              }
              return last.get().clean();
            });
      } catch (Throwable t) {
        threadDump(child);
        IndependentComparison.Result r = last.get();
        throw new AssertionError(
            "independent comparison: " + (r == null ? "never ran" : r.summary()), t);
      }
      IndependentComparison.Result result = last.get();
      note("independent comparison clean: " + result.summary());
      assertThat(result.poisonRows() > 0)
          .as("poison items in the table")
          .isEqualTo(Workload.POISON);
      assertThat(result.letters()).isEqualTo(result.poisonRows());
      assertThat(result.rows()).as("items in the table").isGreaterThan(SEED_ITEMS / 2);

      // The reconciler, report-only: nothing but the poison items (in the table, never indexed).
      DynamoDbFingerprintReader items =
          DynamoDbFingerprintReader.builder()
              .dynamoDbClient(clients.dynamoDb())
              .table(TABLE)
              .build();
      try (OpenSearchSink reader =
          OpenSearchSink.builder()
              .hosts(indexUrl)
              .routing(IndexRouting.prefixed("chaos-"))
              .build()) {
        ReconciliationReport report =
            Reconciler.builder()
                .source(items)
                .index(reader.fingerprintReader())
                .collection(TABLE)
                .build()
                .run();
        note("reconciler: " + report.summary());
        assertThat(report.stale()).as(report.summary()).isZero();
        assertThat(report.phantom()).as(report.summary()).isZero();
        assertThat(report.missing()).as(report.summary()).isEqualTo(result.poisonRows());
        assertThat(report.changedDuringComparison()).as(report.summary()).isZero();
        for (String sample : report.sampleKeys()) {
          // "kind:id", e.g. "missing:i-107"
          String key = sample.substring(sample.indexOf(':') + 1);
          assertThat(sample).startsWith("missing:");
          assertThat(DynamoDbWorkload.isPoison(key))
              .as("reconciler difference %s is a poison item (%s)", key, report.summary())
              .isTrue();
        }
      }
      assertChildrenHealthy();
      note("kills: " + kills);
    }

    void apply(Fault fault) throws Exception {
      note("fault " + fault);
      long length = fault.lengthMillis();
      switch (fault.kind()) {
        case KILL -> {
          killChild("at a random moment");
          startChild(random.nextBoolean());
        }
        case KILL_DURING_REPLAY -> {
          if (!childReplays) {
            killChild("to start a replaying process");
            startChild(true);
          }
          String line =
              child.awaitLine(
                  l -> l.startsWith("REPLAYING") && !l.endsWith("letters=0"),
                  Duration.ofSeconds(120));
          killChild("during a dead-letter replay (" + line + ")");
          startChild(random.nextBoolean());
        }
        case STOP_INDEX -> {
          OpenSearchNode.shared().stop();
          later(length, () -> OpenSearchNode.shared().start());
        }
        case INDEX_429_STORM -> {
          indexProxy.tooManyRequests(true);
          later(length, () -> indexProxy.tooManyRequests(false));
        }
        case INDEX_CUT -> indexProxy.cutConnections();
        case INDEX_DELAY -> {
          indexProxy.delay(Duration.ofMillis(fault.amount()));
          later(length, () -> indexProxy.delay(Duration.ZERO));
        }
        case INDEX_BLACK_HOLE -> {
          indexProxy.blackHole(true);
          later(length, () -> indexProxy.blackHole(false));
        }
        case INDEX_REFUSE -> {
          indexProxy.refuse(true);
          later(length, indexProxy::accept);
        }
        case THROTTLING -> burst(fault, FaultKind.THROTTLING);
        case SERVER_ERRORS -> burst(fault, FaultKind.INTERNAL_SERVER_ERROR);
        case CONNECTION_RESETS -> burst(fault, FaultKind.CONNECTION_RESET);
        case CORRUPT_CRC32 -> burst(fault, FaultKind.CORRUPT_CRC32);
        case EXPIRED_ITERATORS ->
            emulator.inject(
                dev.driftless.testinfra.dynamodb.Fault.on("GetRecords")
                    .times((int) fault.amount())
                    .respond(FaultKind.EXPIRED_ITERATOR));
        case ROLLOVER -> emulator.rollover(TABLE);
        case SPLIT -> {
          List<Integer> partitions = emulator.partitions(TABLE);
          if (partitions.size() >= MAX_PARTITIONS) {
            emulator.rollover(TABLE);
          } else {
            emulator.split(TABLE, partitions.get(random.nextInt(partitions.size())));
          }
        }
        default -> throw new AssertionError("unknown fault " + fault.kind());
      }
    }

    void burst(Fault fault, FaultKind kind) {
      emulator.inject(
          dev.driftless.testinfra.dynamodb.Fault.on(fault.operation())
              .times((int) fault.amount())
              .withProbability(DynamoDbFaultSchedule.STORM_PROBABILITY)
              .respond(kind));
    }

    void later(long millis, ThrowingAction action) {
      endings.add(
          timer.schedule(
              () -> {
                try {
                  action.run();
                } catch (Throwable t) {
                  timerFailure.compareAndSet(null, t);
                }
              },
              millis,
              TimeUnit.MILLISECONDS));
    }

    void rethrowTimerFailure() {
      Throwable t = timerFailure.get();
      if (t != null) {
        throw new AssertionError("ending a fault failed", t);
      }
    }

    /** Every fault over: the proxy forwards without delay, the index runs, no emulator fault. */
    void heal() {
      indexProxy.delay(Duration.ZERO);
      indexProxy.blackHole(false);
      indexProxy.tooManyRequests(false);
      indexProxy.accept();
      OpenSearchNode.shared().start();
      emulator.clearFaults();
      note("all faults ended");
    }

    void startChild(boolean replay) throws Exception {
      Map<String, String> args = new LinkedHashMap<>();
      args.put("endpoint", emulator.endpoint().toString());
      args.put("region", emulator.region());
      args.put("table", TABLE);
      args.put("index", indexProxy.httpUrl());
      args.put("checkpoints", dir.resolve("checkpoints").toString());
      args.put("deadLetters", deadLetters.toString());
      args.put("itemsPerSecond", "300");
      args.put("replay", String.valueOf(replay));
      List<String> argv =
          args.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
      ChildJvm c =
          ChildJvm.start(
              DynamoDbChaosChild.class,
              List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
              argv,
              childLog);
      children.add(c);
      child = c;
      childReplays = replay;
      c.awaitLine(l -> l.equals("STARTED") || l.startsWith("FAILED"), Duration.ofMinutes(2));
      assertChildrenHealthy();
      note("child " + c.pid() + " started (replay=" + replay + ")");
    }

    void killChild(String when) throws InterruptedException {
      String status = child.lastLine("STATUS").orElse("no status yet");
      child.kill();
      kills++;
      note(
          "killed child "
              + child.pid()
              + " "
              + when
              + " [backfillState="
              + CombinedFaultsSuite.field(status, "backfillState")
              + "]");
    }

    void threadDump(ChildJvm c) {
      try {
        Path out = dir.resolve("threads-" + c.pid() + ".txt");
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "jstack").toString(),
                String.valueOf(c.pid()))
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start()
            .waitFor(30, TimeUnit.SECONDS);
        note("thread dump of child " + c.pid() + ": " + out);
      } catch (Exception e) {
        note("no thread dump of child " + c.pid() + ": " + e);
      }
    }

    void assertChildrenHealthy() {
      for (ChildJvm c : children) {
        for (String line : c.lines()) {
          if (line.startsWith("FAILED")) {
            throw new AssertionError("child " + c.pid() + " failed: " + line);
          }
        }
      }
    }

    void deleteIndex() throws Exception {
      var http = java.net.http.HttpClient.newHttpClient();
      http.send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create(indexUrl + "/chaos-" + TABLE))
              .DELETE()
              .build(),
          java.net.http.HttpResponse.BodyHandlers.discarding()); // 404 on a fresh node: fine
    }

    @Override
    public void close() throws Exception {
      for (ChildJvm c : children) {
        c.close();
      }
      if (workload != null) {
        workload.close();
      }
      timer.shutdownNow();
      if (indexProxy != null) {
        indexProxy.close();
      }
      if (clients != null) {
        clients.close();
      }
      if (emulator != null) {
        emulator.close();
      }
    }
  }

  private static final TimeUnit MILLIS = TimeUnit.MILLISECONDS;

  @FunctionalInterface
  private interface ThrowingAction {
    void run() throws Exception;
  }

  private static long count(String statusLine, String key) {
    String v = CombinedFaultsSuite.field(statusLine, key);
    return v == null ? 0 : Long.parseLong(v);
  }
}
