package dev.driftless.postgres.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.postgres.LsnPosition;
import org.junit.jupiter.api.Test;

/** Only settled work is confirmed to the server (I2): the flush tracking on its own. */
class FlushTrackerTest {

  @Test
  void aTransactionsEndIsConfirmedOnceItsLastEventIsCommitted() {
    FlushTracker f = new FlushTracker();
    LsnPosition first = new LsnPosition(100, 0);
    LsnPosition last = new LsnPosition(100, 1);
    assertThat(f.transactionEnd(last, last, 140)).isEqualTo(-1); // nothing committed yet
    assertThat(f.committed(first)).isEqualTo(100); // inside the transaction: its commit LSN
    assertThat(f.committed(last)).isEqualTo(140); // its last event: its end
    assertThat(f.committed(last)).isEqualTo(-1); // not past the last committed
    assertThat(f.everythingSettled(last)).isTrue();
  }

  @Test
  void aTransactionWithoutEventsIsConfirmedWhenEverythingBeforeItIs() {
    FlushTracker f = new FlushTracker();
    LsnPosition e = new LsnPosition(100, 0);
    f.transactionEnd(e, e, 140);
    // No event of its own: it waits for the stream's last position, e.
    assertThat(f.transactionEnd(null, e, 200)).isEqualTo(-1);
    assertThat(f.everythingSettled(e)).isFalse();
    assertThat(f.committed(e)).isEqualTo(200);
    assertThat(f.transactionEnd(null, e, 260)).isEqualTo(260);
  }

  @Test
  void aTransactionReceivedAgainAfterAReconnectIsIgnored() {
    FlushTracker f = new FlushTracker();
    assertThat(f.transactionEnd(null, null, 140)).isEqualTo(140);
    assertThat(f.transactionEnd(null, null, 140)).isEqualTo(-1);
  }

  @Test
  void theConfirmedLsnOnlyMovesForwardAndResetsForANewSlot() {
    FlushTracker f = new FlushTracker();
    assertThat(f.advance(100)).isTrue();
    assertThat(f.advance(90)).isFalse();
    assertThat(f.flushed()).isEqualTo(100);
    f.reset();
    assertThat(f.flushed()).isZero();
    assertThat(f.transactionEnd(null, null, 50)).isEqualTo(50);
  }
}
