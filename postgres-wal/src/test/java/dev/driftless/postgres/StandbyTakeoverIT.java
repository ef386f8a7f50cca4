package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.core.Document;
import dev.driftless.core.DocumentKey;
import dev.driftless.core.Pipeline;
import dev.driftless.core.spi.SinkContext;
import dev.driftless.core.spi.VersionedSink;
import dev.driftless.core.spi.WriteResult;
import dev.driftless.core.stores.InMemoryDeadLetterStore;
import dev.driftless.tck.Eventually;
import dev.driftless.tck.InMemoryVersionedSink;
import dev.driftless.tck.PipelineTestKit;
import dev.driftless.testinfra.faults.FaultProxy;
import dev.driftless.testinfra.postgres.PostgresServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Standby takeover (issue 15 §2): several instances of one pipeline share a slot; one reads, the
 * others wait as standbys and one of them takes over when the active one dies (a halt: its threads
 * stop and its connections close, as when a process is killed) or is cut off from the database (a
 * black hole: nothing arrives, nothing closes). Under a random workload, the index (the TCK's
 * versioned in-memory sink, shared by the instances as a real index would be) ends equal to the
 * table, compared independently by plain JDBC: I1 after I2 across takeovers, and no instance keeps
 * claiming to read once it lost its lock.
 */
class StandbyTakeoverIT {
  private static final Duration TAKEOVER = Duration.ofSeconds(4);
  private static final Duration WAIT = Duration.ofSeconds(90);

  private static final ExecutorService WRITERS = Executors.newCachedThreadPool();
  private static String db = "";

  @BeforeAll
  static void schema() throws Exception {
    db = PgTesting.newDatabase("standby");
  }

  @AfterAll
  static void stopWriters() {
    WRITERS.shutdownNow();
  }

  @Test
  void threeInstancesOneReadsAndAStandbyTakesOverEachTimeTheActiveOneDies() throws Exception {
    String table = "ha_kill";
    exec(db, "CREATE TABLE " + table + " (id int PRIMARY KEY, v text, n int NOT NULL)");
    InMemoryVersionedSink index = InMemoryVersionedSink.create();
    List<Pipeline> instances = new ArrayList<>();
    long seed = System.nanoTime();
    System.out.println("StandbyTakeoverIT seed " + seed);
    Workload workload = new Workload(table, seed);
    try {
      for (int i = 0; i < 3; i++) {
        instances.add(start(table, PgTesting.server().jdbcUrl(db), index));
        if (i == 0) {
          awaitRole(instances.get(0), "active");
        }
      }
      awaitRole(instances.get(1), "standby");
      awaitRole(instances.get(2), "standby");
      assertThat(String.valueOf(instances.get(1).status().source().get("activeInstance")))
          .contains("driftless-ha_kill");
      workload.start();

      for (int kill = 0; kill < 2; kill++) {
        Pipeline active = activeOne(instances);
        long written = workload.transactions.get();
        Eventually.until(WAIT, "more writes", () -> workload.transactions.get() > written + 20);
        PipelineTestKit.halt(active);
        instances.remove(active);
        Eventually.until(
            WAIT,
            () -> "a standby to take over: " + roles(instances),
            () -> instances.stream().anyMatch(p -> "active".equals(role(p))));
        assertThat(instances.stream().filter(p -> "active".equals(role(p)))).hasSize(1);
      }
      long written = workload.transactions.get();
      Eventually.until(WAIT, "more writes", () -> workload.transactions.get() > written + 20);
      workload.stop();

      Map<String, String> table1 = rows(table);
      Eventually.until(
          WAIT,
          () -> "the index to converge: " + differences(table1, index, table),
          () -> differences(table1, index, table).isEmpty());
      assertThat(differences(rows(table), index, table)).isEmpty();
      assertThat(table1).hasSizeGreaterThan(10);
      assertThat((Long) activeOne(instances).status().source().get("takeovers")).isPositive();
    } finally {
      workload.stop();
      for (Pipeline p : instances) {
        p.close();
      }
      dropSlot("ha_kill");
    }
  }

