package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static dev.driftless.postgres.PgTesting.query;
import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.ChangeEvent;
import dev.driftless.tck.Eventually;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * No loss across crashes, terminated walsenders and server restarts (I2, then I1), and an idle slot
 * that keeps confirming WAL so it does not pile up.
 */
class ResilienceIT {

  private static String db = "";

  @BeforeAll
  static void schema() throws Exception {
    db = PgTesting.newDatabase("resilience");
    exec(db, "CREATE TABLE rows (id int PRIMARY KEY, v text)");
  }

  private static PostgresSource source(String slot) {
    return PgTesting.source(db, slot, "resilience_pub").tables(List.of("rows")).build();
  }

  private static Set<String> ids(List<ChangeEvent> events) {
    return events.stream().map(e -> e.key().id()).collect(Collectors.toSet());
  }

  @Test
  void aPipelineKilledMidTransactionResumesWithoutLoss() throws Exception {
    String slot = "res_killed";
    PostgresSource first = source(slot);
    first.start(PgTesting.context(slot));
    exec(db, "INSERT INTO rows SELECT g, 'big' FROM generate_series(1, 5000) g");
    exec(db, "INSERT INTO rows VALUES (5001, 'after')");

    // Take part of the (streamed) transaction, settle only part of that, then die.
    PgTesting.Drain d1 = new PgTesting.Drain(first);
    d1.commit = false;
    d1.until(d -> d.events.size() >= 1200);
    ChangeEvent settled = d1.events.get(999);
    first.commit(settled.position());
    first.close();

    PostgresSource second = source(slot);
    second.start(PgTesting.context(slot));
    PgTesting.Drain d2 = new PgTesting.Drain(second).until(d -> d.hasKey("rows", "5001"));
    second.close();
    exec(db, "SELECT pg_drop_replication_slot('" + slot + "')");

    // Committing inside a transaction confirms only what precedes it: all of it comes again.
    assertThat(ids(d2.events)).hasSize(5001);
    assertThat(d2.events.get(0).version()).isEqualTo(settled.version());
  }

  @Test
  void aTerminatedWalsenderIsReconnectedWithoutLoss() throws Exception {
    String slot = "res_terminated";
    PostgresSource source = source(slot);
    source.start(PgTesting.context(slot));
    PgTesting.Drain drain = new PgTesting.Drain(source);
    for (int i = 0; i < 200; i++) {
      exec(db, "INSERT INTO rows VALUES (" + (10_000 + i) + ", 'w') ON CONFLICT (id) DO NOTHING");
      if (i == 100) {
        drain.until(d -> d.events.size() >= 50);
        exec(
            db,
            "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
                + " WHERE slot_name = '"
                + slot
                + "'");
      }
    }
    drain.until(d -> d.hasKey("rows", "10199"));
    Set<String> seen = ids(drain.events);
    for (int i = 0; i < 200; i++) {
      assertThat(seen).contains(String.valueOf(10_000 + i));
    }
    assertThat(source.statusDetails()).containsKey("reconnects");
    assertThat(drain.events).extracting(ChangeEvent::position).isSorted();
    source.close();
    exec(db, "SELECT pg_drop_replication_slot('" + slot + "')");
  }

  @Test
  void aServerRestartIsSurvivedWithoutLoss() throws Exception {
    String slot = "res_restart";
    PostgresSource source = source(slot);
    source.start(PgTesting.context(slot));
    PgTesting.Drain drain = new PgTesting.Drain(source);
    exec(db, "INSERT INTO rows SELECT g, 'before' FROM generate_series(20000, 20099) g");
    drain.until(d -> d.events.size() >= 10);
    PgTesting.server().restart();
    exec(db, "INSERT INTO rows SELECT g, 'after' FROM generate_series(20100, 20199) g");
    drain.until(d -> d.hasKey("rows", "20199"));

    Set<String> seen = ids(drain.events);
    for (int i = 20000; i < 20200; i++) {
      assertThat(seen).contains(String.valueOf(i));
    }
    source.close();
    exec(db, "SELECT pg_drop_replication_slot('" + slot + "')");
  }

  @Test
  void anIdleSlotConfirmsWalWhileAnotherDatabaseWrites() throws Exception {
    String slot = "res_idle";
    PostgresSource source = source(slot);
    source.start(PgTesting.context(slot));
    String other = PgTesting.newDatabase("busy");
    exec(other, "CREATE TABLE noise (id int, v text)");
    long before =
        LsnPosition.parseLsn(
            query(
                db,
                "SELECT confirmed_flush_lsn::text FROM pg_replication_slots"
                    + " WHERE slot_name = '"
                    + slot
                    + "'"));
    exec(other, "INSERT INTO noise SELECT g, md5(g::text) FROM generate_series(1, 20000) g");
    long written = LsnPosition.parseLsn(query(other, "SELECT pg_current_wal_insert_lsn()::text"));

    PgTesting.Drain drain = new PgTesting.Drain(source);
    Eventually.until(
        Duration.ofSeconds(30),
        "the slot to confirm the other database's WAL",
        () -> {
          drain.pollOnce();
          String flushed =
              query(
                  db,
                  "SELECT confirmed_flush_lsn::text FROM pg_replication_slots"
                      + " WHERE slot_name = '"
                      + slot
                      + "'");
          return LsnPosition.parseLsn(flushed) >= written;
        });
    assertThat(drain.events).isEmpty();
    assertThat(written).isGreaterThan(before);
    source.close();
    exec(db, "SELECT pg_drop_replication_slot('" + slot + "')");
  }

  @Test
  void changesAreNotLostWhenManySourcesRestartInARow() throws Exception {
    String slot = "res_chain";
    Set<String> seen = new HashSet<>();
    for (int round = 0; round < 3; round++) {
      PostgresSource s = source(slot);
      s.start(PgTesting.context(slot));
      int base = 30_000 + round * 10;
      exec(
          db,
          "INSERT INTO rows SELECT g, 'r' FROM generate_series("
              + base
              + ", "
              + (base + 9)
              + ") g");
      PgTesting.Drain d =
          new PgTesting.Drain(s).until(x -> x.hasKey("rows", String.valueOf(base + 9)));
      seen.addAll(ids(d.events));
      s.close();
    }
    for (int i = 30_000; i < 30_030; i++) {
      assertThat(seen).contains(String.valueOf(i));
    }
    exec(db, "SELECT pg_drop_replication_slot('" + slot + "')");
  }
}
