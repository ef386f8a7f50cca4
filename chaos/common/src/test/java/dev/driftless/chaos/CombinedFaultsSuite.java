package dev.driftless.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.chaos.FaultSchedule.Fault;
import dev.driftless.core.Reconciler;
import dev.driftless.core.ReconciliationReport;
import dev.driftless.core.spi.FingerprintReader;
import dev.driftless.postgres.PostgresDatabase;
import dev.driftless.postgres.reconcile.PostgresFingerprintReader;
import dev.driftless.postgres.reconcile.TableMapping;
import dev.driftless.tck.Eventually;
import dev.driftless.testinfra.faults.ChildJvm;
import dev.driftless.testinfra.faults.FaultProxy;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
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

/**
 * The combined-fault suite (issue 15 §1), run by one subclass per engine: a PostgreSQL → index
 * pipeline in a child JVM (backfill on, {@code FileCheckpointStore}, {@code FileDeadLetterStore})
 * under a seeded schedule of faults that overlap — {@code kill -9} of the child (during the
 * backfill, during a dead-letter replay, at random moments), a {@link FaultProxy} in front of
 * PostgreSQL and one in front of the index (cut, delay, black hole, refuse; 429 storms on the
 * index), walsender terminations, a PostgreSQL restart, the index node stopped and started — while
 * a workload writes with 1% poison rows. Then, with the writes stopped and every fault ended, the
 * {@link IndependentComparison} (plain JDBC, plain HTTP, the dead-letter file) must find 0 missing,
 * 0 stale, 0 phantom and exactly the poison rows dead-lettered, and a report-only {@link
 * Reconciler} run must find no difference but the poison rows (which the table holds and the index
 * must not).
 *
 * <p>System properties: {@code chaos.seed} (replays a run: the same schedule and workload choices;
 * timing still differs), {@code chaos.duration} (the fault phase, seconds or ISO-8601; default 25
 * s, longer for soak runs), {@code chaos.indexStop} (how long the index is stopped; default 4 s, 30
 * s when the duration is at least 2 minutes).
 */
public abstract class CombinedFaultsSuite {

  private static final int SEED_ROWS = 2000;
  private static final String SLOT = "chaos";

  /** The engine's name, for logs and folders. */
  protected abstract String engine();

  /** Starts the engine's node (if not running) and returns its URL. */
  protected abstract String startIndex();

  /** Stops the node, keeping its data and port. */
  protected abstract void stopIndex();

  /** The child's main class: {@link ChaosChild#run} with the engine's sink. */
  protected abstract Class<?> childMain();

  /** The sink's index-side reader for the index routed from collection "items", at {@code url}. */
  protected abstract FingerprintReader indexFingerprints(String url);

  /** Closes what {@link #indexFingerprints} opened. */
  protected abstract void closeIndexFingerprints();

  /** The suite: one seeded run (the seed printed, {@code -Dchaos.seed} replays it). */
  @Test
  void convergesUnderCombinedFaults() throws Exception {
    long seed =
        Long.getLong("chaos.seed", new java.security.SecureRandom().nextLong() & 0xffffffffL);
    Duration duration = duration("chaos.duration", Duration.ofSeconds(25));
    Duration indexStop =
        duration(
            "chaos.indexStop",
            duration.compareTo(Duration.ofMinutes(2)) >= 0
                ? Duration.ofSeconds(30)
                : Duration.ofSeconds(4));
    String faults = System.getProperty("chaos.faults", "");
    List<FaultSchedule.Kind> kinds =
        faults.isBlank()
            ? List.of(FaultSchedule.Kind.values())
            : faults.equals("NONE")
                ? List.of()
                : java.util.Arrays.stream(faults.split(","))
                    .map(String::trim)
                    .map(FaultSchedule.Kind::valueOf)
                    .toList();
    run(
        seed,
        duration,
        indexStop,
        kinds,
        Boolean.parseBoolean(System.getProperty("chaos.killDuringBackfill", "true")));
  }