  @Test
  void anActiveInstanceCutOffFromTheDatabaseStopsAndAStandbyTakesOver() throws Exception {
    String table = "ha_cut";
    exec(db, "CREATE TABLE " + table + " (id int PRIMARY KEY, v text, n int NOT NULL)");
    InMemoryVersionedSink index = InMemoryVersionedSink.create();
    long seed = System.nanoTime();
    System.out.println("StandbyTakeoverIT seed " + seed);
    Workload workload = new Workload(table, seed);
    try (FaultProxy proxy = FaultProxy.start("localhost", PgTesting.server().port())) {
      Pipeline cut = start(table, "jdbc:postgresql://localhost:" + proxy.port() + "/" + db, index);
      Pipeline other = null;
      try {
        awaitRole(cut, "active");
        other = start(table, PgTesting.server().jdbcUrl(db), index);
        awaitRole(other, "standby");
        workload.start();
        Eventually.until(WAIT, "some writes", () -> workload.transactions.get() > 20);

        proxy.blackHole(true);
        Pipeline standby = other;
        Eventually.until(
            WAIT,
            () -> "the standby to take over: " + role(standby),
            () -> "active".equals(role(standby)));
        // The cut-off instance no longer claims to read: it shows an outage and waits.
        Eventually.until(
            WAIT,
            () -> "the cut-off instance to show an outage: " + cut.status(),
            () -> cut.status().sourceOutage() != null && "standby".equals(role(cut)));

        long written = workload.transactions.get();
        Eventually.until(WAIT, "more writes", () -> workload.transactions.get() > written + 20);
        workload.stop();
        Map<String, String> expected = rows(table);
        Eventually.until(
            WAIT,
            () -> "the index to converge: " + differences(expected, index, table),
            () -> differences(expected, index, table).isEmpty());
        assertThat(differences(rows(table), index, table)).isEmpty();

        // Once it reaches the database again it waits as a standby, healthy.
        proxy.blackHole(false);
        Eventually.until(
            WAIT,
            () -> "the cut-off instance to wait as a healthy standby: " + cut.status(),
            () -> cut.status().sourceOutage() == null && "standby".equals(role(cut)));
        assertThat(role(standby)).isEqualTo("active");
      } finally {
        proxy.blackHole(false); // a failed assertion must not leave the close waiting on silence
        workload.stop();
        cut.close();
        if (other != null) {
          other.close();
        }
      }
    } finally {
      dropSlot("ha_cut");
    }
  }

  @Test
  void anActiveInstanceWhoseLockSessionEndsStepsDownAndResumesWhenNobodyElseTakesOver()
      throws Exception {
    String table = "ha_resume";
    exec(db, "CREATE TABLE " + table + " (id int PRIMARY KEY, v text, n int NOT NULL)");
    InMemoryVersionedSink index = InMemoryVersionedSink.create();
    long seed = System.nanoTime();
    System.out.println("StandbyTakeoverIT seed " + seed);
    Workload workload = new Workload(table, seed);
    Pipeline only = start(table, PgTesting.server().jdbcUrl(db), index);
    try {
      awaitRole(only, "active");
      workload.start();
      Eventually.until(WAIT, "some writes", () -> workload.transactions.get() > 20);
      // The lock's session ends (an administrator, a proxy, the server's idle timeout): the
      // instance must stop reading; with nobody else waiting it takes the lock again and resumes
      // from the slot.
      exec(
          db,
          "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
              + " AND granted AND classid = 1146242644::oid AND objid = hashtext('"
              + table
              + "')::oid");
      Eventually.until(
          WAIT,
          () -> "the instance to take the lock again: " + only.status(),
          () ->
              Long.valueOf(2).equals(only.status().source().get("takeovers"))
                  && "active".equals(role(only)));
      long written = workload.transactions.get();
      Eventually.until(WAIT, "more writes", () -> workload.transactions.get() > written + 20);
      workload.stop();
      Map<String, String> expected = rows(table);
      Eventually.until(
          WAIT,
          () -> "the index to converge: " + differences(expected, index, table),
          () -> differences(expected, index, table).isEmpty());
      assertThat(differences(rows(table), index, table)).isEmpty();
      assertThat(only.status().sourceOutage()).isNull();
    } finally {
      workload.stop();
      only.close();
      dropSlot(table);
    }
  }

