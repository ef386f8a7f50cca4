package dev.driftless.postgres;

import static dev.driftless.postgres.PgTesting.exec;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A slot whose WAL the server removed ({@code wal_status = 'lost'}, forced with a tiny {@code
 * max_slot_wal_keep_size}) is reported as "full resync needed" when the source starts, instead of
 * silently continuing with a gap (I2: changes were lost, so the source must not pretend otherwise).
 */
class SlotInvalidationIT {

  @Test
  void anInvalidatedSlotFailsWithFullResyncNeeded() throws Exception {
    String db = PgTesting.newDatabase("lostslot");
    exec(db, "CREATE TABLE t (id int PRIMARY KEY, v text)");
    PostgresSource first =
        PgTesting.source(db, "lost_slot_it", "lost_pub").tables(List.of("t")).build();
    first.start(PgTesting.context("lost"));
    first.close(); // the slot stays, unread

    PgTesting.loseSlot(db, "t", "lost_slot_it", Duration.ofSeconds(60), () -> false);

    PostgresSource second =
        PgTesting.source(db, "lost_slot_it", "lost_pub")
            .tables(List.of("t"))
            .dropSlotOnClose(true)
            .build();
    try {
      assertThatThrownBy(() -> second.start(PgTesting.context("lost")))
          .isInstanceOf(SlotInvalidatedException.class)
          .hasMessageContaining("full resync is needed");
    } finally {
      second.close();
      exec(
          db,
          "SELECT pg_drop_replication_slot('lost_slot_it') FROM pg_replication_slots WHERE slot_name = 'lost_slot_it'");
    }
  }
}