  /** One run: the schedule drawn from {@code seed} among {@code kinds}, then the verdict. */
  protected void run(
      long seed,
      Duration duration,
      Duration indexStop,
      List<FaultSchedule.Kind> kinds,
      boolean killDuringBackfill)
      throws Exception {
    FaultSchedule schedule = FaultSchedule.draw(seed, duration, indexStop, kinds);
    System.out.println(
        "chaos "
            + engine()
            + ": seed="
            + seed
            + " (replay with -Dchaos.seed="
            + seed
            + ") duration="
            + duration
            + " indexStop="
            + indexStop
            + "\nchaos schedule: "
            + schedule);
    Run run = new Run(seed, schedule, killDuringBackfill);
    try {
      run.execute();
    } catch (Throwable t) {
      throw new AssertionError(
          "chaos "
              + engine()
              + " failed; seed="
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
              + run.childLog.toAbsolutePath()
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
  private final class Run implements AutoCloseable {
    final long seed;
    final FaultSchedule schedule;
    final Random random;
    final PostgresServer postgres = PostgresServer.shared();
    final String database;
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
    String indexUrl;
    FaultProxy pgProxy;
    FaultProxy indexProxy;
    Workload workload;
    ChildJvm child;
    boolean childReplays;
    int kills;

    final boolean killDuringBackfill;

    Run(long seed, FaultSchedule schedule, boolean killDuringBackfill) throws Exception {
      this.killDuringBackfill = killDuringBackfill;
      this.seed = seed;
      this.schedule = schedule;
      this.random = new Random(seed ^ 0x5DEECE66DL);
      this.database = "chaos_" + engine() + "_" + Long.toString(seed, 36).replace('-', 'm');
      this.dir = Path.of("target", "chaos", engine() + "-" + seed).toAbsolutePath();
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
      // A replayed seed would otherwise meet the earlier run's checkpoints and dead letters.
      deleteRecursively(dir);
      Files.createDirectories(dir);
      indexUrl = startIndex();
      postgres.createDatabase(database);
      workload = new Workload(postgres, database, seed);
      workload.seed(SEED_ROWS);
      pgProxy = FaultProxy.start("127.0.0.1", postgres.port());
      indexProxy = FaultProxy.start("127.0.0.1", java.net.URI.create(indexUrl).getPort());
      workload.start(30);

      // A kill during the backfill, then the schedule.
      startChild(false);
      if (!killDuringBackfill) {
        runSchedule();
        return;
      }
      String seen =
          child.awaitLine(
              l ->
                  l.startsWith("STATUS")
                      && ("running".equals(field(l, "backfillState"))
                          || "done".equals(field(l, "backfillState")))
                      && rowsDone(l) >= 100,
              Duration.ofSeconds(120));
      killChild("during the backfill (backfillState=" + field(seen, "backfillState") + ")");
      startChild(random.nextBoolean());
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
              + " transactions committed, "
              + workload.failed()
              + " failed");

      IndependentComparison comparison =
          new IndependentComparison(postgres, database, indexUrl, "chaos-items", deadLetters);
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
      assertThat(result.poisonRows() > 0).as("poison rows in the table").isEqualTo(Workload.POISON);
      assertThat(result.letters()).isEqualTo(result.poisonRows());

      // The reconciler, report-only: it must find nothing but the poison rows (in the table, never
      // indexed), and nothing changing.
      PostgresFingerprintReader rows =
          PostgresFingerprintReader.builder()
              .database(
                  PostgresDatabase.builder()
                      .jdbcUrl(postgres.jdbcUrl(database))
                      .user(PostgresServer.SUPERUSER)
                      .build())
              .table(TableMapping.of("public", "items"))
              .build();
      try {
        ReconciliationReport report =
            Reconciler.builder()
                .source(rows)
                .index(indexFingerprints(indexUrl))
                .collection("items")
                .build()
                .run();
        note("reconciler: " + report.summary());
        assertThat(report.stale()).as(report.summary()).isZero();
        assertThat(report.phantom()).as(report.summary()).isZero();
        assertThat(report.missing()).as(report.summary()).isEqualTo(result.poisonRows());
        assertThat(report.changedDuringComparison()).as(report.summary()).isZero();
        for (String sample : report.sampleKeys()) {
          // "kind:id", e.g. "missing:1007"
          String key = sample.substring(sample.lastIndexOf(':') + 1);
          assertThat(sample).startsWith("missing:");
          assertThat(Workload.isPoison(Integer.parseInt(key)))
              .as("reconciler difference %s is a poison row (%s)", key, report.summary())
              .isTrue();
        }
      } finally {
        closeIndexFingerprints();
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
        case TERMINATE_WALSENDER -> {
          try (Connection c = postgres.connect("postgres");
              Statement s = c.createStatement()) {
            s.execute(
                "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
                    + " WHERE slot_name = '"
                    + SLOT
                    + "' AND active_pid IS NOT NULL");
          }
        }
        case RESTART_POSTGRES -> postgres.restart();
        case STOP_INDEX -> {
          stopIndex();
          later(length, () -> startIndex());
        }
        case INDEX_429_STORM -> {
          indexProxy.tooManyRequests(true);
          later(length, () -> indexProxy.tooManyRequests(false));
        }
        case PG_CUT -> pgProxy.cutConnections();
        case INDEX_CUT -> indexProxy.cutConnections();
        case PG_DELAY -> delay(pgProxy, fault);
        case INDEX_DELAY -> delay(indexProxy, fault);
        case PG_BLACK_HOLE -> blackHole(pgProxy, length);
        case INDEX_BLACK_HOLE -> blackHole(indexProxy, length);
        case PG_REFUSE -> refuse(pgProxy, length);
        case INDEX_REFUSE -> refuse(indexProxy, length);
        default -> throw new AssertionError("unknown fault " + fault.kind());
      }
    }

    void delay(FaultProxy proxy, Fault fault) {
      proxy.delay(Duration.ofMillis(fault.amountMillis()));
      later(fault.lengthMillis(), () -> proxy.delay(Duration.ZERO));
    }

    void blackHole(FaultProxy proxy, long length) {
      proxy.blackHole(true);
      later(length, () -> proxy.blackHole(false));
    }

    void refuse(FaultProxy proxy, long length) {
      proxy.refuse(true);
      later(length, proxy::accept);
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

    /** Every fault over: proxies forward without delay, the index runs. */
    void heal() {
      for (FaultProxy p : List.of(pgProxy, indexProxy)) {
        p.delay(Duration.ZERO);
        p.blackHole(false);
        p.tooManyRequests(false);
        p.accept();
      }
      startIndex();
      note("all faults ended");
    }

    void startChild(boolean replay) throws Exception {
      Map<String, String> args = new LinkedHashMap<>();
      args.put("url", "jdbc:postgresql://127.0.0.1:" + pgProxy.port() + "/" + database);
      args.put("index", indexProxy.httpUrl());
      args.put("slot", SLOT);
      args.put("checkpoints", dir.resolve("checkpoints").toString());
      args.put("deadLetters", deadLetters.toString());
      args.put("rowsPerSecond", "400");
      args.put("replay", String.valueOf(replay));
      args.put("mapper", System.getProperty("chaos.mapper", "true"));
      List<String> argv =
          args.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
      ChildJvm c =
          ChildJvm.start(
              childMain(),
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
              + field(status, "backfillState")
              + "]");
    }

    /** Writes the child's threads to the run's folder (for a stall). */
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

    @Override
    public void close() throws Exception {
      for (ChildJvm c : children) {
        c.close();
      }
      if (workload != null) {
        workload.close();
      }
      timer.shutdownNow();
      if (pgProxy != null) {
        pgProxy.close();
      }
      if (indexProxy != null) {
        indexProxy.close();
      }
    }
  }

  private static final TimeUnit MILLIS = TimeUnit.MILLISECONDS;

  @FunctionalInterface
  private interface ThrowingAction {
    void run() throws Exception;
  }

  private static long rowsDone(String statusLine) {
    String v = field(statusLine, "backfillRowsDone");
    return v == null ? 0 : Long.parseLong(v);
  }

  /** The value of {@code key} in a {@code STATUS} line (values hold no spaces), or null. */
  static String field(String statusLine, String key) {
    for (String part : statusLine.split(" ")) {
      if (part.startsWith(key + "=")) {
        return part.substring(key.length() + 1);
      }
    }
    return null;
  }

  /** Deletes {@code folder} and everything in it; nothing if it does not exist. */
  static void deleteRecursively(Path folder) throws java.io.IOException {
    if (!Files.exists(folder)) {
      return;
    }
    try (var paths = Files.walk(folder)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