  private static Pipeline start(String table, String url, InMemoryVersionedSink index) {
    PostgresSource source =
        PostgresSource.builder()
            .database(
                PostgresDatabase.builder().jdbcUrl(url).user(PostgresServer.SUPERUSER).build())
            .slotName(table)
            .publication(table + "_pub")
            .tables(List.of(table))
            .statusInterval(Duration.ofMillis(500))
            .standby(true)
            .takeoverTimeout(TAKEOVER)
            .build();
    return PipelineTestKit.fastPipeline(table)
        .source(source)
        .sink(new SharedIndex(index))
        .deadLetterStore(new InMemoryDeadLetterStore())
        .build()
        .start();
  }

  private static String role(Pipeline p) {
    return String.valueOf(p.status().source().get("role"));
  }

  private static List<String> roles(List<Pipeline> instances) {
    return instances.stream().map(StandbyTakeoverIT::role).toList();
  }

  private static void awaitRole(Pipeline p, String role) {
    Eventually.until(WAIT, () -> "role " + role + ": " + p.status(), () -> role.equals(role(p)));
  }

  private static Pipeline activeOne(List<Pipeline> instances) {
    return instances.stream()
        .filter(p -> "active".equals(role(p)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no active instance: " + roles(instances)));
  }

  /** The table by plain JDBC: id to "v|n". */
  private static Map<String, String> rows(String table) throws Exception {
    Map<String, String> rows = new TreeMap<>();
    try (Connection c = PgTesting.server().connect(db);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, v, n FROM " + table)) {
      while (rs.next()) {
        rows.put(rs.getString(1), rs.getString(2) + "|" + rs.getString(3));
      }
    }
    return rows;
  }

  /** Missing, stale and phantom documents of the index against {@code rows}. */
  private static List<String> differences(
      Map<String, String> rows, InMemoryVersionedSink index, String table) {
    List<String> out = new ArrayList<>();
    Map<DocumentKey, Document> docs = index.liveDocuments();
    rows.forEach(
        (id, row) -> {
          Document d = docs.get(DocumentKey.of(table, id));
          if (d == null) {
            out.add("missing " + id);
          } else if (!row.equals(d.get("v") + "|" + d.get("n"))) {
            out.add("stale " + id + ": " + d + " instead of " + row);
          }
        });
    docs.keySet().stream()
        .filter(k -> !rows.containsKey(k.id()))
        .forEach(k -> out.add("phantom " + k.id()));
    return out;
  }

  private static void dropSlot(String slot) {
    Eventually.until(
        WAIT,
        "the slot to be dropped",
        () -> {
          try {
            exec(
                db,
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                    + " WHERE slot_name = '"
                    + slot
                    + "'");
            return true;
          } catch (Exception e) {
            return false; // still held by a walsender that is going away
          }
        });
  }

  /** Random inserts, updates and deletes of ids 1..300, in transactions of one to five. */
  private static final class Workload {
    final AtomicLong transactions = new AtomicLong();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final String table;
    private final Random random;
    private Future<?> running = java.util.concurrent.CompletableFuture.completedFuture(null);

    Workload(String table, long seed) {
      this.table = table;
      this.random = new Random(seed);
    }

    void start() {
      running =
          WRITERS.submit(
              () -> {
                try (Connection c = PgTesting.server().connect(db);
                    Statement s = c.createStatement()) {
                  while (!stop.get()) {
                    c.setAutoCommit(false);
                    int ops = 1 + random.nextInt(5);
                    for (int i = 0; i < ops; i++) {
                      int id = 1 + random.nextInt(300);
                      if (random.nextInt(5) == 0) {
                        s.execute("DELETE FROM " + table + " WHERE id = " + id);
                      } else {
                        s.execute(
                            "INSERT INTO "
                                + table
                                + " VALUES ("
                                + id
                                + ", md5(random()::text), 0) ON CONFLICT (id) DO UPDATE"
                                + " SET v = excluded.v, n = "
                                + table
                                + ".n + 1");
                      }
                    }
                    c.commit();
                    transactions.incrementAndGet();
                  }
                }
                return null;
              });
    }

    void stop() throws Exception {
      stop.set(true);
      running.get(30, TimeUnit.SECONDS);
    }
  }

  /** The index every instance writes to; one instance closing it does not close it for all. */
  private static final class SharedIndex implements VersionedSink {
    private final InMemoryVersionedSink index;

    SharedIndex(InMemoryVersionedSink index) {
      this.index = index;
    }

    @Override
    public void start(SinkContext context) {}

    @Override
    public List<WriteResult> write(List<ChangeEvent> batch) throws InterruptedException {
      return index.write(batch);
    }
  }
}
