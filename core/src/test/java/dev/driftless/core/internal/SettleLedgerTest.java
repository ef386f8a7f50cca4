package dev.driftless.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.driftless.core.SourcePosition;
import org.junit.jupiter.api.Test;

/** The settle ledger without threads: the settled prefix, the commit candidate, the bounds. */
class SettleLedgerTest {

  private final SettleLedger ledger = new SettleLedger();

  private Entry receive(long offset) {
    return ledger.receive(PipelineRunnerTest.upsert("k" + offset, 1, offset), true, null);
  }

  @Test
  void theCommitCandidateIsTheEndOfTheLongestSettledPrefix() {
    Entry e0 = receive(0);
    Entry e1 = receive(1);
    Entry e2 = receive(2);
    ledger.settle(e1, Outcome.APPLIED);
    ledger.settle(e2, Outcome.APPLIED);
    assertThat(ledger.commitCandidate()).as("e0 holds the prefix back").isNull();
    ledger.settle(e0, Outcome.DEAD_LETTERED);
    assertThat(ledger.commitCandidate()).isEqualTo(SourcePosition.ofOffset(2));
    ledger.committed(SourcePosition.ofOffset(2), ledger.settledStreamEvents());
    assertThat(ledger.commitCandidate()).as("nothing new to commit").isNull();
    assertThat(ledger.idle()).isTrue();
    assertThat(ledger.committedPosition()).isEqualTo(SourcePosition.ofOffset(2));
  }

  @Test
  void reReadEventsNeitherHoldBackNorMoveTheCommitPosition() {
    ReplayTicket ticket = new ReplayTicket(true);
    Entry repair = ledger.receive(PipelineRunnerTest.upsert("r", 1, 99), false, ticket);
    Entry e0 = receive(0);
    ledger.settle(e0, Outcome.APPLIED);
    assertThat(ledger.commitCandidate()).isEqualTo(SourcePosition.ofOffset(0));
    assertThat(ledger.inFlightEvents()).isEqualTo(1);
    ledger.settle(repair, Outcome.STALE);
    assertThat(ticket.completed()).isTrue();
    assertThat(ticket.success()).isTrue();
    assertThat(ticket.stale()).isTrue();
    assertThat(ledger.commitCandidate()).isEqualTo(SourcePosition.ofOffset(0));
  }

  @Test
  void settlingTwiceCountsOnce() {
    Entry e0 = receive(0);
    ledger.settle(e0, Outcome.APPLIED);
    ledger.settle(e0, Outcome.DEAD_LETTERED);
    assertThat(ledger.applied()).isEqualTo(1);
    assertThat(ledger.deadLettered()).isZero();
    assertThat(ledger.inFlightEvents()).isZero();
    assertThat(ledger.inFlightBytes()).isZero();
  }

  @Test
  void countersFollowOutcomesAndPeaksStay() {
    Entry a = receive(0);
    Entry b = receive(1);
    Entry c = receive(2);
    ledger.settle(a, Outcome.COALESCED);
    ledger.settle(b, Outcome.STALE);
    ledger.settle(c, Outcome.REPLAY_FAILED);
    assertThat(ledger.received()).isEqualTo(3);
    assertThat(ledger.coalesced()).isEqualTo(1);
    assertThat(ledger.stale()).isEqualTo(1);
    assertThat(ledger.peakInFlightEvents()).isEqualTo(3);
    assertThat(ledger.peakInFlightBytes()).isEqualTo(a.bytes + b.bytes + c.bytes);
    assertThat(ledger.inFlightEvents()).isZero();
    assertThat(ledger.lagEvents()).isEqualTo(3);
  }

  @Test
  void roomWaitsForAWorthwhilePollAndStopsAtTheByteBound() {
    assertThat(ledger.room(10, 1_000_000, 5)).isEqualTo(5);
    for (int i = 0; i < 6; i++) {
      receive(i);
    }
    assertThat(ledger.room(10, 1_000_000, 5)).as("4 left, worthwhile is 5").isZero();
    assertThat(ledger.room(100, 1_000_000, 5)).isEqualTo(5);
    assertThat(ledger.room(100, ledger.inFlightBytes(), 5)).as("bytes at their bound").isZero();
  }
}
